# libnwcore takes randomness as a parameter (nw_secp_new_seeded, nw_seckey_generate_with).
nw_add_unit_test(core_random SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_core_random.c LIBS nwcore)
