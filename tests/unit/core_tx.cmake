# core-tx area: RLP, EIP-55 addresses, quantities, transactions (+ CLI and canary tests).
foreach(m rlp ethaddr quantity tx)
    nw_add_unit_test(${m} SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_${m}.c LIBS nwcore)
endforeach()
# The nw binary's tx commands, run as a user would (exit codes, error JSON, canary key).
nw_add_unit_test(cli_tx SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_tx.c LIBS nwcore LABELS cli)
if(TARGET test_cli_tx)
    add_dependencies(test_cli_tx nw)
endif()
