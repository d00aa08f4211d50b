/*
 * nw commands of the msg area.
 */
#include "cli.h"

const struct nw_cli_cmd nw_cli_cmds_msg[] = {
    {NULL, NULL, NULL},
};
