# The frame codec (nw_wire_read against nw_wire_reader in random chunks).
nw_add_fuzz_target(wire SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_wire.c LIBS nwnet)
