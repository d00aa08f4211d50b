/*
 * Frames and deadline I/O (src/net/wire.c) over socketpairs and loopback sockets: partial reads
 * and writes, EINTR, peer close between and inside frames, length limits, deadlines, and the
 * incremental reader against one-shot reads.
 */
#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <nw/wire.h>

#include "nwtest.h"

static void pair(int sv[2])
{
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv), 0);
}

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void put_be32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

static void raw_write(int fd, const void *p, size_t n)
{
    assert_int_equal(nw_io_write_full(fd, p, n, nw_deadline_ms(5000)), NW_OK);
}

/* A writer thread that sends bytes in chunks of 1..chunk with a pause, then maybe closes. */
struct dripper {
    int fd;
    const uint8_t *p;
    size_t n;
    size_t chunk;
    long pause_ms;
    bool close_after;
};

static void *drip(void *arg)
{
    struct dripper *d = arg;
    size_t off = 0;
    unsigned seed = 7;
    while (off < d->n) {
        size_t k = 1 + (size_t)rand_r(&seed) % d->chunk;
        if (k > d->n - off)
            k = d->n - off;
        ssize_t w = send(d->fd, d->p + off, k, MSG_NOSIGNAL);
        if (w <= 0)
            break;
        off += (size_t)w;
        if (d->pause_ms > 0)
            sleep_ms(d->pause_ms);
    }
    if (d->close_after)
        close(d->fd);
    return NULL;
}

static void test_header(void **state)
{
    (void)state;
    uint8_t h[4];
    assert_int_equal(nw_wire_header(h, 0), NW_ERR_WIRE_LENGTH);
    assert_int_equal(nw_wire_header(h, NW_WIRE_MAX_FRAME + 1), NW_ERR_WIRE_LENGTH);
    assert_int_equal(nw_wire_header(h, 0x010203), NW_OK);
    assert_memory_equal(h, "\x00\x01\x02\x03", 4);
    assert_int_equal(nw_wire_header(h, NW_WIRE_MAX_FRAME), NW_OK);
    assert_memory_equal(h, "\x00\x10\x00\x00", 4);
    assert_int_equal(nw_deadline_ms(-1), INT64_MAX);
    int64_t now = nw_now_ms();
    int64_t d = nw_deadline_ms(1000);
    assert_true(d >= now + 1000 && d < now + 2000);
}

static void test_roundtrip_append(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    int64_t dl = nw_deadline_ms(5000);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_str("{\"a\":1}"), dl), NW_OK);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_str("xyz"), dl), NW_OK);
    struct nw_buf b;
    nw_buf_init(&b, 64, true);
    assert_int_equal(nw_buf_append_str(&b, "pre:"), NW_OK);
    assert_int_equal(nw_wire_read(sv[1], &b, 0, dl), NW_OK);
    assert_int_equal(nw_wire_read(sv[1], &b, 3, dl), NW_OK);
    assert_int_equal(b.len, 4 + 7 + 3);
    assert_memory_equal(b.ptr, "pre:{\"a\":1}xyz", b.len);
    /* The buffer's own cap: the frame does not fit, len stays. */
    struct nw_buf small;
    nw_buf_init(&small, 4, false);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_str("12345"), dl), NW_OK);
    assert_int_equal(nw_wire_read(sv[1], &small, 0, dl), NW_ERR_BUF_FULL);
    assert_int_equal(small.len, 0);
    nw_buf_clear(&small);
    nw_buf_clear(&b);
    close(sv[0]);
    close(sv[1]);
}

/* Tiny chunks from a writer thread: the reader assembles the frames. */
static void test_partial_reads(void **state)
{
    (void)state;
    uint8_t stream[4 + 300 + 4 + 1];
    put_be32(stream, 300);
    for (size_t i = 0; i < 300; i++)
        stream[4 + i] = (uint8_t)(i * 31);
    put_be32(stream + 304, 1);
    stream[308] = 'Z';
    int sv[2];
    pair(sv);
    struct dripper d = {sv[0], stream, sizeof(stream), 3, 1, true};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drip, &d), 0);
    struct nw_buf b;
    nw_buf_init(&b, NW_WIRE_MAX_FRAME, false);
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_deadline_ms(10000)), NW_OK);
    assert_int_equal(b.len, 300);
    assert_memory_equal(b.ptr, stream + 4, 300);
    b.len = 0;
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_deadline_ms(10000)), NW_OK);
    assert_int_equal(b.len, 1);
    assert_int_equal(b.ptr[0], 'Z');
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_deadline_ms(10000)), NW_ERR_WIRE_CLOSED);
    assert_int_equal(b.len, 1);
    pthread_join(t, NULL);
    nw_buf_clear(&b);
    close(sv[1]);
}

