/*
 * --bring-up-loopback: an enclave boots with `lo` down and its image has no shell tools (no `ip`),
 * so nw-enclave sets IFF_UP on lo itself, as `ip link set lo up` does: SIOCGIFFLAGS, then
 * SIOCSIFFLAGS with IFF_UP added (netdevice(7)). Needs CAP_NET_ADMIN in the network namespace.
 */
#include <errno.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "enclave_int.h"

int nw_enc_loopback_up(void)
{
    struct ifreq ifr;
    int s = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (s < 0)
        return errno;
    memset(&ifr, 0, sizeof(ifr));
    memcpy(ifr.ifr_name, "lo", 3);
    int rc = 0;
    if (ioctl(s, SIOCGIFFLAGS, &ifr) != 0) {
        rc = errno;
    } else if (!(ifr.ifr_flags & IFF_UP)) {
        ifr.ifr_flags = (short)(ifr.ifr_flags | IFF_UP);
        if (ioctl(s, SIOCSIFFLAGS, &ifr) != 0)
            rc = errno;
    }
    (void)close(s);
    return rc;
}
