# Tests of the attest area: attestation documents, NSM client and simulator, CMS.
if(TARGET nwattest)
    nw_add_unit_test(attest SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_attest.c LIBS nwsim)
endif()
if(TARGET nwattest)
    nw_add_unit_test(nsm SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nsm.c LIBS nwsim)
endif()
if(TARGET nwattest)
    nw_add_unit_test(cms SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cms.c LIBS nwsim)
endif()
if(TARGET nwattest AND TARGET nw)
    add_test(NAME cli.attestation COMMAND ${PROJECT_SOURCE_DIR}/tests/cli/attest_cli.sh
        $<TARGET_FILE:nw> ${NW_TESTDATA_DIR})
    set_tests_properties(cli.attestation PROPERTIES LABELS "integration" TIMEOUT 120
        SKIP_RETURN_CODE 77)
endif()
if(TARGET nwattest)
    nw_add_unit_test(recipient SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_recipient.c LIBS nwsim)
endif()
