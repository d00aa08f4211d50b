# Frames and deadline I/O (src/net/wire.c).
find_package(Threads REQUIRED)
nw_add_unit_test(wire SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_wire.c LIBS nwnet Threads::Threads)
