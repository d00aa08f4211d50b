# Tests of the attest area: attestation documents, NSM client and simulator, CMS.
if(TARGET nwattest)
    nw_add_unit_test(attest SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_attest.c LIBS nwattest)
endif()
if(TARGET nwattest)
    nw_add_unit_test(nsm SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nsm.c LIBS nwattest)
endif()
