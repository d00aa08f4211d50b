if(TARGET nwdevaws)
    nw_add_unit_test(devaws SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_devaws.c LIBS nwdevaws)
endif()
