/*
 * Endpoint addresses in the one syntax every listen/connect option takes (DESIGN.md section 2):
 *
 *   tcp:HOST:PORT       HOST a name, an IPv4 literal, or [IPv6] in brackets; PORT 0..65535
 *   unix:/PATH          a filesystem socket path (absolute or relative, < 108 bytes)
 *   vsock:CID:PORT      CID a number or "any"; PORT 0..2^32-2
 *
 * Parsing and formatting are pure; the socket helpers do blocking I/O and are meant for clients
 * and set-up code (event loops make their own non-blocking sockets from nw_addr_sockaddr).
 */
#ifndef NW_ADDR_H
#define NW_ADDR_H

#include <stdbool.h>
#include <sys/socket.h>

#include <nw/err.h>

enum nw_addr_kind { NW_ADDR_TCP = 1, NW_ADDR_UNIX = 2, NW_ADDR_VSOCK = 3 };

#define NW_ADDR_HOST_MAX 254 /* a DNS name is at most 253 characters */
#define NW_ADDR_PATH_MAX 108 /* sizeof(sun_path), NUL included */
#define NW_ADDR_TEXT_MAX 400 /* enough for any formatted address */

struct nw_addr {
    enum nw_addr_kind kind;
    char host[NW_ADDR_HOST_MAX]; /* tcp: name or literal, without brackets */
    uint16_t port;               /* tcp */
    char path[NW_ADDR_PATH_MAX]; /* unix */
    uint32_t cid;                /* vsock: VMADDR_CID_ANY (0xFFFFFFFF) for "any" */
    uint32_t vport;              /* vsock */
};

/*
 * Parse text into *out (zeroed first).
 * Returns: NW_ERR_ADDR_SYNTAX, NW_ERR_ADDR_PORT, NW_ERR_ADDR_PATH, NW_ERR_ADDR_CID.
 */
nw_err nw_addr_parse(struct nw_addr *out, const char *text) NW_MUST_USE NW_NONNULL(1, 2);

/* Format back to the canonical text ("tcp:[::1]:80"); out must hold NW_ADDR_TEXT_MAX bytes. */
void nw_addr_format(char out[NW_ADDR_TEXT_MAX], const struct nw_addr *a) NW_NONNULL(1, 2);

/*
 * Build the socket address for a unix or vsock address, or a tcp address whose host is a
 * numeric literal. Out: ss, len. Returns NW_ERR_ADDR_NOT_NUMERIC for a tcp host name
 * (resolve it with nw_addr_resolve).
 */
nw_err nw_addr_sockaddr(const struct nw_addr *a, struct sockaddr_storage *ss, socklen_t *len)
    NW_MUST_USE NW_NONNULL(1, 2, 3);

/* The socket domain (AF_INET, AF_INET6, AF_UNIX, AF_VSOCK) of a built socket address. */
int nw_addr_family(const struct sockaddr_storage *ss) NW_NONNULL(1);

/*
 * Resolve a tcp address (blocking getaddrinfo) into up to max socket addresses, in the
 * resolver's order (family AF_UNSPEC, AF_INET or AF_INET6). Unix/vsock give their one address.
 * Out: ss[0..*n), lens. Returns NW_ERR_ADDR_RESOLVE when nothing resolves.
 */
nw_err nw_addr_resolve(const struct nw_addr *a,
                       int family,
                       struct sockaddr_storage *ss,
                       socklen_t *lens,
                       size_t max,
                       size_t *n) NW_MUST_USE NW_NONNULL(1, 3, 4, 6);

/* Format a socket address as "tcp:1.2.3.4:5", "tcp:[::1]:5", "unix:/p", "vsock:3:8000". */
void nw_sockaddr_format(char out[NW_ADDR_TEXT_MAX],
                        const struct sockaddr_storage *ss,
                        socklen_t len) NW_NONNULL(1, 2);

/*
 * Listen on a (blocking set-up; the socket is returned non-blocking and close-on-exec, with
 * SO_REUSEADDR for tcp; a stale unix socket file is replaced only if it is a socket).
 * Out: *fd. Returns NW_ERR_NET_SOCKET, NW_ERR_NET_LISTEN, resolution errors.
 */
nw_err nw_net_listen(const struct nw_addr *a, int backlog, int *fd) NW_MUST_USE NW_NONNULL(1, 3);

/*
 * Connect to a (trying every resolved address in order) within timeout_ms.
 * Out: *fd, a blocking close-on-exec socket. Returns NW_ERR_NET_CONNECT, NW_ERR_TIMEOUT, ...
 * Never use with vsock addresses on machines without an enclave.
 */
nw_err nw_net_connect(const struct nw_addr *a, int timeout_ms, int *fd)
    NW_MUST_USE NW_NONNULL(1, 3);

#endif /* NW_ADDR_H */
