# The nw CLI (issue 13 points 4-14, issue 9 point 4), label cli: unit tests of the pieces under
# it, and shell/Python scripts that drive the real binaries.
nw_add_unit_test(cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_units.c LIBS nwcli LABELS cli)
add_test(NAME cli.conventions COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/conventions_cli.sh $<TARGET_FILE:nw>)
set_tests_properties(cli.conventions PROPERTIES LABELS cli TIMEOUT 120)
add_test(NAME cli.tx COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/tx_cli.sh $<TARGET_FILE:nw>)
set_tests_properties(cli.tx PROPERTIES LABELS cli TIMEOUT 120)
add_test(NAME cli.keystore COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/keystore_cli.sh $<TARGET_FILE:nw>)
set_tests_properties(cli.keystore PROPERTIES LABELS cli TIMEOUT 300)
if(TARGET nw-devaws)
    find_program(NW_CLI_PYTHON NAMES python3)
    if(NW_CLI_PYTHON)
        add_test(NAME cli.aws COMMAND ${NW_CLI_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/aws_cli.py
            $<TARGET_FILE:nw-devaws> $<TARGET_FILE:nw>)
        set_tests_properties(cli.aws PROPERTIES LABELS "cli;integration" TIMEOUT 180)
    endif()
endif()
