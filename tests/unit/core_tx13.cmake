# Issue 13: transaction safety rules, exact ether floats, the JSON-RPC transaction object.
nw_add_unit_test(tx_rpc SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_tx_rpc.c LIBS nwcore)
