# libnwbase's error table: names, codes (threads), classes, HTTP statuses, nw_diag.
find_package(Threads REQUIRED)
nw_add_unit_test(err SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_err.c LIBS nwbase Threads::Threads)
