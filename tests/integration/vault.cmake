# libnwvault against nw-devaws + its NSM simulator (label integration), in both KMS modes: the
# relay through kms_relay_driver (nw_kms_relay_handle, the host half) and direct TLS.
if(TARGET nwvault)
    # A stand-in for nw-host's relay, also used by the enclave's tests.
    add_executable(kms_relay_driver ${CMAKE_CURRENT_LIST_DIR}/kms_relay_driver.c)
    target_include_directories(kms_relay_driver PRIVATE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(kms_relay_driver PRIVATE nwaws nwbase nw_warnings)
endif()
if(TARGET nw-devaws AND TARGET kms_relay_driver AND CMOCKA_FOUND)
    add_executable(vault_it ${CMAKE_CURRENT_LIST_DIR}/vault_it.c)
    target_include_directories(vault_it PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/tests/lib)
    target_link_libraries(vault_it PRIVATE nwvault nwattest nwaws nwtestlib PkgConfig::CMOCKA
        nw_warnings)
    add_test(NAME integration.vault
        COMMAND vault_it $<TARGET_FILE:nw-devaws> $<TARGET_FILE:kms_relay_driver>)
    set_tests_properties(integration.vault PROPERTIES LABELS integration TIMEOUT 300)
endif()
