# Deployment (issue 14, label deploy): the CDK app (assertions tests, cdk synth under cdk-nag),
# the enclave image (reproducible, no shell, runs from itself in a chroot without network),
# nw-init, the parent's bundle, setup and enclave runner, scripts/aws, shellcheck on every shell
# script. Nothing calls AWS. Cases live in deploy_test.sh; 77 means skipped (said on stderr).
set(NW_DEPLOY_CASES infra_unit infra_synth rootfs_reproducible rootfs_contents rootfs_chroot
    init_supervise host_bundle host_setup host_runner aws_pcrs aws_key_policy aws_asg_instances
    lambda_stage shellcheck)
foreach(case ${NW_DEPLOY_CASES})
    add_test(NAME deploy.${case}
        COMMAND sh ${CMAKE_CURRENT_LIST_DIR}/deploy_test.sh ${case} ${PROJECT_BINARY_DIR}
        WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(deploy.${case} PROPERTIES LABELS deploy TIMEOUT 600 SKIP_RETURN_CODE 77)
endforeach()
# The image and bundle cases package binaries of this build tree.
foreach(case rootfs_reproducible rootfs_contents rootfs_chroot host_bundle host_setup init_supervise)
    set_tests_properties(deploy.${case} PROPERTIES REQUIRED_FILES
        "${PROJECT_BINARY_DIR}/src/init/nw-init;${PROJECT_BINARY_DIR}/src/proxy/nw-proxy")
endforeach()
# The two infra cases share infra/dist (tsc output): one at a time.
set_tests_properties(deploy.infra_unit deploy.infra_synth PROPERTIES RESOURCE_LOCK nw_infra_dist)
# tsc and three CLI synths take minutes on a shared 2-core machine.
set_tests_properties(deploy.infra_unit deploy.infra_synth PROPERTIES TIMEOUT 900)