/* A slow reader taking tiny chunks: the writer's partial writes complete the frame. */
struct slow_reader {
    int fd;
    uint8_t *got;
    size_t n;
};

static void *slow_read(void *arg)
{
    struct slow_reader *r = arg;
    size_t off = 0;
    while (off < r->n) {
        size_t k = r->n - off < 4096 ? r->n - off : 4096;
        ssize_t g = recv(r->fd, r->got + off, k, 0);
        if (g <= 0)
            break;
        off += (size_t)g;
        if (off % (64 * 1024) < 4096)
            sleep_ms(1);
    }
    r->n = off;
    return NULL;
}

static void test_partial_writes(void **state)
{
    (void)state;
    size_t plen = 900 * 1024; /* far above the socket buffer */
    uint8_t *payload = malloc(plen);
    uint8_t *got = malloc(plen + 4);
    assert_non_null(payload);
    assert_non_null(got);
    for (size_t i = 0; i < plen; i++)
        payload[i] = (uint8_t)(i ^ (i >> 8));
    int sv[2];
    pair(sv);
    int small = 4096;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    struct slow_reader r = {sv[1], got, plen + 4};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, slow_read, &r), 0);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_of(payload, plen), nw_deadline_ms(20000)), NW_OK);
    pthread_join(t, NULL);
    assert_int_equal(r.n, plen + 4);
    uint8_t h[4];
    put_be32(h, (uint32_t)plen);
    assert_memory_equal(got, h, 4);
    assert_memory_equal(got + 4, payload, plen);
    free(payload);
    free(got);
    close(sv[0]);
    close(sv[1]);
}

static volatile sig_atomic_t g_signals;

static void on_usr1(int sig)
{
    (void)sig;
    g_signals++;
}

struct blocked_read {
    int fd;
    nw_err err;
    struct nw_buf b;
    volatile int started;
};

static void *blocked_read(void *arg)
{
    struct blocked_read *br = arg;
    br->started = 1;
    br->err = nw_wire_read(br->fd, &br->b, 0, nw_deadline_ms(10000));
    return NULL;
}

/* Signals (no SA_RESTART) land while the reader waits; the frame still arrives whole. */
static void test_eintr(void **state)
{
    (void)state;
    struct sigaction sa, old;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_usr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    assert_int_equal(sigaction(SIGUSR1, &sa, &old), 0);
    g_signals = 0;
    int sv[2];
    pair(sv);
    struct blocked_read br = {.fd = sv[1]};
    nw_buf_init(&br.b, 64, false);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, blocked_read, &br), 0);
    while (!br.started)
        sleep_ms(1);
    sleep_ms(50);
    for (int i = 0; i < 5; i++) {
        assert_int_equal(pthread_kill(t, SIGUSR1), 0);
        sleep_ms(20);
    }
    raw_write(sv[0], "\x00\x00\x00\x05he", 6); /* a signal between the halves too */
    sleep_ms(20);
    assert_int_equal(pthread_kill(t, SIGUSR1), 0);
    sleep_ms(20);
    raw_write(sv[0], "llo", 3);
    pthread_join(t, NULL);
    assert_true(g_signals >= 6);
    assert_int_equal(br.err, NW_OK);
    assert_int_equal(br.b.len, 5);
    assert_memory_equal(br.b.ptr, "hello", 5);
    nw_buf_clear(&br.b);
    assert_int_equal(sigaction(SIGUSR1, &old, NULL), 0);
    close(sv[0]);
    close(sv[1]);
}

/* Peer close: between frames CLOSED, inside a header or a payload TRUNCATED. */
static nw_err read_after(const void *bytes, size_t n)
{
    int sv[2];
    pair(sv);
    if (n > 0)
        raw_write(sv[0], bytes, n);
    close(sv[0]);
    struct nw_buf b;
    nw_buf_init(&b, 64, true);
    nw_err err = nw_wire_read(sv[1], &b, 0, nw_deadline_ms(5000));
    assert_int_equal(b.len, 0);
    nw_buf_clear(&b);
    close(sv[1]);
    return err;
}

