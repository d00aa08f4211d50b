nw_add_unit_test(addr SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_addr.c LIBS nwnet)
