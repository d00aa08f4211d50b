# libnwaws unit tests.
nw_add_unit_test(sigv4 SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_sigv4.c LIBS nwaws nwsim)
nw_add_unit_test(aws_json SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_aws_json.c LIBS nwaws)
nw_add_unit_test(aws_http SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_aws_http.c
    LIBS nwaws nwsim PkgConfig::MHD)
if(TARGET test_aws_http)
    add_test(NAME unit.aws_canary COMMAND ${CMAKE_CURRENT_LIST_DIR}/aws_canary.sh
        $<TARGET_FILE:test_aws_http>)
    set_tests_properties(unit.aws_canary PROPERTIES LABELS unit TIMEOUT 300)
endif()