static void test_close(void **state)
{
    (void)state;
    assert_int_equal(read_after("", 0), NW_ERR_WIRE_CLOSED);
    assert_int_equal(read_after("\x00", 1), NW_ERR_WIRE_TRUNCATED);
    assert_int_equal(read_after("\x00\x00\x00", 3), NW_ERR_WIRE_TRUNCATED);
    assert_int_equal(read_after("\x00\x00\x00\x0a", 4), NW_ERR_WIRE_TRUNCATED);
    assert_int_equal(read_after("\x00\x00\x00\x0a"
                                "abcde",
                                9),
                     NW_ERR_WIRE_TRUNCATED);
    /* A whole frame then close: the frame, then CLOSED. */
    int sv[2];
    pair(sv);
    raw_write(sv[0], "\x00\x00\x00\x02ok", 6);
    close(sv[0]);
    struct nw_buf b;
    nw_buf_init(&b, 64, false);
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_deadline_ms(5000)), NW_OK);
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_deadline_ms(5000)), NW_ERR_WIRE_CLOSED);
    assert_int_equal(b.len, 2);
    nw_buf_clear(&b);
    close(sv[1]);
    /* nw_io_read_full reports the same distinction. */
    uint8_t x[8];
    pair(sv);
    raw_write(sv[0], "abc", 3);
    close(sv[0]);
    assert_int_equal(nw_io_read_full(sv[1], x, 8, nw_deadline_ms(5000)), NW_ERR_WIRE_TRUNCATED);
    close(sv[1]);
    /* Writing to a closed peer: NW_ERR_IO, and no SIGPIPE kills the test. */
    pair(sv);
    close(sv[1]);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_str("x"), nw_deadline_ms(5000)), NW_ERR_IO);
    assert_int_equal(nw_io_write_full(sv[0], "x", 1, nw_deadline_ms(5000)), NW_ERR_IO);
    close(sv[0]);
}

static nw_err read_with_max(const void *bytes, size_t n, size_t max)
{
    int sv[2];
    pair(sv);
    raw_write(sv[0], bytes, n);
    struct nw_buf b;
    nw_buf_init(&b, NW_WIRE_MAX_FRAME, false);
    nw_err err = nw_wire_read(sv[1], &b, max, nw_deadline_ms(5000));
    nw_buf_clear(&b);
    close(sv[0]);
    close(sv[1]);
    return err;
}

static void test_length(void **state)
{
    (void)state;
    assert_int_equal(read_with_max("\x00\x00\x00\x00", 4, 0), NW_ERR_WIRE_LENGTH);
    assert_int_equal(read_with_max("\x00\x10\x00\x01", 4, 0), NW_ERR_WIRE_LENGTH);
    assert_int_equal(read_with_max("\xff\xff\xff\xff", 4, 0), NW_ERR_WIRE_LENGTH);
    /* A max above the protocol limit is the protocol limit. */
    assert_int_equal(read_with_max("\x00\x10\x00\x01", 4, 1u << 24), NW_ERR_WIRE_LENGTH);
    assert_int_equal(read_with_max("\x00\x00\x00\x11", 4, 16), NW_ERR_WIRE_LENGTH);
    assert_int_equal(read_with_max("\x00\x00\x00\x10"
                                   "0123456789abcdef",
                                   20, 16),
                     NW_OK);
    int sv[2];
    pair(sv);
    static uint8_t big[NW_WIRE_MAX_FRAME + 1];
    assert_int_equal(nw_wire_write(sv[0], nw_cur_of(big, 0), nw_deadline_ms(1000)),
                     NW_ERR_WIRE_LENGTH);
    assert_int_equal(nw_wire_write(sv[0], nw_cur_of(big, sizeof(big)), nw_deadline_ms(1000)),
                     NW_ERR_WIRE_LENGTH);
    /* Nothing was sent for the refused frames. */
    uint8_t x;
    assert_int_equal(nw_io_read_full(sv[1], &x, 1, nw_deadline_ms(50)), NW_ERR_TIMEOUT);
    close(sv[0]);
    close(sv[1]);
}

