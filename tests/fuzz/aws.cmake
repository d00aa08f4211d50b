# libnwaws fuzz targets (seeds in tests/fuzz/corpus/aws_response/).
nw_add_fuzz_target(aws_response SOURCES ${CMAKE_CURRENT_LIST_DIR}/fuzz_aws_response.c LIBS nwaws nwsim)
