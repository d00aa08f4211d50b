# CLI checks of the msg area: nw sign-message / sign-typed-data exit codes and outputs.
add_test(NAME cli.msg COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/msg_cli.sh $<TARGET_FILE:nw>)
set_tests_properties(cli.msg PROPERTIES LABELS cli TIMEOUT 120)
