# Layer rules on the built artefacts (tools/lint/linkage.sh): nw-proxy links base and net only,
# base/net/core reach nothing above them, no development-only symbol in libnwattest/libnwaws.
# Sanitizer builds add runtime libraries, and the asan preset skips the label lint anyway.
if(TARGET nw-proxy AND TARGET nwsim AND NOT NW_SANITIZE)
    add_test(NAME lint.linkage COMMAND ${PROJECT_SOURCE_DIR}/tools/lint/linkage.sh
        ${CMAKE_NM} $<TARGET_FILE:nw-proxy> ${PROJECT_BINARY_DIR})
    set_tests_properties(lint.linkage PROPERTIES LABELS "lint;linkage" TIMEOUT 120)
endif()

# clang-tidy 14 with the repository's .clang-tidy over src/ (zero findings; suppressions are
# NOLINT comments with a reason). About a minute on two idle cores.
find_program(NW_CLANG_TIDY NAMES clang-tidy-14)
if(NW_CLANG_TIDY)
    add_test(NAME lint.tidy COMMAND ${PROJECT_SOURCE_DIR}/tools/lint/tidy.sh ${NW_CLANG_TIDY}
        ${PROJECT_BINARY_DIR} WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(lint.tidy PROPERTIES LABELS lint TIMEOUT 1200)
else()
    message(WARNING "clang-tidy-14 not found: lint.tidy not registered")
endif()
