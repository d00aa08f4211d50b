/*
 * The NSM simulator's socket server (src/sim/nsm_serve.c): several callers at once (an idle or
 * half-sent client holds up no one), refused frames, and its socket path (a regular file given
 * as the path is never deleted).
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <nw/addr.h>
#include <nw/nsm.h>
#include <nw/nsm_sim.h>
#include <nw/wire.h>

#include "nwtest.h"

static uint64_t test_clock(void *ctx)
{
    (void)ctx;
    return 1700000000000ull;
}

struct server {
    struct nw_nsm_sim *sim;
    char dir[64];
    char path[128];
    char addr[140];
    volatile int stop;
    nw_err result;
    pthread_t th;
};

static void *serve_main(void *arg)
{
    struct server *s = arg;
    s->result = nw_nsm_sim_serve_unix(s->sim, s->path, &s->stop);
    return NULL;
}

static void server_init(struct server *s)
{
    memset(s, 0, sizeof(*s));
    struct nw_nsm_sim_opts o = {.instance_id = "i-0123456789abcdef0", .now_ms = test_clock};
    assert_int_equal(nw_nsm_sim_new(&s->sim, &o), NW_OK);
    strcpy(s->dir, "/tmp/nw-nsmserve-XXXXXX");
    assert_non_null(mkdtemp(s->dir));
    snprintf(s->path, sizeof(s->path), "%s/nsm.sock", s->dir);
    snprintf(s->addr, sizeof(s->addr), "unix:%s", s->path);
}

static bool is_socket(const char *path)
{
    struct stat st;
    return lstat(path, &st) == 0 && S_ISSOCK(st.st_mode);
}

/* Start serving and wait until a connection is accepted (a stale socket file refuses). */
static void server_start(struct server *s)
{
    assert_int_equal(pthread_create(&s->th, NULL, serve_main, s), 0);
    struct nw_addr a;
    assert_int_equal(nw_addr_parse(&a, s->addr), NW_OK);
    int fd = -1;
    for (int i = 0; i < 500 && fd < 0; i++) {
        if (nw_net_connect(&a, 1000, &fd) != NW_OK)
            usleep(10000);
    }
    assert_true(fd >= 0);
    close(fd);
}

static void server_stop(struct server *s)
{
    s->stop = 1;
    pthread_join(s->th, NULL);
    assert_int_equal(s->result, NW_OK);
    nw_nsm_sim_free(s->sim);
    (void)unlink(s->path);
    assert_int_equal(rmdir(s->dir), 0);
}

static int raw_connect(const struct server *s)
{
    struct nw_addr a;
    int fd = -1;
    assert_int_equal(nw_addr_parse(&a, s->addr), NW_OK);
    assert_int_equal(nw_net_connect(&a, 2000, &fd), NW_OK);
    return fd;
}

/* One DescribeNSM through the client library, timed. */
static int64_t describe_ms(const struct server *s)
{
    int64_t t0 = nw_now_ms();
    struct nw_nsm *nsm = NULL;
    struct nw_nsm_description d;
    assert_int_equal(nw_nsm_open(&nsm, s->addr), NW_OK);
    assert_int_equal(nw_nsm_describe(nsm, &d), NW_OK);
    assert_int_equal(d.max_pcrs, 32);
    nw_nsm_close(nsm);
    return nw_now_ms() - t0;
}

/* An idle client and a client stuck in the middle of a frame do not hold up a third. */
static void test_idle_and_half_sent(void **state)
{
    (void)state;
    struct server s;
    server_init(&s);
    server_start(&s);
    int idle = raw_connect(&s);
    int half = raw_connect(&s);
    assert_int_equal(nw_io_write_full(half, "\x00\x00", 2, nw_deadline_ms(2000)), NW_OK);
    int half2 = raw_connect(&s);
    assert_int_equal(nw_io_write_full(half2, "\x00\x00\x00\x10\xa1", 5, nw_deadline_ms(2000)),
                     NW_OK);
    /* The old one-at-a-time server would wait for ever on the first client here. */
    assert_true(describe_ms(&s) < 5000);
    assert_true(describe_ms(&s) < 5000);
    /* The idle client is still served afterwards, on the same connection. */
    struct nw_nsm_request req = {.op = NW_NSM_OP_DESCRIBE_NSM};
    struct nw_buf q, r;
    nw_buf_init(&q, NW_NSM_REQUEST_MAX, false);
    nw_buf_init(&r, NW_NSM_RESPONSE_MAX, false);
    assert_int_equal(nw_nsm_request_encode(&q, &req), NW_OK);
    assert_int_equal(nw_wire_write(idle, nw_buf_cur(&q), nw_deadline_ms(2000)), NW_OK);
    assert_int_equal(nw_wire_read(idle, &r, NW_NSM_RESPONSE_MAX, nw_deadline_ms(5000)), NW_OK);
    assert_true(r.len > 10);
    nw_buf_clear(&q);
    nw_buf_clear(&r);
    close(idle);
    close(half);
    close(half2);
    server_stop(&s);
}

struct caller {
    const struct server *s;
    int ok;
};

