/*
 * Address parsing and socket set-up for tcp:, unix: and vsock: endpoints.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/vm_sockets.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nw/addr.h>

/* Parse a decimal number of at most max; the whole span must be digits. */
static bool parse_num(const char *s, size_t n, uint64_t max, uint64_t *out)
{
    uint64_t v = 0;
    if (n == 0 || n > 20)
        return false;
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
        if (v > max)
            return false;
    }
    *out = v;
    return true;
}

static nw_err parse_tcp(struct nw_addr *out, const char *s)
{
    const char *colon;
    size_t hlen;
    const char *host = s;
    if (s[0] == '[') {
        const char *close = strchr(s, ']');
        if (close == NULL || close[1] != ':')
            return NW_ERR_ADDR_SYNTAX;
        host = s + 1;
        hlen = (size_t)(close - host);
        colon = close + 1;
        struct in6_addr a6;
        char tmp[NW_ADDR_HOST_MAX];
        if (hlen == 0 || hlen >= sizeof(tmp))
            return NW_ERR_ADDR_SYNTAX;
        memcpy(tmp, host, hlen);
        tmp[hlen] = '\0';
        if (inet_pton(AF_INET6, tmp, &a6) != 1)
            return NW_ERR_ADDR_SYNTAX;
    } else {
        colon = strrchr(s, ':');
        if (colon == NULL)
            return NW_ERR_ADDR_SYNTAX;
        hlen = (size_t)(colon - s);
        /* An unbracketed IPv6 literal is ambiguous with the port separator. */
        if (memchr(s, ':', hlen) != NULL)
            return NW_ERR_ADDR_SYNTAX;
    }
    if (hlen == 0 || hlen >= sizeof(out->host))
        return NW_ERR_ADDR_SYNTAX;
    for (size_t i = 0; i < hlen; i++) {
        unsigned char c = (unsigned char)host[i];
        if (c <= ' ' || c >= 0x7f || c == '/' || c == '[' || c == ']')
            return NW_ERR_ADDR_SYNTAX;
    }
    uint64_t port;
    if (!parse_num(colon + 1, strlen(colon + 1), 65535, &port))
        return colon[1] == '\0' ? NW_ERR_ADDR_SYNTAX : NW_ERR_ADDR_PORT;
    memcpy(out->host, host, hlen);
    out->host[hlen] = '\0';
    out->port = (uint16_t)port;
    out->kind = NW_ADDR_TCP;
    return NW_OK;
}

static nw_err parse_vsock(struct nw_addr *out, const char *s)
{
    const char *colon = strchr(s, ':');
    if (colon == NULL || strchr(colon + 1, ':') != NULL)
        return NW_ERR_ADDR_SYNTAX;
    size_t clen = (size_t)(colon - s);
    uint64_t cid, port;
    if (clen == 3 && memcmp(s, "any", 3) == 0)
        cid = UINT32_MAX; /* VMADDR_CID_ANY */
    else if (!parse_num(s, clen, 0xFFFFFFFEu, &cid))
        return clen == 0 ? NW_ERR_ADDR_SYNTAX : NW_ERR_ADDR_CID;
    /* Port 0xFFFFFFFF is VMADDR_PORT_ANY: not a usable fixed port. */
    if (!parse_num(colon + 1, strlen(colon + 1), 0xFFFFFFFEu, &port))
        return colon[1] == '\0' ? NW_ERR_ADDR_SYNTAX : NW_ERR_ADDR_PORT;
    out->kind = NW_ADDR_VSOCK;
    out->cid = (uint32_t)cid;
    out->vport = (uint32_t)port;
    return NW_OK;
}

