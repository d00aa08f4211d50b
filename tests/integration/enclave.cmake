# nw-enclave against real PostgreSQL (tests/lib/pgtest.sh, TLS), nw-devaws (KMS + NSM simulator
# measuring the built nw-enclave) and the KMS relay driver; label integration. Each group starts
# its own stack in a temporary directory (tests/integration/enclave_stack.py).
# kms_relay_driver comes from vault.cmake (included after this file): nwvault implies it.
if(TARGET nw-enclave AND TARGET nw-devaws AND TARGET nwvault)
    find_program(NW_PYTHON3 python3)
    foreach(group ops-relay ops-direct kms audit instances frames loopback proxy)
        add_test(NAME integration.enclave.${group}
            COMMAND ${NW_PYTHON3} ${CMAKE_CURRENT_LIST_DIR}/enclave_it.py ${PROJECT_BINARY_DIR}
                ${PROJECT_SOURCE_DIR} ${group})
        set_tests_properties(integration.enclave.${group} PROPERTIES LABELS integration
            TIMEOUT 300 SKIP_RETURN_CODE 77)
    endforeach()
endif()
