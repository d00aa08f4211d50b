/*
 * NSM client: CBOR messages (serde_cbor externally tagged enums, nitro-protocols.md 1.2-1.4)
 * over the /dev/nsm ioctl or the simulator's socket (frames of <nw/wire.h>).
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/mem.h>
#include <nw/nsm.h>
#include <nw/wire.h>

#include "attest_int.h"

#define IO_TIMEOUT_MS 30000 /* the kernel driver gives the device 120 s; a simulator is quick */

enum transport { NW_NSM_T_IOCTL, NW_NSM_T_SOCKET };

struct nw_nsm {
    enum transport t;
    int fd;
};

/* uapi linux/nsm.h: struct nsm_raw { struct nsm_iovec request, response; } */
struct nsm_raw {
    uint64_t req_addr, req_len;
    uint64_t resp_addr, resp_len;
};

static const struct {
    const char *name;
    nw_err err;
} nsm_errors[] = {
    {"InvalidArgument", NW_ERR_NSM_INVALID_ARGUMENT},
    {"InvalidIndex", NW_ERR_NSM_INVALID_INDEX},
    {"InvalidResponse", NW_ERR_NSM_INVALID_RESPONSE},
    {"ReadOnlyIndex", NW_ERR_NSM_READ_ONLY_INDEX},
    {"InvalidOperation", NW_ERR_NSM_INVALID_OPERATION},
    {"BufferTooSmall", NW_ERR_NSM_BUFFER_TOO_SMALL},
    {"InputTooLarge", NW_ERR_NSM_INPUT_TOO_LARGE},
    {"InternalError", NW_ERR_NSM_INTERNAL},
};

const char *nw_nsm_error_name(nw_err err)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(nsm_errors); i++) {
        if (nsm_errors[i].err == err)
            return nsm_errors[i].name;
    }
    return NULL;
}

nw_err nw_nsm_error_from_name(struct nw_cur name)
{
    for (size_t i = 0; i < NW_ARRAY_LEN(nsm_errors); i++) {
        if (nw_cur_eq(name, nw_cur_str(nsm_errors[i].name)))
            return nsm_errors[i].err;
    }
    return NW_ERR_NSM_INTERNAL;
}

static const char *op_name(enum nw_nsm_op op)
{
    switch (op) {
        case NW_NSM_OP_DESCRIBE_NSM:
            return "DescribeNSM";
        case NW_NSM_OP_GET_RANDOM:
            return "GetRandom";
        case NW_NSM_OP_DESCRIBE_PCR:
            return "DescribePCR";
        case NW_NSM_OP_EXTEND_PCR:
            return "ExtendPCR";
        case NW_NSM_OP_LOCK_PCR:
            return "LockPCR";
        case NW_NSM_OP_LOCK_PCRS:
            return "LockPCRs";
        case NW_NSM_OP_ATTESTATION:
            return "Attestation";
        default:
            return NULL;
    }
}

/* The inner struct of a struct variant, or NULL for the unit variants. */
static cbor_item_t *request_body(const struct nw_nsm_request *req, bool *ok)
{
    cbor_item_t *m = NULL;
    *ok = true;
    switch (req->op) {
        case NW_NSM_OP_DESCRIBE_PCR:
        case NW_NSM_OP_LOCK_PCR:
            m = cbor_new_definite_map(1);
            *ok = m != NULL && nw_cbor_map_put(m, "index", nw_cbor_uint(req->index));
            break;
        case NW_NSM_OP_LOCK_PCRS:
            m = cbor_new_definite_map(1);
            *ok = m != NULL && nw_cbor_map_put(m, "range", nw_cbor_uint(req->range));
            break;
        case NW_NSM_OP_EXTEND_PCR:
            m = cbor_new_definite_map(2);
            *ok = m != NULL && nw_cbor_map_put(m, "index", nw_cbor_uint(req->index)) &&
                  nw_cbor_map_put(m, "data", cbor_build_bytestring(req->data.ptr, req->data.len));
            break;
        case NW_NSM_OP_ATTESTATION:
            m = cbor_new_definite_map(3);
            *ok = m != NULL &&
                  nw_cbor_map_put(m, "user_data", nw_cbor_bytes_or_null(req->user_data)) &&
                  nw_cbor_map_put(m, "nonce", nw_cbor_bytes_or_null(req->nonce)) &&
                  nw_cbor_map_put(m, "public_key", nw_cbor_bytes_or_null(req->public_key));
            break;
        default:
            break;
    }
    return m;
}

