# libnwaws unit tests.
nw_add_unit_test(sigv4 SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sigv4.c LIBS nwaws)
nw_add_unit_test(aws_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_aws_json.c LIBS nwaws)
