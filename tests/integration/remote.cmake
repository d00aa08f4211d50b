# `nw remote ...` against the dev stack of scripts/demo (labels e2e and integration).
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET nw-host AND TARGET nw)
    foreach(case commands errors)
        add_test(NAME e2e.remote.${case}
            COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/remote_e2e.py
                ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} ${case})
        set_tests_properties(e2e.remote.${case} PROPERTIES LABELS "e2e;integration" TIMEOUT 400
            SKIP_RETURN_CODE 77 RESOURCE_LOCK nw_e2e_stack)
    endforeach()
endif()
