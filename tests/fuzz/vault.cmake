# The KMS relay's request gate (nw_kms_relay_check); seeds in tests/fuzz/corpus/kms_relay/.
nw_add_fuzz_target(kms_relay SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_kms_relay.c LIBS nwaws)
