# EIP-191 and EIP-712 (src/core/msg191.c, src/core/eip712.c).
nw_add_unit_test(msg SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_msg.c LIBS nwcore)
