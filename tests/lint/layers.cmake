# Layer rules on the built artefacts (tools/lint/linkage.sh): nw-proxy links base and net only,
# base/net/core reach nothing above them, no development-only symbol in libnwattest/libnwaws.
# Sanitizer builds add runtime libraries, and the asan preset skips the label lint anyway.
if(TARGET nw-proxy AND TARGET nwsim AND NOT NW_SANITIZE)
    add_test(NAME lint.linkage COMMAND ${PROJECT_SOURCE_DIR}/tools/lint/linkage.sh
        ${CMAKE_NM} $<TARGET_FILE:nw-proxy> ${PROJECT_BINARY_DIR})
    set_tests_properties(lint.linkage PROPERTIES LABELS "lint;linkage" TIMEOUT 120)
endif()