static void *caller_main(void *arg)
{
    struct caller *c = arg;
    struct nw_nsm *nsm = NULL;
    if (nw_nsm_open(&nsm, c->s->addr) != NW_OK)
        return NULL;
    uint8_t buf[64];
    for (int i = 0; i < 20; i++) {
        if (nw_nsm_random(nsm, buf, sizeof(buf)) == NW_OK)
            c->ok++;
    }
    nw_nsm_close(nsm);
    return NULL;
}

/* Several callers at the same time, each on its own connection, all answered. */
static void test_parallel_callers(void **state)
{
    (void)state;
    struct server s;
    server_init(&s);
    server_start(&s);
    struct caller c[6];
    pthread_t th[6];
    for (size_t i = 0; i < 6; i++) {
        c[i].s = &s;
        c[i].ok = 0;
        assert_int_equal(pthread_create(&th[i], NULL, caller_main, &c[i]), 0);
    }
    for (size_t i = 0; i < 6; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(c[i].ok, 20);
    }
    server_stop(&s);
}

/* Refused frames end only their own connection. */
static void test_refused_frames(void **state)
{
    (void)state;
    struct server s;
    server_init(&s);
    server_start(&s);
    struct nw_buf r;
    nw_buf_init(&r, NW_NSM_RESPONSE_MAX, false);
    /* Longer than a request may be: InputTooLarge, then the connection closes. */
    int fd = raw_connect(&s);
    assert_int_equal(nw_io_write_full(fd, "\x00\x00\x13\x88", 4, nw_deadline_ms(2000)), NW_OK);
    assert_int_equal(nw_wire_read(fd, &r, 0, nw_deadline_ms(5000)), NW_OK);
    static const char want[] = "\xa1\x65"
                               "Error"
                               "\x6d"
                               "InputTooLarge";
    assert_int_equal(r.len, sizeof(want) - 1);
    assert_memory_equal(r.ptr, want, r.len);
    assert_int_equal(nw_wire_read(fd, &r, 0, nw_deadline_ms(5000)), NW_ERR_WIRE_CLOSED);
    close(fd);
    /* A zero length: closed without an answer. */
    fd = raw_connect(&s);
    assert_int_equal(nw_io_write_full(fd, "\x00\x00\x00\x00", 4, nw_deadline_ms(2000)), NW_OK);
    assert_int_equal(nw_wire_read(fd, &r, 0, nw_deadline_ms(5000)), NW_ERR_WIRE_CLOSED);
    close(fd);
    /* A client that leaves in the middle of a frame. */
    fd = raw_connect(&s);
    assert_int_equal(nw_io_write_full(fd, "\x00\x00\x00\x09\x6b", 5, nw_deadline_ms(2000)), NW_OK);
    close(fd);
    assert_true(describe_ms(&s) < 5000);
    nw_buf_clear(&r);
    server_stop(&s);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    assert_int_equal(fputs(text, f) >= 0, 1);
    assert_int_equal(fclose(f), 0);
}

static void expect_file(const char *path, const char *text)
{
    size_t n = 0;
    uint8_t *got = nwt_read_file(path, &n);
    assert_non_null(got);
    assert_int_equal(n, strlen(text));
    assert_memory_equal(got, text, n);
    free(got);
}

/* A regular file given as the socket path is refused and left alone (it used to be deleted). */
static void test_regular_file_kept(void **state)
{
    (void)state;
    struct server s;
    server_init(&s);
    write_file(s.path, "precious\n");
    assert_int_equal(nw_nsm_sim_serve_unix(s.sim, s.path, &s.stop), NW_ERR_IO);
    expect_file(s.path, "precious\n");
    assert_int_equal(unlink(s.path), 0);

    /* A stale socket from an earlier run is replaced. */
    int fd = socket(AF_UNIX, SOCK_STREAM, 0);
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    memcpy(sa.sun_path, s.path, strlen(s.path) + 1);
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    close(fd);
    assert_true(is_socket(s.path));
    server_start(&s);
    assert_true(describe_ms(&s) < 5000);
    /* A file put in the socket's place while serving is not removed on stop either. */
    assert_int_equal(unlink(s.path), 0);
    write_file(s.path, "someone else's\n");
    s.stop = 1;
    pthread_join(s.th, NULL);
    assert_int_equal(s.result, NW_OK);
    expect_file(s.path, "someone else's\n");
    assert_int_equal(unlink(s.path), 0);
    s.stop = 0;

    /* Normal case: the socket file goes away with the server. */
    server_start(&s);
    s.stop = 1;
    pthread_join(s.th, NULL);
    assert_false(is_socket(s.path));
    assert_int_equal(access(s.path, F_OK), -1);
    /* Bad paths. */
    assert_int_equal(nw_nsm_sim_serve_unix(s.sim, "", &s.stop), NW_ERR_INVALID_ARG);
    char longp[200];
    memset(longp, 'a', sizeof(longp) - 1);
    longp[sizeof(longp) - 1] = '\0';
    assert_int_equal(nw_nsm_sim_serve_unix(s.sim, longp, &s.stop), NW_ERR_INVALID_ARG);
    nw_nsm_sim_free(s.sim);
    assert_int_equal(rmdir(s.dir), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_idle_and_half_sent),
        cmocka_unit_test(test_parallel_callers),
        cmocka_unit_test(test_refused_frames),
        cmocka_unit_test(test_regular_file_kept),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
