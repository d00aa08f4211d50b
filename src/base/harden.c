/*
 * Process hardening for the daemons.
 */
#include <sys/prctl.h>
#include <sys/resource.h>

#include <nw/log.h>

int nw_daemon_harden(void)
{
    struct rlimit rl = {0, 0};
    int rc = 0;
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        rc = -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        rc = -1;
    return rc;
}