nw_err nw_nsm_request_encode(struct nw_buf *out, const struct nw_nsm_request *req)
{
    const char *name = op_name(req->op);
    NW_ENSURE(name != NULL, NW_ERR_INVALID_ARG);
    if (req->op == NW_NSM_OP_DESCRIBE_NSM || req->op == NW_NSM_OP_GET_RANDOM) {
        cbor_item_t *s = cbor_build_string(name);
        NW_ENSURE(s != NULL, NW_ERR_NOMEM);
        nw_err err = nw_cbor_serialize(out, s);
        cbor_decref(&s);
        return err;
    }
    bool ok = false;
    cbor_item_t *body = request_body(req, &ok);
    cbor_item_t *outer = cbor_new_definite_map(1);
    nw_err err = NW_ERR_NOMEM;
    if (ok && body != NULL && outer != NULL && nw_cbor_map_put(outer, name, cbor_incref(body)))
        err = nw_cbor_serialize(out, outer);
    if (body != NULL)
        cbor_decref(&body);
    if (outer != NULL)
        cbor_decref(&outer);
    return err;
}

/* A socket to the simulator at a unix: or tcp: address (never vsock). */
static nw_err open_socket(const char *address, int *fd)
{
    struct nw_addr a;
    NW_ENSURE(nw_addr_parse(&a, address) == NW_OK && a.kind != NW_ADDR_VSOCK, NW_ERR_INVALID_ARG);
    NW_ENSURE(nw_net_connect(&a, IO_TIMEOUT_MS, fd) == NW_OK, NW_ERR_NSM_UNAVAILABLE);
    return NW_OK;
}

nw_err nw_nsm_open(struct nw_nsm **out, const char *address)
{
    *out = NULL;
    const char *path = address != NULL ? address : NW_NSM_DEFAULT_PATH;
    enum transport t = NW_NSM_T_IOCTL;
    int fd = -1;
    if (strncmp(path, "unix:", 5) == 0 || strncmp(path, "tcp:", 4) == 0) {
        t = NW_NSM_T_SOCKET;
        NW_TRY(open_socket(path, &fd));
    } else {
        if (strncmp(path, "dev:", 4) == 0)
            path += 4;
        NW_ENSURE(path[0] != '\0', NW_ERR_INVALID_ARG);
        fd = open(path, O_RDWR | O_CLOEXEC);
        NW_ENSURE(fd >= 0, NW_ERR_NSM_UNAVAILABLE);
    }
    struct nw_nsm *n = nw_calloc(1, sizeof(*n));
    if (n == NULL) {
        close(fd);
        return NW_ERR_NOMEM;
    }
    n->t = t;
    n->fd = fd;
    *out = n;
    return NW_OK;
}

void nw_nsm_close(struct nw_nsm *nsm)
{
    if (nsm == NULL)
        return;
    close(nsm->fd);
    nw_free(nsm);
}

/* Transport failures are NW_ERR_NSM_IO; a frame length out of range NW_ERR_NSM_RESPONSE. */
static nw_err socket_err(nw_err err)
{
    switch (err) {
        case NW_OK:
        case NW_ERR_TIMEOUT:
        case NW_ERR_NOMEM:
        case NW_ERR_BUF_FULL:
            return err;
        case NW_ERR_WIRE_LENGTH:
            return NW_ERR_NSM_RESPONSE;
        default:
            return NW_ERR_NSM_IO;
    }
}

static nw_err call_socket(struct nw_nsm *nsm, struct nw_buf *resp, struct nw_cur req)
{
    int64_t deadline = nw_deadline_ms(IO_TIMEOUT_MS);
    NW_TRY(socket_err(nw_wire_write(nsm->fd, req, deadline)));
    return socket_err(nw_wire_read(nsm->fd, resp, NW_NSM_RESPONSE_MAX, deadline));
}

