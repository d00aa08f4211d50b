/*
 * nw commands of the attest area.
 */
#include "cli.h"

const struct nw_cli_cmd nw_cli_cmds_attest[] = {
    {NULL, NULL, NULL},
};
