# nw-devaws integration tests (label integration). AWS's own SDK is Debian's python3-boto3
# (/usr/bin/python3); a python3 elsewhere on PATH is the fallback.
if(TARGET nw-devaws)
    find_program(NW_DEVAWS_PYTHON NAMES python3 PATHS /usr/bin NO_DEFAULT_PATH)
    if(NOT NW_DEVAWS_PYTHON)
        find_program(NW_DEVAWS_PYTHON NAMES python3)
    endif()
    if(NW_DEVAWS_PYTHON)
        add_test(NAME integration.devaws_boto3
            COMMAND ${NW_DEVAWS_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/devaws_boto3.py
                    $<TARGET_FILE:nw-devaws> $<TARGET_FILE:nw>)
        set_tests_properties(integration.devaws_boto3 PROPERTIES LABELS integration TIMEOUT 180)
        add_test(NAME integration.devaws_models
            COMMAND ${NW_DEVAWS_PYTHON} ${CMAKE_CURRENT_LIST_DIR}/devaws_models.py
                    $<TARGET_FILE:nw-devaws> ${NW_TESTDATA_DIR}/aws-models $<TARGET_FILE:nw>)
        set_tests_properties(integration.devaws_models PROPERTIES LABELS integration TIMEOUT 180
            SKIP_RETURN_CODE 77)
    else()
        message(WARNING "python3 not found: nw-devaws integration tests not registered")
    endif()
endif()
