# The KMS relay's host half (libnwaws) and libnwvault's pieces (label unit).
nw_add_unit_test(kms_relay SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_kms_relay.c
    LIBS nwaws PkgConfig::MHD)
nw_add_unit_test(vault SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_vault.c
    LIBS nwvault nwsim nwattest nwaws nwnet)
