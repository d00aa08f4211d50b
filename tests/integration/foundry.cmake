# nw-host's JSON-RPC signer (POST /rpc via --rpc-listen, eth_sendTransaction via --rpc-upstream)
# driven by Foundry's cast against Foundry's anvil (tests/foundry: npm, pinned by its lockfile,
# installed by scripts/deps; without it each case reports itself SKIPPED). Labels e2e and
# integration; each case starts and stops its own anvil and dev stack.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET nw-host AND TARGET nw)
    foreach(case legacy eip2930 eip1559 create eip7702 messages)
        add_test(NAME e2e.foundry.${case}
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/foundry_e2e.py
                ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${case})
        set_tests_properties(e2e.foundry.${case} PROPERTIES LABELS "e2e;integration" TIMEOUT 300
            SKIP_RETURN_CODE 77 RESOURCE_LOCK nw_e2e_stack)
    endforeach()
endif()
