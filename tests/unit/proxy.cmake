# nw-proxy configuration (command line, allowlist YAML).
nw_add_unit_test(proxy_config SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_proxy_config.c LIBS nwproxycfg)
