if(TARGET nwdevaws)
    nw_add_unit_test(devaws SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devaws.c LIBS nwdevaws)
endif()
# nw-devaws start-up: permissions, single instance, port reuse, start-up line (issue 13).
if(TARGET nw-devaws)
    add_test(NAME unit.devaws_start COMMAND ${CMAKE_CURRENT_LIST_DIR}/devaws_start.sh
        $<TARGET_FILE:nw-devaws>)
    set_tests_properties(unit.devaws_start PROPERTIES LABELS unit TIMEOUT 120)
endif()
