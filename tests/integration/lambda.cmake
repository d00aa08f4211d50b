# nw-lambda end to end (label integration): a Runtime API stand-in drives the real bootstrap
# against nw-devaws and an HTTPS stand-in for nw-host, then the zip in an empty chroot.
if(TARGET nw-lambda AND TARGET nw-devaws)
    find_program(NW_LAMBDA_PYTHON NAMES python3)
    add_test(NAME integration.lambda
        COMMAND ${NW_LAMBDA_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/lambda_it.py
                $<TARGET_FILE:nw-lambda> $<TARGET_FILE:nw-devaws>
                ${PROJECT_BINARY_DIR}/src/lambda/nw-lambda.zip)
    set_tests_properties(integration.lambda PROPERTIES LABELS integration TIMEOUT 240)
endif()
# nw-lambda against the whole dev stack (label e2e): set_key, get_key, sign_transaction (the
# sender recovered is the key just set), generate_key and a signature by its id.
find_package(Python3 COMPONENTS Interpreter)
if(Python3_FOUND AND TARGET nw-lambda AND TARGET nw-host AND TARGET nw)
    add_test(NAME e2e.lambda.stack
        COMMAND ${Python3_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/lambda_e2e.py
            ${PROJECT_SOURCE_DIR} ${PROJECT_BINARY_DIR} stack)
    set_tests_properties(e2e.lambda.stack PROPERTIES LABELS "e2e;integration" TIMEOUT 300
        SKIP_RETURN_CODE 77 RESOURCE_LOCK nw_e2e_stack)
endif()
