# libnwsim: the NSM simulator's socket server (several callers at once, its socket path).
if(TARGET nwsim)
    find_package(Threads REQUIRED)
    nw_add_unit_test(nsm_serve SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_nsm_serve.c
        LIBS nwsim Threads::Threads)
endif()