static void test_deadline(void **state)
{
    (void)state;
    int sv[2];
    pair(sv);
    struct nw_buf b;
    nw_buf_init(&b, 64, false);
    int64_t t0 = nw_now_ms();
    assert_int_equal(nw_wire_read(sv[1], &b, 0, t0 + 150), NW_ERR_TIMEOUT);
    int64_t el = nw_now_ms() - t0;
    assert_true(el >= 150 && el < 3000);
    /* A peer that sends half a frame and stalls: TIMEOUT too, not a hang. */
    raw_write(sv[0], "\x00\x00\x00\x08half", 8);
    t0 = nw_now_ms();
    assert_int_equal(nw_wire_read(sv[1], &b, 0, t0 + 100), NW_ERR_TIMEOUT);
    assert_true(nw_now_ms() - t0 < 3000);
    assert_int_equal(b.len, 0);
    close(sv[0]);
    close(sv[1]);
    /* A deadline already passed, with nothing to read. */
    pair(sv);
    assert_int_equal(nw_wire_read(sv[1], &b, 0, nw_now_ms() - 1), NW_ERR_TIMEOUT);
    /* A writer whose peer never reads: TIMEOUT once the socket buffer is full. */
    int small = 4096;
    (void)setsockopt(sv[0], SOL_SOCKET, SO_SNDBUF, &small, sizeof(small));
    static uint8_t big[NW_WIRE_MAX_FRAME];
    t0 = nw_now_ms();
    assert_int_equal(nw_wire_write(sv[0], nw_cur_of(big, sizeof(big)), t0 + 150), NW_ERR_TIMEOUT);
    el = nw_now_ms() - t0;
    assert_true(el >= 150 && el < 3000);
    nw_buf_clear(&b);
    close(sv[0]);
    close(sv[1]);
}

/* Several frames of varied sizes, as one byte stream. */
static size_t make_stream(uint8_t *s, size_t cap, const size_t *lens, size_t nframes)
{
    size_t off = 0;
    for (size_t f = 0; f < nframes; f++) {
        assert_true(off + 4 + lens[f] <= cap);
        put_be32(s + off, (uint32_t)lens[f]);
        off += 4;
        for (size_t i = 0; i < lens[f]; i++)
            s[off + i] = (uint8_t)(f * 17 + i);
        off += lens[f];
    }
    return off;
}

static void test_reader_vs_oneshot(void **state)
{
    (void)state;
    static const size_t lens[] = {1, 2, 3, 4, 5, 255, 256, 4096, 1, 70000};
    size_t nf = NW_ARRAY_LEN(lens);
    size_t cap = 100000;
    uint8_t *s = malloc(cap);
    assert_non_null(s);
    size_t n = make_stream(s, cap, lens, nf);

    /* One-shot reads over a socket. */
    int sv[2];
    pair(sv);
    struct dripper d = {sv[0], s, n, 8192, 0, true};
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, drip, &d), 0);
    struct nw_buf one[NW_ARRAY_LEN(lens)];
    for (size_t f = 0; f < nf; f++) {
        nw_buf_init(&one[f], NW_WIRE_MAX_FRAME, false);
        assert_int_equal(nw_wire_read(sv[1], &one[f], 0, nw_deadline_ms(10000)), NW_OK);
    }
    assert_int_equal(nw_wire_read(sv[1], &one[0], 0, nw_deadline_ms(10000)), NW_ERR_WIRE_CLOSED);
    pthread_join(t, NULL);
    close(sv[1]);

    /* The incremental reader, fed one byte at a time. */
    struct nw_wire_reader r;
    nw_wire_reader_init(&r, 0, true);
    size_t f = 0;
    for (size_t i = 0; i < n; i++) {
        struct nw_cur in = nw_cur_of(s + i, 1);
        bool done = false;
        assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_OK);
        assert_int_equal(in.len, 0);
        if (!done) {
            assert_true(nw_wire_reader_partial(&r));
            continue;
        }
        assert_false(nw_wire_reader_partial(&r));
        assert_true(f < nf);
        assert_int_equal(r.payload.len, one[f].len);
        assert_memory_equal(r.payload.ptr, one[f].ptr, one[f].len);
        /* Feeding more before next() takes nothing. */
        struct nw_cur more = nw_cur_of(s, 3);
        assert_int_equal(nw_wire_reader_feed(&r, &more, &done), NW_OK);
        assert_true(done);
        assert_int_equal(more.len, 3);
        nw_wire_reader_next(&r);
        f++;
    }
    assert_int_equal(f, nf);
    assert_false(nw_wire_reader_partial(&r));

    /* The same stream in one feed: frames come out one by one, the rest stays in the cursor. */
    struct nw_cur in = nw_cur_of(s, n);
    for (f = 0; f < nf; f++) {
        bool done = false;
        assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_OK);
        assert_true(done);
        assert_int_equal(r.payload.len, lens[f]);
        assert_memory_equal(r.payload.ptr, one[f].ptr, lens[f]);
        nw_wire_reader_next(&r);
    }
    assert_int_equal(in.len, 0);
    nw_wire_reader_clear(&r);
    for (f = 0; f < nf; f++)
        nw_buf_clear(&one[f]);
    free(s);
}

