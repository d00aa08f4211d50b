# libnwaws against nw-devaws (label integration): every KMS and Secrets Manager operation and
# error path over TLS on loopback, unix: transport, IMDSv2 refresh. The canary wrapper also
# checks that no secret reaches the program's output.
if(TARGET nw-devaws AND TARGET nwaws AND CMOCKA_FOUND)
    add_executable(aws_client_it ${CMAKE_CURRENT_LIST_DIR}/aws_client_it.c)
    target_include_directories(aws_client_it PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/tests/lib)
    target_compile_definitions(aws_client_it PRIVATE NW_TESTDATA_DIR="${NW_TESTDATA_DIR}")
    target_link_libraries(aws_client_it PRIVATE nwaws nwtestlib PkgConfig::CMOCKA nw_warnings)
    add_test(NAME integration.aws_client COMMAND aws_client_it $<TARGET_FILE:nw-devaws>)
    set_tests_properties(integration.aws_client PROPERTIES LABELS integration TIMEOUT 300)
endif()
if(TARGET aws_client_it)
    add_test(NAME integration.aws_canary COMMAND ${PROJECT_SOURCE_DIR}/tests/unit/aws_canary.sh
        $<TARGET_FILE:aws_client_it> $<TARGET_FILE:nw-devaws>)
    set_tests_properties(integration.aws_canary PROPERTIES LABELS integration TIMEOUT 300)
endif()
