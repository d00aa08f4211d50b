# Fuzz target over the EIP-712 typed-data parser and hasher (src/core/eip712.c).
nw_add_fuzz_target(typed_data SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_typed_data.c LIBS nwcore)
