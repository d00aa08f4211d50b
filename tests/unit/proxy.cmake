# nw-proxy configuration (command line, allowlist YAML).
nw_add_unit_test(proxy_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_proxy_config.c LIBS nwproxycfg)
# Exit status 2 for bad listen addresses and allowlists (issue 13a).
if(TARGET nw-proxy)
    add_test(NAME unit.proxy_exit COMMAND ${CMAKE_CURRENT_LIST_DIR}/proxy_exit.sh $<TARGET_FILE:nw-proxy>)
    set_tests_properties(unit.proxy_exit PROPERTIES LABELS unit TIMEOUT 60)
endif()