nw_err nw_addr_parse(struct nw_addr *out, const char *text)
{
    memset(out, 0, sizeof(*out));
    nw_err err = NW_ERR_ADDR_SYNTAX;
    if (strncmp(text, "tcp:", 4) == 0) {
        err = parse_tcp(out, text + 4);
    } else if (strncmp(text, "unix:", 5) == 0) {
        size_t n = strlen(text + 5);
        if (n == 0 || n >= sizeof(out->path)) {
            err = NW_ERR_ADDR_PATH;
        } else {
            memcpy(out->path, text + 5, n + 1);
            out->kind = NW_ADDR_UNIX;
            err = NW_OK;
        }
    } else if (strncmp(text, "vsock:", 6) == 0) {
        err = parse_vsock(out, text + 6);
    }
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

void nw_addr_format(char out[NW_ADDR_TEXT_MAX], const struct nw_addr *a)
{
    switch (a->kind) {
        case NW_ADDR_TCP:
            if (strchr(a->host, ':') != NULL)
                (void)snprintf(out, NW_ADDR_TEXT_MAX, "tcp:[%s]:%u", a->host, (unsigned)a->port);
            else
                (void)snprintf(out, NW_ADDR_TEXT_MAX, "tcp:%s:%u", a->host, (unsigned)a->port);
            break;
        case NW_ADDR_UNIX:
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "unix:%s", a->path);
            break;
        case NW_ADDR_VSOCK:
            if (a->cid == VMADDR_CID_ANY)
                (void)snprintf(out, NW_ADDR_TEXT_MAX, "vsock:any:%u", (unsigned)a->vport);
            else
                (void)snprintf(out, NW_ADDR_TEXT_MAX, "vsock:%u:%u", (unsigned)a->cid,
                               (unsigned)a->vport);
            break;
        default:
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "invalid:");
    }
}

nw_err nw_addr_sockaddr(const struct nw_addr *a, struct sockaddr_storage *ss, socklen_t *len)
{
    memset(ss, 0, sizeof(*ss));
    *len = 0;
    if (a->kind == NW_ADDR_UNIX) {
        struct sockaddr_un *un = (struct sockaddr_un *)ss;
        un->sun_family = AF_UNIX;
        memcpy(un->sun_path, a->path, strlen(a->path) + 1);
        *len = (socklen_t)sizeof(*un);
        return NW_OK;
    }
    if (a->kind == NW_ADDR_VSOCK) {
        struct sockaddr_vm *vm = (struct sockaddr_vm *)ss;
        vm->svm_family = AF_VSOCK;
        vm->svm_cid = a->cid;
        vm->svm_port = a->vport;
        *len = (socklen_t)sizeof(*vm);
        return NW_OK;
    }
    if (a->kind != NW_ADDR_TCP)
        return NW_ERR_ADDR_SYNTAX;
    struct sockaddr_in *in4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    if (inet_pton(AF_INET, a->host, &in4->sin_addr) == 1) {
        in4->sin_family = AF_INET;
        in4->sin_port = htons(a->port);
        *len = (socklen_t)sizeof(*in4);
        return NW_OK;
    }
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET6, a->host, &in6->sin6_addr) == 1) {
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(a->port);
        *len = (socklen_t)sizeof(*in6);
        return NW_OK;
    }
    memset(ss, 0, sizeof(*ss));
    return NW_ERR_ADDR_NOT_NUMERIC;
}

int nw_addr_family(const struct sockaddr_storage *ss)
{
    return ss->ss_family;
}

nw_err nw_addr_resolve(const struct nw_addr *a,
                       int family,
                       struct sockaddr_storage *ss,
                       socklen_t *lens,
                       size_t max,
                       size_t *n)
{
    *n = 0;
    if (max == 0)
        return NW_ERR_INVALID_ARG;
    nw_err err = nw_addr_sockaddr(a, &ss[0], &lens[0]);
    if (err == NW_OK) {
        *n = 1;
        return NW_OK;
    }
    if (err != NW_ERR_ADDR_NOT_NUMERIC)
        return err;
    struct addrinfo hints, *res = NULL;
    memset(&hints, 0, sizeof(hints));
    hints.ai_family = family;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_NUMERICSERV;
    char port[8];
    (void)snprintf(port, sizeof(port), "%u", (unsigned)a->port);
    if (getaddrinfo(a->host, port, &hints, &res) != 0 || res == NULL)
        return NW_ERR_ADDR_RESOLVE;
    for (struct addrinfo *ai = res; ai != NULL && *n < max; ai = ai->ai_next) {
        if (ai->ai_addrlen > sizeof(ss[0]))
            continue;
        memset(&ss[*n], 0, sizeof(ss[0]));
        memcpy(&ss[*n], ai->ai_addr, ai->ai_addrlen);
        lens[*n] = ai->ai_addrlen;
        (*n)++;
    }
    freeaddrinfo(res);
    return *n > 0 ? NW_OK : NW_ERR_ADDR_RESOLVE;
}