static void test_reader_errors(void **state)
{
    (void)state;
    struct nw_wire_reader r;
    bool done = true;
    nw_wire_reader_init(&r, 16, false);
    struct nw_cur in = nw_cur_of("\x00\x00", 2);
    assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_OK);
    assert_false(done);
    assert_true(nw_wire_reader_partial(&r));
    in = nw_cur_of("\x00\x11", 2);
    assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_ERR_WIRE_LENGTH);
    nw_wire_reader_clear(&r);

    nw_wire_reader_init(&r, 0, false);
    assert_false(nw_wire_reader_partial(&r));
    in = nw_cur_of("\x00\x00\x00\x00", 4);
    assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_ERR_WIRE_LENGTH);
    nw_wire_reader_clear(&r);
    nw_wire_reader_init(&r, 0, false);
    in = nw_cur_of("\x00\x10\x00\x01", 4);
    assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_ERR_WIRE_LENGTH);
    nw_wire_reader_clear(&r);
    /* An empty feed changes nothing. */
    nw_wire_reader_init(&r, 0, false);
    in = nw_cur_of(NULL, 0);
    assert_int_equal(nw_wire_reader_feed(&r, &in, &done), NW_OK);
    assert_false(done);
    assert_false(nw_wire_reader_partial(&r));
    nw_wire_reader_clear(&r);
}

/* Frames over real tcp and unix listeners from <nw/addr.h>, through nw_wire_connect. */
static void over_addr(const char *text)
{
    struct nw_addr a;
    int lfd = -1, cfd = -1;
    assert_int_equal(nw_addr_parse(&a, text), NW_OK);
    assert_int_equal(nw_net_listen(&a, 4, &lfd), NW_OK);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    char bound[NW_ADDR_TEXT_MAX];
    nw_sockaddr_format(bound, &ss, len);
    assert_int_equal(nw_addr_parse(&a, bound), NW_OK);
    assert_int_equal(nw_wire_connect(&a, 2000, &cfd), NW_OK);
    assert_int_equal(nw_wire_write(cfd, nw_cur_str("ping"), nw_deadline_ms(2000)), NW_OK);
    int sfd = -1;
    for (int i = 0; i < 200 && sfd < 0; i++) {
        sfd = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);
        if (sfd < 0)
            sleep_ms(5);
    }
    assert_true(sfd >= 0);
    struct nw_buf b;
    nw_buf_init(&b, 64, false);
    assert_int_equal(nw_wire_read(sfd, &b, 0, nw_deadline_ms(2000)), NW_OK);
    assert_memory_equal(b.ptr, "ping", 4);
    assert_int_equal(nw_wire_write(sfd, nw_cur_str("pong"), nw_deadline_ms(2000)), NW_OK);
    b.len = 0;
    assert_int_equal(nw_wire_read(cfd, &b, 0, nw_deadline_ms(2000)), NW_OK);
    assert_memory_equal(b.ptr, "pong", 4);
    close(sfd);
    assert_int_equal(nw_wire_read(cfd, &b, 0, nw_deadline_ms(2000)), NW_ERR_WIRE_CLOSED);
    nw_buf_clear(&b);
    close(cfd);
    close(lfd);
}

static void test_over_addresses(void **state)
{
    (void)state;
    over_addr("tcp:127.0.0.1:0");
    char path[64];
    (void)snprintf(path, sizeof(path), "unix:/tmp/nw-wire-%d.sock", (int)getpid());
    over_addr(path);
    (void)unlink(path + 5);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header),
        cmocka_unit_test(test_roundtrip_append),
        cmocka_unit_test(test_partial_reads),
        cmocka_unit_test(test_partial_writes),
        cmocka_unit_test(test_eintr),
        cmocka_unit_test(test_close),
        cmocka_unit_test(test_length),
        cmocka_unit_test(test_deadline),
        cmocka_unit_test(test_reader_vs_oneshot),
        cmocka_unit_test(test_reader_errors),
        cmocka_unit_test(test_over_addresses),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
