# The KMS Recipient flow end to end (label integration): libnwattest + libnwaws against
# nw-devaws with its NSM simulator, on loopback and a unix socket.
if(TARGET nw-devaws AND TARGET nwaws AND TARGET nwattest AND CMOCKA_FOUND)
    add_executable(attest_kms_it ${CMAKE_CURRENT_LIST_DIR}/attest_kms_it.c)
    target_include_directories(attest_kms_it PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/tests/lib)
    target_compile_definitions(attest_kms_it PRIVATE NW_TESTDATA_DIR="${NW_TESTDATA_DIR}")
    target_link_libraries(attest_kms_it PRIVATE nwattest nwaws nwtestlib PkgConfig::CMOCKA
        nw_warnings)
    add_test(NAME integration.attest_kms COMMAND attest_kms_it $<TARGET_FILE:nw-devaws>)
    set_tests_properties(integration.attest_kms PROPERTIES LABELS integration TIMEOUT 300)
endif()
