/*
 * nw-devaws listeners (http.c): one libnwhttpd server per listen socket.
 */
#ifndef NW_DEVAWS_HTTP_H
#define NW_DEVAWS_HTTP_H

#include <stdbool.h>

#include <nw/err.h>

struct nw_dv_config;
struct nw_httpd;

struct nw_dv_listener {
    const struct nw_dv_config *cfg;
    bool imds; /* IMDS (plain HTTP) or the KMS/Secrets Manager front (HTTPS) */
    int fd;    /* listening socket, made by nw_net_listen; the server closes it on stop */
    struct nw_httpd *server;
};

/* Serve l->fd; TLS when cert_pem is not NULL. Returns NW_ERR_NET_LISTEN, NW_ERR_UNSUPPORTED. */
nw_err nw_dv_listener_start(struct nw_dv_listener *l, const char *cert_pem, const char *key_pem)
    NW_MUST_USE;
void nw_dv_listener_stop(struct nw_dv_listener *l);

#endif /* NW_DEVAWS_HTTP_H */
