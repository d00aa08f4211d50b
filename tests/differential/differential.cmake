# Differential test against ethers v6 (label differential): random transactions, personal
# messages and typed data signed by ethers and by `nw` must be byte-identical. Needs node and
# tests/differential/node_modules (scripts/deps runs `npm ci` there); fails loudly without them.
find_program(NW_NODE NAMES node nodejs)
if(NW_NODE)
    add_test(NAME differential.ethers
        COMMAND ${NW_NODE} ${CMAKE_CURRENT_LIST_DIR}/run.mjs --nw $<TARGET_FILE:nw> --count 2000)
else()
    # Registered anyway so that a machine without node fails instead of silently passing.
    add_test(NAME differential.ethers COMMAND sh -c
        "echo 'differential: FAILED: node not found (scripts/deps installs it)' >&2; exit 1")
endif()
set_tests_properties(differential.ethers PROPERTIES LABELS differential TIMEOUT 900)
