/*
 * Frames (4-byte big-endian length + payload) and blocking I/O bounded by deadlines.
 *
 * Reads and writes go through recv/send with MSG_DONTWAIT, so a blocking socket never blocks
 * past the deadline: when no progress is possible the code polls for the time left. Descriptors
 * that are not sockets (pipes in tests) fall back to read/write after poll.
 */
#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <nw/mem.h>
#include <nw/wire.h>

int64_t nw_now_ms(void)
{
    struct timespec ts;
    (void)clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t nw_deadline_ms(int timeout_ms)
{
    if (timeout_ms < 0)
        return INT64_MAX;
    return nw_now_ms() + timeout_ms;
}

nw_err nw_wire_header(uint8_t out4[NW_WIRE_HEADER_LEN], size_t len)
{
    NW_ENSURE(len >= 1 && len <= NW_WIRE_MAX_FRAME, NW_ERR_WIRE_LENGTH);
    out4[0] = (uint8_t)(len >> 24);
    out4[1] = (uint8_t)(len >> 16);
    out4[2] = (uint8_t)(len >> 8);
    out4[3] = (uint8_t)len;
    return NW_OK;
}

static size_t header_len(const uint8_t h[NW_WIRE_HEADER_LEN])
{
    return (size_t)h[0] << 24 | (size_t)h[1] << 16 | (size_t)h[2] << 8 | (size_t)h[3];
}

/* Wait until fd is ready for events or the deadline passes (EINTR restarts the wait). */
static nw_err wait_ready(int fd, short events, int64_t deadline_ms)
{
    for (;;) {
        int timeout = -1;
        if (deadline_ms != INT64_MAX) {
            int64_t left = deadline_ms - nw_now_ms();
            if (left <= 0)
                return NW_ERR_TIMEOUT;
            timeout = left > INT_MAX ? INT_MAX : (int)left;
        }
        struct pollfd p = {.fd = fd, .events = events};
        int r = poll(&p, 1, timeout);
        if (r > 0)
            return NW_OK; /* readable, writable, or an error/hang-up the next call reports */
        if (r == 0)
            return NW_ERR_TIMEOUT;
        if (errno != EINTR)
            return NW_ERR_IO;
    }
}

/* One non-blocking read attempt: bytes read, 0 at EOF, -1 with errno. */
static ssize_t read_some(int fd, void *p, size_t n)
{
    ssize_t k = recv(fd, p, n, MSG_DONTWAIT);
    if (k < 0 && errno == ENOTSOCK) {
        /* Not a socket: read only after poll said readable, so a blocking fd cannot stall. */
        struct pollfd pfd = {.fd = fd, .events = POLLIN};
        int r = poll(&pfd, 1, 0);
        if (r == 0) {
            errno = EAGAIN;
            return -1;
        }
        if (r < 0)
            return -1;
        k = read(fd, p, n);
    }
    return k;
}

nw_err nw_io_read_full(int fd, void *p, size_t n, int64_t deadline_ms)
{
    uint8_t *d = p;
    size_t got = 0;
    while (got < n) {
        ssize_t k = read_some(fd, d + got, n - got);
        if (k > 0) {
            got += (size_t)k;
            continue;
        }
        if (k == 0)
            return got == 0 ? NW_ERR_WIRE_CLOSED : NW_ERR_WIRE_TRUNCATED;
        if (errno == EINTR)
            continue;
        if (errno != EAGAIN && errno != EWOULDBLOCK)
            return NW_ERR_IO;
        NW_TRY(wait_ready(fd, POLLIN, deadline_ms));
    }
    return NW_OK;
}

/* One non-blocking writev attempt (MSG_NOSIGNAL on sockets): bytes written or -1 with errno. */
static ssize_t write_some(int fd, struct iovec *iov, int cnt)
{
    struct msghdr m = {.msg_iov = iov, .msg_iovlen = (size_t)cnt};
    ssize_t k = sendmsg(fd, &m, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (k < 0 && errno == ENOTSOCK) {
        struct pollfd pfd = {.fd = fd, .events = POLLOUT};
        int r = poll(&pfd, 1, 0);
        if (r == 0) {
            errno = EAGAIN;
            return -1;
        }
        if (r < 0)
            return -1;
        k = writev(fd, iov, cnt);
    }
    return k;
}

/* Write every byte of iov[0..cnt) before the deadline; iov is consumed. */
static nw_err write_iov(int fd, struct iovec *iov, int cnt, int64_t deadline_ms)
{
    while (cnt > 0) {
        if (iov[0].iov_len == 0) {
            iov++;
            cnt--;
            continue;
        }
        ssize_t k = write_some(fd, iov, cnt);
        if (k < 0) {
            if (errno == EINTR)
                continue;
            if (errno != EAGAIN && errno != EWOULDBLOCK)
                return NW_ERR_IO;
            NW_TRY(wait_ready(fd, POLLOUT, deadline_ms));
            continue;
        }
        size_t left = (size_t)k;
        while (cnt > 0 && left >= iov[0].iov_len) {
            left -= iov[0].iov_len;
            iov++;
            cnt--;
        }
        if (cnt > 0) {
            iov[0].iov_base = (uint8_t *)iov[0].iov_base + left;
            iov[0].iov_len -= left;
        }
    }
    return NW_OK;
}

nw_err nw_io_write_full(int fd, const void *p, size_t n, int64_t deadline_ms)
{
    struct iovec iov = {.iov_base = (void *)(uintptr_t)p, .iov_len = n};
    return write_iov(fd, &iov, 1, deadline_ms);
}

static size_t effective_max(size_t max)
{
    return max == 0 || max > NW_WIRE_MAX_FRAME ? NW_WIRE_MAX_FRAME : max;
}

nw_err nw_wire_read(int fd, struct nw_buf *out, size_t max, int64_t deadline_ms)
{
    uint8_t hdr[NW_WIRE_HEADER_LEN];
    NW_TRY(nw_io_read_full(fd, hdr, sizeof(hdr), deadline_ms));
    size_t n = header_len(hdr);
    NW_ENSURE(n >= 1 && n <= effective_max(max), NW_ERR_WIRE_LENGTH);
    NW_TRY(nw_buf_reserve(out, n));
    nw_err err = nw_io_read_full(fd, out->ptr + out->len, n, deadline_ms);
    if (err != NW_OK) {
        if (out->secret)
            nw_wipe(out->ptr + out->len, n);
        return err == NW_ERR_WIRE_CLOSED ? NW_ERR_WIRE_TRUNCATED : err;
    }
    out->len += n;
    return NW_OK;
}

nw_err nw_wire_write(int fd, struct nw_cur payload, int64_t deadline_ms)
{
    uint8_t hdr[NW_WIRE_HEADER_LEN];
    NW_TRY(nw_wire_header(hdr, payload.len));
    struct iovec iov[2] = {
        {.iov_base = hdr, .iov_len = sizeof(hdr)},
        {.iov_base = (void *)(uintptr_t)payload.ptr, .iov_len = payload.len},
    };
    return write_iov(fd, iov, 2, deadline_ms);
}

void nw_wire_reader_init(struct nw_wire_reader *r, size_t max, bool secret)
{
    memset(r, 0, sizeof(*r));
    r->max = effective_max(max);
    nw_buf_init(&r->payload, r->max, secret);
}

static bool reader_complete(const struct nw_wire_reader *r)
{
    return r->hdr_have == NW_WIRE_HEADER_LEN && r->need > 0 && r->payload.len == r->need;
}

nw_err nw_wire_reader_feed(struct nw_wire_reader *r, struct nw_cur *in, bool *done)
{
    *done = reader_complete(r);
    if (*done)
        return NW_OK;
    if (r->hdr_have < NW_WIRE_HEADER_LEN) {
        size_t k = NW_WIRE_HEADER_LEN - r->hdr_have;
        if (k > in->len)
            k = in->len;
        if (k > 0)
            memcpy(r->hdr + r->hdr_have, in->ptr, k);
        r->hdr_have += k;
        in->ptr += k;
        in->len -= k;
        if (r->hdr_have < NW_WIRE_HEADER_LEN)
            return NW_OK;
        size_t n = header_len(r->hdr);
        NW_ENSURE(n >= 1 && n <= r->max, NW_ERR_WIRE_LENGTH);
        nw_err err = nw_buf_reserve(&r->payload, n);
        NW_ENSURE(err == NW_OK, err == NW_ERR_BUF_FULL ? NW_ERR_WIRE_LENGTH : err);
        r->need = n;
    }
    size_t k = r->need - r->payload.len;
    if (k > in->len)
        k = in->len;
    if (k > 0) {
        memcpy(r->payload.ptr + r->payload.len, in->ptr, k); /* reserved above */
        r->payload.len += k;
        in->ptr += k;
        in->len -= k;
    }
    *done = reader_complete(r);
    return NW_OK;
}

bool nw_wire_reader_partial(const struct nw_wire_reader *r)
{
    return r->hdr_have > 0 && !reader_complete(r);
}

void nw_wire_reader_next(struct nw_wire_reader *r)
{
    if (r->payload.secret && r->payload.ptr != NULL)
        nw_wipe(r->payload.ptr, r->payload.len);
    r->payload.len = 0;
    r->hdr_have = 0;
    r->need = 0;
    memset(r->hdr, 0, sizeof(r->hdr));
}

void nw_wire_reader_clear(struct nw_wire_reader *r)
{
    nw_buf_clear(&r->payload);
    r->payload.len = 0;
    r->hdr_have = 0;
    r->need = 0;
    memset(r->hdr, 0, sizeof(r->hdr));
}
