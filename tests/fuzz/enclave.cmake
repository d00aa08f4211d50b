# The nw-enclave request decoder and answer encoder (src/enclave/request.c, library nwencreq).
if(TARGET nwencreq)
    nw_add_fuzz_target(enclave_request SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_enclave_request.c
        LIBS nwencreq)
endif()
