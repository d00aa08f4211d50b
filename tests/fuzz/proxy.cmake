# Address and allowlist YAML parsers (nw-proxy's configuration inputs).
nw_add_fuzz_target(addr SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_addr.c LIBS nwnet)
nw_add_fuzz_target(proxy_allowlist SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_proxy_allowlist.c
    LIBS nwproxycfg)
