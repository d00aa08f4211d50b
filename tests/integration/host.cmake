# End-to-end tests of the whole stack (labels e2e and integration): scripts/demo starts
# PostgreSQL (TLS), nw-devaws + NSM simulator, the nw-proxy pair, nw-enclave and nw-host in a
# temporary directory on free ports; each case drives it over HTTPS and stops it by PID.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET nw-host)
    foreach(case demo seed_shapes v1_ops enclave_restart pg_down_up devaws_down kms_direct binary_changed
            http_abuse canary)
        add_test(NAME e2e.host.${case}
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/host_e2e.py
                ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${case})
        set_tests_properties(e2e.host.${case} PROPERTIES LABELS "e2e;integration" TIMEOUT 400
            SKIP_RETURN_CODE 77 RESOURCE_LOCK nw_e2e_stack)
    endforeach()
endif()
# nw-host alone (label integration): options, config file, client certificates, HTTP errors.
if(Python3_FOUND AND TARGET nw-host)
    foreach(case options client_cert errors)
        add_test(NAME integration.host.${case}
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/host_cli.py
                $<TARGET_FILE:nw-host> ${case})
        set_tests_properties(integration.host.${case} PROPERTIES LABELS integration TIMEOUT 120)
    endforeach()
endif()
