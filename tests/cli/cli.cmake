# The nw CLI (issue 13 points 4-14, issue 9 point 4), label cli: unit tests of the pieces under
# it, and shell/Python scripts that drive the real binaries.
nw_add_unit_test(cli SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_cli_units.c LIBS nwcli LABELS cli)
set(nw_conv_bins)
foreach(b nw-devaws nw-proxy nw-enclave nw-host nw-init nw-lambda)
    if(TARGET ${b})
        list(APPEND nw_conv_bins $<TARGET_FILE:${b}>)
    endif()
endforeach()
add_test(NAME cli.conventions COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/conventions_cli.sh $<TARGET_FILE:nw>
    ${nw_conv_bins})
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
# Point 14: `cmake --install` puts the binaries in a prefix, and they run from there.
add_test(NAME cli.install COMMAND sh -c
    "d=$(mktemp -d) && trap 'rm -rf \"$d\"' EXIT && \"${CMAKE_COMMAND}\" --install \"${PROJECT_BINARY_DIR}\" --prefix \"$d\" >/dev/null && \"$d/bin/nw\" --version | grep -q '^nw ' && test -x \"$d/bin/nw-devaws\" && test -x \"$d/bin/nw-proxy\" && echo 'install: nw, nw-devaws, nw-proxy in PREFIX/bin'")
set_tests_properties(cli.install PROPERTIES LABELS cli TIMEOUT 60)
# Point 14: docs/cli.md shows every command `nw --help` lists.
add_test(NAME cli.docs COMMAND sh -c
    "\"$0\" --help | sed -n 's/^  \\([a-z][a-z0-9-]*\\( [a-z][a-z0-9-]*\\)\\?\\)  .*/\\1/p' | while IFS= read -r c; do grep -q \"nw $c\" \"$1\" || { echo \"docs/cli.md lacks nw $c\"; exit 1; }; done && echo 'docs/cli.md: every command shown'"
    $<TARGET_FILE:nw> ${PROJECT_SOURCE_DIR}/docs/cli.md)
set_tests_properties(cli.docs PROPERTIES LABELS cli TIMEOUT 30)