static nw_err call_ioctl(struct nw_nsm *nsm, struct nw_buf *resp, struct nw_cur req)
{
    NW_TRY(nw_buf_reserve(resp, NW_NSM_RESPONSE_MAX));
    struct nsm_raw raw = {
        .req_addr = (uint64_t)(uintptr_t)req.ptr,
        .req_len = req.len,
        .resp_addr = (uint64_t)(uintptr_t)(resp->ptr + resp->len),
        .resp_len = NW_NSM_RESPONSE_MAX,
    };
    int rc;
    do {
        rc = ioctl(nsm->fd, NW_NSM_IOCTL_RAW, &raw);
    } while (rc < 0 && errno == EINTR);
    if (rc < 0)
        return errno == EMSGSIZE ? NW_ERR_NSM_INPUT_TOO_LARGE : NW_ERR_NSM_IO;
    NW_ENSURE(raw.resp_len >= 1 && raw.resp_len <= NW_NSM_RESPONSE_MAX, NW_ERR_NSM_RESPONSE);
    resp->len += (size_t)raw.resp_len;
    return NW_OK;
}

nw_err nw_nsm_call(struct nw_nsm *nsm, struct nw_buf *resp, struct nw_cur req)
{
    NW_ENSURE(req.len >= 1 && req.ptr != NULL, NW_ERR_INVALID_ARG);
    NW_ENSURE(req.len <= NW_NSM_REQUEST_MAX, NW_ERR_NSM_INPUT_TOO_LARGE);
    return nsm->t == NW_NSM_T_SOCKET ? call_socket(nsm, resp, req) : call_ioctl(nsm, resp, req);
}

/*
 * Send req and check the answer is the variant named like the request (or an Error).
 * *body is the variant's content (NULL for unit answers); the caller decrefs *root.
 */
static nw_err exchange(struct nw_nsm *nsm,
                       cbor_item_t **root,
                       const cbor_item_t **body,
                       const struct nw_nsm_request *req)
{
    nw_err err = NW_OK;
    struct nw_buf q, r;
    nw_buf_init(&q, NW_NSM_REQUEST_MAX, false);
    nw_buf_init(&r, NW_NSM_RESPONSE_MAX, true); /* GetRandom answers may be key material */
    *root = NULL;
    *body = NULL;
    NW_CHECK(nw_nsm_request_encode(&q, req));
    NW_CHECK(nw_nsm_call(nsm, &r, nw_buf_cur(&q)));
    err = nw_cbor_load(root, nw_buf_cur(&r));
    NW_CHECK_COND(err != NW_ERR_CBOR_MALFORMED, NW_ERR_NSM_RESPONSE);
    NW_CHECK(err);
    const char *name = op_name(req->op);
    if (cbor_isa_string(*root)) {
        /* unit variants: only LockPCR / LockPCRs answer this way */
        bool unit = req->op == NW_NSM_OP_LOCK_PCR || req->op == NW_NSM_OP_LOCK_PCRS;
        NW_CHECK_COND(unit && nw_cbor_text_eq(*root, name), NW_ERR_NSM_RESPONSE);
        goto out;
    }
    NW_CHECK_COND(cbor_isa_map(*root) && cbor_map_size(*root) == 1, NW_ERR_NSM_RESPONSE);
    struct cbor_pair *p = cbor_map_handle(*root);
    if (nw_cbor_text_eq(p[0].key, "Error")) {
        NW_CHECK_COND(cbor_isa_string(p[0].value) && cbor_string_is_definite(p[0].value),
                      NW_ERR_NSM_RESPONSE);
        NW_CHECK(nw_nsm_error_from_name(
            nw_cur_of(cbor_string_handle(p[0].value), cbor_string_length(p[0].value))));
    }
    NW_CHECK_COND(nw_cbor_text_eq(p[0].key, name) && cbor_isa_map(p[0].value), NW_ERR_NSM_RESPONSE);
    *body = p[0].value;
out:
    nw_buf_clear(&q);
    nw_buf_clear(&r);
    if (err != NW_OK && *root != NULL) {
        cbor_decref(root);
        *body = NULL;
    }
    return err;
}

