# core-tx fuzz targets (tests/fuzz/fuzz_<target>.c, seeds in tests/fuzz/corpus/<target>/).
foreach(t tx_dict rlp tx_decode)
    nw_add_fuzz_target(${t} SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_${t}.c LIBS nwcore)
endforeach()
