/*
 * Error codes of one area: addresses, sockets, framing, proxy (400s).
 * X(NAME, NUMBER, "description"); see <nw/err_list.h> for the rules.
 */
#ifndef NW_ERR_NET_H
#define NW_ERR_NET_H

/* clang-format off */
#define NW_ERRORS_NET(X) \
    X(NW_ERR_ADDR_SYNTAX,        400, "malformed address (expected tcp:HOST:PORT, unix:/PATH or vsock:CID:PORT)") \
    X(NW_ERR_ADDR_PORT,          401, "port out of range") \
    X(NW_ERR_ADDR_PATH,          402, "unix socket path empty or too long") \
    X(NW_ERR_ADDR_RESOLVE,       403, "host name did not resolve") \
    X(NW_ERR_ADDR_CID,           404, "vsock CID out of range") \
    X(NW_ERR_NET_SOCKET,         405, "socket could not be created") \
    X(NW_ERR_NET_CONNECT,        406, "connection failed") \
    X(NW_ERR_NET_LISTEN,         407, "cannot listen on address") \
    X(NW_ERR_ADDR_NOT_NUMERIC,   408, "address needs name resolution")
/* clang-format on */

#endif /* NW_ERR_NET_H */