/* The value of key in a definite map with text keys, or NULL. */
static const cbor_item_t *field(const cbor_item_t *map, const char *key)
{
    struct cbor_pair *p = cbor_map_handle(map);
    for (size_t i = 0; i < cbor_map_size(map); i++) {
        if (nw_cbor_text_eq(p[i].key, key))
            return p[i].value;
    }
    return NULL;
}

static nw_err get_u16(uint16_t *out, const cbor_item_t *v)
{
    NW_ENSURE(v != NULL && cbor_isa_uint(v) && cbor_get_int(v) <= UINT16_MAX, NW_ERR_NSM_RESPONSE);
    *out = (uint16_t)cbor_get_int(v);
    return NW_OK;
}

static nw_err get_bstr(uint8_t *out, size_t cap, size_t *len, const cbor_item_t *v, size_t min)
{
    NW_ENSURE(v != NULL && cbor_isa_bytestring(v), NW_ERR_NSM_RESPONSE);
    struct nw_cur c = nw_cbor_bytes(v);
    NW_ENSURE(c.len >= min && c.len <= cap, NW_ERR_NSM_RESPONSE);
    if (c.len > 0)
        memcpy(out, c.ptr, c.len);
    *len = c.len;
    return NW_OK;
}

static nw_err get_text(char *out, size_t cap, const cbor_item_t *v)
{
    NW_ENSURE(v != NULL && cbor_isa_string(v), NW_ERR_NSM_RESPONSE);
    size_t n = cbor_string_length(v);
    NW_ENSURE(n < cap, NW_ERR_NSM_RESPONSE);
    memcpy(out, cbor_string_handle(v), n);
    out[n] = '\0';
    return NW_OK;
}

nw_err nw_nsm_describe(struct nw_nsm *nsm, struct nw_nsm_description *out)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_DESCRIBE_NSM};
    cbor_item_t *root = NULL;
    const cbor_item_t *b = NULL;
    memset(out, 0, sizeof(*out));
    nw_err err = exchange(nsm, &root, &b, &req);
    if (err != NW_OK)
        return err;
    NW_CHECK(get_u16(&out->version_major, field(b, "version_major")));
    NW_CHECK(get_u16(&out->version_minor, field(b, "version_minor")));
    NW_CHECK(get_u16(&out->version_patch, field(b, "version_patch")));
    NW_CHECK(get_u16(&out->max_pcrs, field(b, "max_pcrs")));
    NW_CHECK(get_text(out->module_id, sizeof(out->module_id), field(b, "module_id")));
    NW_CHECK(get_text(out->digest, sizeof(out->digest), field(b, "digest")));
    const cbor_item_t *locked = field(b, "locked_pcrs");
    NW_CHECK_COND(locked != NULL && cbor_isa_array(locked), NW_ERR_NSM_RESPONSE);
    for (size_t i = 0; i < cbor_array_size(locked); i++) {
        uint16_t idx = 0;
        NW_CHECK(get_u16(&idx, cbor_array_handle(locked)[i]));
        NW_CHECK_COND(idx < 64, NW_ERR_NSM_RESPONSE);
        out->locked_pcrs |= (uint64_t)1 << idx;
    }
out:
    cbor_decref(&root);
    if (err != NW_OK)
        memset(out, 0, sizeof(*out));
    return err;
}

nw_err nw_nsm_describe_pcr(struct nw_nsm *nsm,
                           bool *locked,
                           uint8_t *value,
                           size_t value_cap,
                           size_t *value_len,
                           uint16_t index)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_DESCRIBE_PCR, .index = index};
    cbor_item_t *root = NULL;
    const cbor_item_t *b = NULL;
    *locked = false;
    *value_len = 0;
    nw_err err = exchange(nsm, &root, &b, &req);
    if (err != NW_OK)
        return err;
    const cbor_item_t *l = field(b, "lock");
    NW_CHECK_COND(l != NULL && nw_cbor_is_bool(l), NW_ERR_NSM_RESPONSE);
    NW_CHECK(get_bstr(value, value_cap, value_len, field(b, "data"), 32));
    *locked = cbor_get_bool(l);
