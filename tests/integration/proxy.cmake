# nw-proxy integration tests: the real binary over loopback tcp (v4/v6) and unix sockets.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET nw-proxy)
    foreach(case transfer halfclose concurrent backpressure refused limits nofile drain allowlist config_errors dns
            linkage)
        add_test(NAME integration.proxy.${case}
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/proxy_test.py
                $<TARGET_FILE:nw-proxy> ${case})
        set_tests_properties(integration.proxy.${case} PROPERTIES LABELS integration TIMEOUT 120
            SKIP_RETURN_CODE 77)
    endforeach()
endif()