void nw_sockaddr_format(char out[NW_ADDR_TEXT_MAX],
                        const struct sockaddr_storage *ss,
                        socklen_t len)
{
    char host[INET6_ADDRSTRLEN];
    switch (ss->ss_family) {
        case AF_INET: {
            const struct sockaddr_in *in4 = (const struct sockaddr_in *)ss;
            (void)inet_ntop(AF_INET, &in4->sin_addr, host, sizeof(host));
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "tcp:%s:%u", host, ntohs(in4->sin_port));
            break;
        }
        case AF_INET6: {
            const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
            (void)inet_ntop(AF_INET6, &in6->sin6_addr, host, sizeof(host));
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "tcp:[%s]:%u", host, ntohs(in6->sin6_port));
            break;
        }
        case AF_UNIX: {
            const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
            size_t max = len > offsetof(struct sockaddr_un, sun_path)
                             ? (size_t)len - offsetof(struct sockaddr_un, sun_path)
                             : 0;
            if (max > sizeof(un->sun_path))
                max = sizeof(un->sun_path);
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "unix:%.*s", (int)strnlen(un->sun_path, max),
                           un->sun_path);
            break;
        }
        case AF_VSOCK: {
            const struct sockaddr_vm *vm = (const struct sockaddr_vm *)ss;
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "vsock:%u:%u", (unsigned)vm->svm_cid,
                           (unsigned)vm->svm_port);
            break;
        }
        default:
            (void)snprintf(out, NW_ADDR_TEXT_MAX, "unknown:");
    }
}

static nw_err listen_one(const struct sockaddr_storage *ss, socklen_t len, int backlog, int *fd)
{
    int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return NW_ERR_NET_SOCKET;
    int one = 1;
    if (ss->ss_family == AF_INET || ss->ss_family == AF_INET6)
        (void)setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ss->ss_family == AF_UNIX) {
        /* Replace a stale socket file, never any other kind of file. */
        const struct sockaddr_un *un = (const struct sockaddr_un *)ss;
        struct stat st;
        if (lstat(un->sun_path, &st) == 0 && S_ISSOCK(st.st_mode))
            (void)unlink(un->sun_path);
    }
    if (bind(s, (const struct sockaddr *)ss, len) != 0 || listen(s, backlog) != 0) {
        int e = errno;
        close(s);
        errno = e;
        return NW_ERR_NET_LISTEN;
    }
    *fd = s;
    return NW_OK;
}

nw_err nw_net_listen(const struct nw_addr *a, int backlog, int *fd)
{
    struct sockaddr_storage ss[8];
    socklen_t lens[8];
    size_t n = 0;
    *fd = -1;
    NW_TRY(nw_addr_resolve(a, AF_UNSPEC, ss, lens, NW_ARRAY_LEN(ss), &n));
    nw_err err = NW_ERR_NET_LISTEN;
    for (size_t i = 0; i < n && err != NW_OK; i++)
        err = listen_one(&ss[i], lens[i], backlog, fd);
    return err;
}

static nw_err connect_one(const struct sockaddr_storage *ss, socklen_t len, int timeout_ms, int *fd)
{
    int s = socket(ss->ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0)
        return NW_ERR_NET_SOCKET;
    nw_err err = NW_OK;
    if (connect(s, (const struct sockaddr *)ss, len) != 0) {
        if (errno != EINPROGRESS) {
            err = NW_ERR_NET_CONNECT;
        } else {
            struct pollfd p = {s, POLLOUT, 0};
            int r;
            do {
                r = poll(&p, 1, timeout_ms);
            } while (r < 0 && errno == EINTR);
            int soerr = 0;
            socklen_t sl = sizeof(soerr);
            if (r == 0)
                err = NW_ERR_TIMEOUT;
            else if (r < 0 || getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl) != 0 || soerr != 0)
                err = NW_ERR_NET_CONNECT;
        }
    }
    if (err == NW_OK) {
        int fl = fcntl(s, F_GETFL);
        if (fl < 0 || fcntl(s, F_SETFL, fl & ~O_NONBLOCK) != 0)
            err = NW_ERR_NET_SOCKET;
    }
    if (err != NW_OK) {
        close(s);
        return err;
    }
    *fd = s;
    return NW_OK;
}

nw_err nw_net_connect(const struct nw_addr *a, int timeout_ms, int *fd)
{
    struct sockaddr_storage ss[8];
    socklen_t lens[8];
    size_t n = 0;
    *fd = -1;
    NW_TRY(nw_addr_resolve(a, AF_UNSPEC, ss, lens, NW_ARRAY_LEN(ss), &n));
    nw_err err = NW_ERR_NET_CONNECT;
    for (size_t i = 0; i < n && err != NW_OK; i++)
        err = connect_one(&ss[i], lens[i], timeout_ms, fd);
    return err;
}
