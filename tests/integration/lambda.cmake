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
