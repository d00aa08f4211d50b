/*
 * nw commands of the aws area.
 */
#include "cli.h"

const struct nw_cli_cmd nw_cli_cmds_aws[] = {
    {NULL, NULL, NULL},
};
