/*
 * Small helpers of the emulator: time, randomness, JSON output, HTTP-level errors.
 */
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <unistd.h>

#include <nw/mem.h>

#include "devaws_int.h"

double nw_dv_now(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    long ms = (long)tv.tv_usec / 1000; /* millisecond precision, as AWS timestamps */
    return (double)tv.tv_sec + (double)ms / 1000.0;
}

void nw_dv_iso8601(char out[32], time_t t)
{
    struct tm tm;
    gmtime_r(&t, &tm);
    (void)strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

nw_err nw_dv_random(uint8_t *out, size_t n)
{
    if (n > 0x7fffffff || RAND_bytes(out, (int)n) != 1)
        return NW_ERR_CRYPTO;
    return NW_OK;
}

nw_err nw_dv_uuid(char out[37])
{
    uint8_t b[16];
    NW_TRY(nw_dv_random(b, sizeof(b)));
    nw_uuid4_format(out, b);
    return NW_OK;
}

nw_err nw_dv_random_text(char *out, size_t n, const char *alphabet)
{
    size_t k = strlen(alphabet);
    NW_ASSERT(k > 0 && k <= 256);
    for (size_t i = 0; i < n;) {
        uint8_t r[32];
        NW_TRY(nw_dv_random(r, sizeof(r)));
        /* Rejection sampling keeps the choice uniform. */
        size_t limit = 256 - 256 % k;
        for (size_t j = 0; j < sizeof(r) && i < n; j++) {
            if (r[j] < limit)
                out[i++] = alphabet[r[j] % k];
        }
    }
    out[n] = '\0';
    return NW_OK;
}

nw_err nw_dv_json_dump(struct nw_buf *b, const json_t *v)
{
    size_t n = json_dumpb(v, NULL, 0, JSON_COMPACT);
    if (n == 0)
        return NW_ERR_JSON;
    NW_TRY(nw_buf_reserve(b, n + 1));
    if (json_dumpb(v, (char *)b->ptr + b->len, n, JSON_COMPACT) != n)
        return NW_ERR_JSON;
    b->len += n;
    return NW_OK;
}

const char *nw_dv_jstr(const json_t *obj, const char *key)
{
    return json_string_value(json_object_get(obj, key));
}

const char *nw_dv_req_header(const struct nw_dv_req *rq, const char *name)
{
    for (size_t i = 0; i < rq->nhdr; i++) {
        if (strcasecmp(rq->hdr[i].name, name) == 0)
            return rq->hdr[i].value;
    }
    return NULL;
}

void nw_dv_error(struct nw_dv_resp *resp,
                 unsigned status,
                 const char *type,
                 const char *msg_key,
                 const char *fmt,
                 ...)
{
    char msg[NW_DV_MSG_MAX];
    va_list ap;
    va_start(ap, fmt);
    /* NOLINTNEXTLINE(clang-analyzer-valist.Uninitialized): va_start is right above */
    int n = vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (n < 0)
        msg[0] = '\0';
    nw_buf_clear(&resp->body);
    resp->status = status;
    resp->content_type = "application/x-amz-json-1.1";
    (void)snprintf(resp->error_type, sizeof(resp->error_type), "%s", type);
    json_t *o = json_pack("{s:s, s:s}", "__type", type, msg_key, msg);
    if (o == NULL || nw_dv_json_dump(&resp->body, o) != NW_OK) {
        nw_buf_clear(&resp->body);
        resp->status = 500;
    }
    json_decref(o);
}

void nw_dv_json_ok(struct nw_dv_resp *resp, const json_t *v)
{
    nw_buf_clear(&resp->body);
    resp->status = 200;
    resp->content_type = "application/x-amz-json-1.1";
    resp->error_type[0] = '\0';
    if (nw_dv_json_dump(&resp->body, v) != NW_OK)
        nw_dv_error(resp, 500, "InternalFailure", "message", "response too large");
}

void nw_dv_record(const struct nw_dv_config *cfg,
                  const struct nw_dv_req *rq,
                  const struct nw_dv_resp *resp)
{
    static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
    struct nw_buf line;
    if (cfg->record_fd < 0)
        return;
    json_t *req = json_loadb((const char *)rq->body.ptr, rq->body.len, 0, NULL);
    json_t *res = json_loadb((const char *)resp->body.ptr, resp->body.len, 0, NULL);
    const char *target = nw_dv_req_header(rq, "x-amz-target");
    json_t *o = json_pack("{s:s, s:i, s:o*, s:o*}", "target", target ? target : "", "status",
                          (int)resp->status, "request", req, "response", res);
    nw_buf_init(&line, 16 * NW_DV_BODY_MAX, true);
    if (o != NULL && nw_dv_json_dump(&line, o) == NW_OK &&
        nw_buf_append_byte(&line, '\n') == NW_OK) {
        (void)pthread_mutex_lock(&lock);
        /* One write per line on an O_APPEND descriptor; a short write only loses test data. */
        (void)!write(cfg->record_fd, line.ptr, line.len);
        (void)pthread_mutex_unlock(&lock);
    }
    nw_buf_clear(&line);
    json_decref(o);
}
