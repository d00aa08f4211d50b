if(TARGET nwdevaws)
    nw_add_fuzz_target(devaws SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_devaws.c LIBS nwdevaws)
endif()