out:
    cbor_decref(&root);
    return err;
}

nw_err nw_nsm_extend_pcr(struct nw_nsm *nsm,
                         uint8_t *value,
                         size_t value_cap,
                         size_t *value_len,
                         uint16_t index,
                         struct nw_cur data)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_EXTEND_PCR, .index = index, .data = data};
    cbor_item_t *root = NULL;
    const cbor_item_t *b = NULL;
    *value_len = 0;
    nw_err err = exchange(nsm, &root, &b, &req);
    if (err != NW_OK)
        return err;
    err = get_bstr(value, value_cap, value_len, field(b, "data"), 32);
    cbor_decref(&root);
    return err;
}

static nw_err lock(struct nw_nsm *nsm, const struct nw_nsm_request *req)
{
    cbor_item_t *root = NULL;
    const cbor_item_t *b = NULL;
    nw_err err = exchange(nsm, &root, &b, req);
    if (err == NW_OK && b != NULL)
        err = NW_ERR_NSM_RESPONSE; /* the answer is the bare text "LockPCR(s)" */
    if (root != NULL)
        cbor_decref(&root);
    return err;
}

nw_err nw_nsm_lock_pcr(struct nw_nsm *nsm, uint16_t index)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_LOCK_PCR, .index = index};
    return lock(nsm, &req);
}

nw_err nw_nsm_lock_pcrs(struct nw_nsm *nsm, uint16_t range)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_LOCK_PCRS, .range = range};
    return lock(nsm, &req);
}

nw_err nw_nsm_random(struct nw_nsm *nsm, uint8_t *out, size_t n)
{
    struct nw_nsm_request req = {.op = NW_NSM_OP_GET_RANDOM};
    nw_err err = NW_OK;
    size_t got = 0;
    while (got < n && err == NW_OK) {
        cbor_item_t *root = NULL;
        const cbor_item_t *b = NULL;
        err = exchange(nsm, &root, &b, &req);
        if (err != NW_OK)
            break;
        const cbor_item_t *r = field(b, "random");
        if (r == NULL || !cbor_isa_bytestring(r) || cbor_bytestring_length(r) == 0 ||
            cbor_bytestring_length(r) > NW_NSM_RANDOM_MAX) {
            err = NW_ERR_NSM_RESPONSE;
        } else {
            size_t k = cbor_bytestring_length(r);
            if (k > n - got)
                k = n - got;
            memcpy(out + got, cbor_bytestring_handle(r), k);
            got += k;
            nw_wipe(cbor_bytestring_handle(r), cbor_bytestring_length(r));
        }
        cbor_decref(&root);
    }
    if (err != NW_OK && n > 0)
        nw_wipe(out, n);
    return err;
}

nw_err nw_nsm_attestation(struct nw_nsm *nsm,
                          struct nw_buf *doc,
                          struct nw_cur user_data,
                          struct nw_cur nonce,
                          struct nw_cur public_key)
{
    NW_ENSURE(user_data.len <= NW_NSM_USER_MAX && nonce.len <= NW_NSM_USER_MAX &&
                  public_key.len <= NW_NSM_USER_MAX,
              NW_ERR_INVALID_ARG);
    struct nw_nsm_request req = {.op = NW_NSM_OP_ATTESTATION,
                                 .user_data = user_data,
                                 .nonce = nonce,
                                 .public_key = public_key};
    cbor_item_t *root = NULL;
    const cbor_item_t *b = NULL;
    nw_err err = exchange(nsm, &root, &b, &req);
    if (err != NW_OK)
        return err;
    const cbor_item_t *d = field(b, "document");
    if (d == NULL || !cbor_isa_bytestring(d) || cbor_bytestring_length(d) == 0)
        err = NW_ERR_NSM_RESPONSE;
    else
        err = nw_buf_append(doc, cbor_bytestring_handle(d), cbor_bytestring_length(d));
    cbor_decref(&root);
    return err;
}
