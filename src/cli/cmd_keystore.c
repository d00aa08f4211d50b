#include "cli.h"
const struct nw_cli_cmd nw_cli_cmds_keystore[] = {{NULL, NULL, NULL}};
