/*
 * Address parsing, formatting and loopback listen/connect (never vsock connect).
 */
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <sys/un.h>
#include <unistd.h>

#include <nw/addr.h>

#include "nwtest.h"

static void roundtrip(const char *text)
{
    struct nw_addr a;
    char out[NW_ADDR_TEXT_MAX];
    assert_int_equal(nw_addr_parse(&a, text), NW_OK);
    nw_addr_format(out, &a);
    assert_string_equal(out, text);
}

static void test_parse_ok(void **state)
{
    (void)state;
    roundtrip("tcp:127.0.0.1:5432");
    roundtrip("tcp:[::1]:443");
    roundtrip("tcp:kms.us-east-1.amazonaws.com:443");
    roundtrip("tcp:localhost:0");
    roundtrip("unix:/tmp/x.sock");
    roundtrip("unix:rel.sock");
    roundtrip("vsock:16:5000");
    roundtrip("vsock:any:8001");
    roundtrip("vsock:3:4294967294");
    struct nw_addr a;
    assert_int_equal(nw_addr_parse(&a, "vsock:any:5000"), NW_OK);
    assert_int_equal(a.cid, VMADDR_CID_ANY);
}

static void test_parse_bad(void **state)
{
    (void)state;
    struct nw_addr a;
    const char *syntax[] = {"",           "tcp:",        "tcp:host",    "tcp::80",
                            "tcp:::1:80", "tcp:[::1]80", "tcp:[zz]:80", "udp:1.2.3.4:5",
                            "vsock:3",    "vsock::5",    "vsock:3:4:5", "tcp:a b:1",
                            "tcp:h:",     "vsock:3:"};
    for (size_t i = 0; i < NW_ARRAY_LEN(syntax); i++) {
        if (nw_addr_parse(&a, syntax[i]) != NW_ERR_ADDR_SYNTAX)
            fail_msg("expected syntax error for '%s'", syntax[i]);
    }
    assert_int_equal(nw_addr_parse(&a, "tcp:h:65536"), NW_ERR_ADDR_PORT);
    assert_int_equal(nw_addr_parse(&a, "tcp:h:-1"), NW_ERR_ADDR_PORT);
    assert_int_equal(nw_addr_parse(&a, "tcp:h:80x"), NW_ERR_ADDR_PORT);
    assert_int_equal(nw_addr_parse(&a, "vsock:3:4294967295"), NW_ERR_ADDR_PORT);
    assert_int_equal(nw_addr_parse(&a, "vsock:4294967295:1"), NW_ERR_ADDR_CID);
    assert_int_equal(nw_addr_parse(&a, "vsock:x:1"), NW_ERR_ADDR_CID);
    assert_int_equal(nw_addr_parse(&a, "unix:"), NW_ERR_ADDR_PATH);
    char longpath[200] = "unix:/";
    memset(longpath + 6, 'a', 150);
    longpath[156] = '\0';
    assert_int_equal(nw_addr_parse(&a, longpath), NW_ERR_ADDR_PATH);
}

static void test_sockaddr(void **state)
{
    (void)state;
    struct nw_addr a;
    struct sockaddr_storage ss;
    socklen_t len;
    char out[NW_ADDR_TEXT_MAX];
    assert_int_equal(nw_addr_parse(&a, "vsock:16:5000"), NW_OK);
    assert_int_equal(nw_addr_sockaddr(&a, &ss, &len), NW_OK);
    assert_int_equal(nw_addr_family(&ss), AF_VSOCK);
    assert_int_equal(((struct sockaddr_vm *)&ss)->svm_cid, 16);
    assert_int_equal(((struct sockaddr_vm *)&ss)->svm_port, 5000);
    nw_sockaddr_format(out, &ss, len);
    assert_string_equal(out, "vsock:16:5000");
    assert_int_equal(nw_addr_parse(&a, "tcp:[::1]:8"), NW_OK);
    assert_int_equal(nw_addr_sockaddr(&a, &ss, &len), NW_OK);
    assert_int_equal(nw_addr_family(&ss), AF_INET6);
    nw_sockaddr_format(out, &ss, len);
    assert_string_equal(out, "tcp:[::1]:8");
    assert_int_equal(nw_addr_parse(&a, "tcp:localhost:8"), NW_OK);
    assert_int_equal(nw_addr_sockaddr(&a, &ss, &len), NW_ERR_ADDR_NOT_NUMERIC);
    size_t n = 0;
    socklen_t lens[4];
    struct sockaddr_storage many[4];
    assert_int_equal(nw_addr_resolve(&a, AF_INET, many, lens, 4, &n), NW_OK);
    assert_true(n >= 1);
    assert_int_equal(nw_addr_parse(&a, "tcp:no-such-host.invalid:8"), NW_OK);
    assert_int_equal(nw_addr_resolve(&a, AF_UNSPEC, many, lens, 4, &n), NW_ERR_ADDR_RESOLVE);
}

static void test_listen_connect(void **state)
{
    (void)state;
    char path[64];
    (void)snprintf(path, sizeof(path), "unix:/tmp/nw-test-addr-%d.sock", (int)getpid());
    struct nw_addr a;
    int lfd = -1, cfd = -1;
    assert_int_equal(nw_addr_parse(&a, path), NW_OK);
    assert_int_equal(nw_net_listen(&a, 4, &lfd), NW_OK);
    assert_int_equal(nw_net_connect(&a, 1000, &cfd), NW_OK);
    close(cfd);
    close(lfd);
    unlink(a.path);
    /* Nothing listens there now: refused. */
    assert_int_equal(nw_net_connect(&a, 1000, &cfd), NW_ERR_NET_CONNECT);

    assert_int_equal(nw_addr_parse(&a, "tcp:127.0.0.1:0"), NW_OK);
    assert_int_equal(nw_net_listen(&a, 4, &lfd), NW_OK);
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    assert_int_equal(getsockname(lfd, (struct sockaddr *)&ss, &len), 0);
    char text[NW_ADDR_TEXT_MAX];
    nw_sockaddr_format(text, &ss, len);
    assert_int_equal(nw_addr_parse(&a, text), NW_OK);
    assert_int_equal(nw_net_connect(&a, 1000, &cfd), NW_OK);
    close(cfd);
    close(lfd);
    /* Listening on a path whose directory does not exist fails cleanly. */
    assert_int_equal(nw_addr_parse(&a, "unix:/nonexistent-dir-nw/x.sock"), NW_OK);
    assert_int_equal(nw_net_listen(&a, 4, &lfd), NW_ERR_NET_LISTEN);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),
        cmocka_unit_test(test_sockaddr),
        cmocka_unit_test(test_listen_connect),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
