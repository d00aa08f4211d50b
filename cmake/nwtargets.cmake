# Helpers every module uses, so that adding a module touches only its own files.

# nw_add_library(NAME SOURCES... LIBS ...): a static library with the project's warnings.
function(nw_add_library name)
    cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
    add_library(${name} STATIC ${A_SOURCES})
    target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR}/include
        PRIVATE ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${name} PUBLIC ${A_LIBS} PRIVATE nw_warnings)
endfunction()

# nw_add_binary(NAME SOURCES... LIBS ...)
function(nw_add_binary name)
    cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
    add_executable(${name} ${A_SOURCES})
    target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR}/include ${CMAKE_CURRENT_SOURCE_DIR})
    target_link_libraries(${name} PRIVATE ${A_LIBS} nw_warnings)
endfunction()

# nw_add_unit_test(MODULE SOURCES... LIBS ...): cmocka executable test_<module>,
# registered as unit.<module> with label unit.
function(nw_add_unit_test module)
    cmake_parse_arguments(A "" "" "SOURCES;LIBS;LABELS" ${ARGN})
    if(NOT CMOCKA_FOUND)
        message(WARNING "cmocka not found: unit.${module} not built")
        return()
    endif()
    add_executable(test_${module} ${A_SOURCES})
    target_include_directories(test_${module} PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/tests/lib ${PROJECT_SOURCE_DIR}/src)
    target_compile_definitions(test_${module} PRIVATE
        NW_TESTDATA_DIR="${NW_TESTDATA_DIR}" NW_SOURCE_DIR="${PROJECT_SOURCE_DIR}"
        NW_BINARY_DIR="${PROJECT_BINARY_DIR}")
    target_link_libraries(test_${module} PRIVATE ${A_LIBS} nwtestlib PkgConfig::CMOCKA nw_warnings)
    add_test(NAME unit.${module} COMMAND test_${module})
    set_tests_properties(unit.${module} PROPERTIES LABELS "unit;${A_LABELS}" TIMEOUT 300)
endfunction()

# nw_add_fuzz_target(TARGET SOURCES... LIBS ...): fuzz_<target>.  With NW_FUZZ it is a libFuzzer
# binary run for a few seconds on its corpus (label fuzz); always, a replay binary runs the corpus
# as an ordinary test (label fuzz-replay), so gcc builds exercise it too.
function(nw_add_fuzz_target target)
    cmake_parse_arguments(A "" "" "SOURCES;LIBS" ${ARGN})
    set(corpus ${PROJECT_SOURCE_DIR}/tests/fuzz/corpus/${target})
    add_executable(replay_${target} ${A_SOURCES} ${PROJECT_SOURCE_DIR}/tests/fuzz/replay_main.c)
    target_include_directories(replay_${target} PRIVATE ${PROJECT_SOURCE_DIR}/include
        ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests/lib)
    target_link_libraries(replay_${target} PRIVATE ${A_LIBS} nw_warnings)
    add_test(NAME fuzz-replay.${target} COMMAND replay_${target} ${corpus})
    set_tests_properties(fuzz-replay.${target} PROPERTIES LABELS "fuzz-replay" TIMEOUT 300)
    if(NW_FUZZ)
        add_executable(fuzz_${target} ${A_SOURCES})
        target_include_directories(fuzz_${target} PRIVATE ${PROJECT_SOURCE_DIR}/include
            ${PROJECT_SOURCE_DIR}/src ${PROJECT_SOURCE_DIR}/tests/lib)
        target_link_libraries(fuzz_${target} PRIVATE ${A_LIBS} nw_warnings)
        target_link_options(fuzz_${target} PRIVATE -fsanitize=fuzzer)
        file(MAKE_DIRECTORY ${PROJECT_BINARY_DIR}/fuzz-corpus/${target})
        add_test(NAME fuzz.${target} COMMAND fuzz_${target} -max_total_time=${NW_FUZZ_SECONDS}
            -timeout=10 -rss_limit_mb=2048 ${PROJECT_BINARY_DIR}/fuzz-corpus/${target} ${corpus})
        set_tests_properties(fuzz.${target} PROPERTIES LABELS "fuzz" TIMEOUT 600)
    endif()
endfunction()
set(NW_FUZZ_SECONDS 20 CACHE STRING "Seconds each libFuzzer target runs under ctest")
