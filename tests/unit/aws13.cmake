# AWS configuration as the AWS CLI reads it, and plain-http endpoint refusal (issue 13).
nw_add_unit_test(aws_profile SOURCES ${CMAKE_CURRENT_LIST_DIR}/test_aws_profile.c LIBS nwaws)
