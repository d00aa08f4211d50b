# CLI input checks of the aws commands that need no endpoint (see aws_cli_input.sh).
add_test(NAME cli.aws_input COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/aws_cli_input.sh $<TARGET_FILE:nw>)
set_tests_properties(cli.aws_input PROPERTIES LABELS cli TIMEOUT 60)
