/*
 * nw commands of the tx area.
 */
#include "cli.h"

const struct nw_cli_cmd nw_cli_cmds_tx[] = {
    {NULL, NULL, NULL},
};
