nw_add_unit_test(app SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_app.c LIBS nwbase)
