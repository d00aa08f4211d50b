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
    X(NW_ERR_ADDR_NOT_NUMERIC,   408, "address needs name resolution") \
    X(NW_ERR_PROXY_USAGE,        409, "unknown option, missing argument or bad option value") \
    X(NW_ERR_PROXY_NUMBER,       410, "numeric option out of range") \
    X(NW_ERR_PROXY_CONFIG_READ,  411, "configuration file unreadable") \
    X(NW_ERR_PROXY_CONFIG_YAML,  412, "configuration file is not valid YAML") \
    X(NW_ERR_PROXY_ALLOWLIST,    413, "allowlist malformed (expected allowlist: - {address: HOST, port: N})") \
    X(NW_ERR_PROXY_DENIED,       414, "target not in the allowlist") \
    X(NW_ERR_PROXY_NUL,          430, "NUL character inside an allowlist key or value") \
    X(NW_ERR_PROXY_DUP_KEY,      431, "duplicate key in an allowlist mapping") \
    X(NW_ERR_WIRE_CLOSED,        420, "peer closed the connection between frames") \
    X(NW_ERR_WIRE_TRUNCATED,     421, "peer closed the connection in the middle of a frame") \
    X(NW_ERR_WIRE_LENGTH,        422, "frame length is zero or above the limit") \
    X(NW_ERR_WIRE_UTF8,          423, "frame payload is not valid UTF-8")
/* clang-format on */

#endif /* NW_ERR_NET_H */
