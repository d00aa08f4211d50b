# libnwstore against a real PostgreSQL 15 with TLS: each case starts its own cluster through
# tests/lib/pgtest.sh (as the postgres user, on a free port) and stops it. Skipped (77) without
# root or PostgreSQL.
if(TARGET nwstore)
    find_package(Threads REQUIRED)
    add_executable(store_it ${CMAKE_CURRENT_LIST_DIR}/store_it.c)
    target_include_directories(store_it PRIVATE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(store_it PRIVATE nwstore nwcore PkgConfig::PQ Threads::Threads nw_warnings)
    foreach(case migrate keys audit_required db_down best_effort off append_only tls demo)
        add_test(NAME integration.store.${case}
            COMMAND ${CMAKE_CURRENT_LIST_DIR}/store_run.sh $<TARGET_FILE:store_it> ${case})
        set_tests_properties(integration.store.${case} PROPERTIES LABELS integration TIMEOUT 180
            SKIP_RETURN_CODE 77)
    endforeach()
endif()

# bench/store.sh's driver (built here so that the store's files stay together).
if(TARGET nwstore)
    add_executable(bench_store ${PROJECT_SOURCE_DIR}/bench/store.c)
    target_include_directories(bench_store PRIVATE ${PROJECT_SOURCE_DIR}/include)
    target_link_libraries(bench_store PRIVATE nwstore nwcore Threads::Threads nw_warnings)
endif()
