/*
 * nw-proxy configuration: command line (native and vsock-proxy forms), allowlist YAML, matching.
 * Every NW_ERR_PROXY_* code has a negative case here asserting that exact code.
 */
#include <linux/vm_sockets.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nw/err.h>

#include "nwtest.h"
#include "proxy/proxy.h"

static struct nw_proxy_cfg cfg;
static char diag[NW_PROXY_DIAG_MAX];

#define PARSE(...)                                                                               \
 nw_proxy_parse_args(&cfg, diag, (int)NW_ARRAY_LEN(((const char *[]){"nw-proxy", __VA_ARGS__})), \
                     (const char *const[]){"nw-proxy", __VA_ARGS__})

static void test_args_native(void **state)
{
    (void)state;
    assert_int_equal(PARSE("--listen", "tcp:127.0.0.1:5432", "--connect", "vsock:3:8001"), NW_OK);
    assert_int_equal(cfg.nroutes, 1);
    assert_string_equal(cfg.routes[0].text, "tcp:127.0.0.1:5432=vsock:3:8001");
    assert_false(cfg.compat);
    assert_int_equal(cfg.workers, 1);
    assert_int_equal(cfg.dns_ttl_max_s, 60);
    assert_int_equal(PARSE("--route", "unix:/a=tcp:[::1]:1", "--route=tcp:h:2=unix:/b", "-w", "3",
                           "--dns-ttl-max=5", "--idle-timeout", "7", "-6", "--log-format", "json"),
                     NW_OK);
    assert_int_equal(cfg.nroutes, 2);
    assert_string_equal(cfg.routes[1].text, "tcp:h:2=unix:/b");
    assert_int_equal(cfg.workers, 3);
    assert_int_equal(cfg.dns_ttl_max_s, 5);
    assert_int_equal(cfg.idle_timeout_s, 7);
    assert_int_equal(cfg.family, AF_INET6);
    assert_true(cfg.log_json);
    assert_int_equal(PARSE("--help"), NW_OK);
    assert_true(cfg.help);
}

/* The <nw/opt.h> conventions: --opt=value, short options glued to their value, --help/-h and
 * --version stop the parse, `--` ends the options, argv is left as it was. */
static void test_args_conventions(void **state)
{
    (void)state;
    assert_int_equal(PARSE("--listen=tcp:127.0.0.1:5432", "--connect=vsock:3:8001",
                           "--max-conns=10", "-w2", "--log-level=debug", "--ipv4"),
                     NW_OK);
    assert_string_equal(cfg.routes[0].text, "tcp:127.0.0.1:5432=vsock:3:8001");
    assert_int_equal(cfg.max_conns, 10);
    assert_int_equal(cfg.workers, 2);
    assert_int_equal(cfg.log_level, NW_LOG_DEBUG);
    assert_int_equal(cfg.family, AF_INET);
    assert_false(cfg.help);
    assert_false(cfg.version);
    assert_int_equal(PARSE("--connect", "unix:/b", "--listen", "unix:/a", "--pipe-size", "8192"),
                     NW_OK);
    assert_string_equal(cfg.routes[0].text, "unix:/a=unix:/b");
    assert_int_equal(cfg.pipe_size, 8192);
    /* --help needs no route and ends the parse: a bad option after it is not looked at. */
    assert_int_equal(PARSE("-h"), NW_OK);
    assert_true(cfg.help);
    assert_int_equal(PARSE("--route", "unix:/a=unix:/b", "--help", "--nope"), NW_OK);
    assert_true(cfg.help);
    assert_int_equal(PARSE("--version"), NW_OK);
    assert_true(cfg.version);
    assert_false(cfg.help);
    /* Operands after options, and after `--` (which ends the options). */
    assert_int_equal(PARSE("-4", "--", "8000", "kms.us-east-1.amazonaws.com", "443"), NW_OK);
    assert_true(cfg.compat);
    assert_string_equal(cfg.routes[0].text, "vsock:any:8000=tcp:kms.us-east-1.amazonaws.com:443");
    /* getopt permutes the array it parses; the caller's argv stays in order. */
    const char *const argv[] = {"nw-proxy", "8000", "h", "-w", "2", "443"};
    assert_int_equal(nw_proxy_parse_args(&cfg, diag, 6, argv), NW_OK);
    assert_string_equal(argv[1], "8000");
    assert_string_equal(argv[3], "-w");
    assert_string_equal(argv[5], "443");
    assert_string_equal(cfg.routes[0].text, "vsock:any:8000=tcp:h:443");
    assert_int_equal(cfg.workers, 2);
}

static void test_args_usage_errors(void **state)
{
    (void)state;
    /* Unknown options, with the closest known name. */
    assert_int_equal(PARSE("--listen", "unix:/a", "--conect", "unix:/b"), NW_ERR_PROXY_USAGE);
    assert_string_equal(diag, "unknown option '--conect' (did you mean '--connect'?)");
    assert_int_equal(PARSE("--num-workers=2", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_USAGE);
    assert_non_null(strstr(diag, "did you mean '--num_workers'?"));
    assert_int_equal(PARSE("-x", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_USAGE);
    assert_string_equal(diag, "unknown option '-x'");
    /* Only exact long names: a prefix is not taken for the option it starts. */
    assert_int_equal(PARSE("--listen-o", "unix:/a", "8000", "h", "1"), NW_ERR_PROXY_USAGE);
    assert_non_null(strstr(diag, "did you mean '--listen-override'?"));
    /* A missing value, a value given to a flag. */
    assert_int_equal(PARSE("--route", "unix:/a=unix:/b", "--connect"), NW_ERR_PROXY_USAGE);
    assert_string_equal(diag, "option '--connect' needs a value (ADDR)");
    assert_int_equal(PARSE("--route", "unix:/a=unix:/b", "-w"), NW_ERR_PROXY_USAGE);
    assert_non_null(strstr(diag, "needs a value"));
    assert_int_equal(PARSE("--ipv6=1", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_USAGE);
    assert_string_equal(diag, "option '--ipv6' takes no value");
    /* Values are checked as before; the diag names the long option. */
    assert_int_equal(PARSE("-w", "65", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_NUMBER);
    assert_string_equal(diag, "--num_workers: '65' is not a number in 1..64");
    assert_int_equal(PARSE("--connect-timeout=0", "--route", "unix:/a=unix:/b"),
                     NW_ERR_PROXY_NUMBER);
    assert_non_null(strstr(diag, "--connect-timeout"));
    /* More arguments than the parser copies. */
    static const char *many[NW_PROXY_ARGS_MAX + 1];
    many[0] = "nw-proxy";
    for (size_t i = 1; i < NW_ARRAY_LEN(many); i++)
        many[i] = "-4";
    assert_int_equal(nw_proxy_parse_args(&cfg, diag, (int)NW_ARRAY_LEN(many), many),
                     NW_ERR_PROXY_USAGE);
    assert_non_null(strstr(diag, "too many arguments"));
}

static void test_args_compat(void **state)
{
    (void)state;
    assert_int_equal(PARSE("8000", "kms.us-east-1.amazonaws.com", "443", "-w", "4", "-4"), NW_OK);
    assert_true(cfg.compat);
    assert_string_equal(cfg.routes[0].text, "vsock:any:8000=tcp:kms.us-east-1.amazonaws.com:443");
    assert_string_equal(cfg.config_path, NW_PROXY_DEFAULT_YAML);
    assert_int_equal(cfg.family, AF_INET);
    /* The listen side becomes a vsock socket address (built, never connected here). */
    struct sockaddr_storage ss;
    socklen_t len;
    assert_int_equal(nw_addr_sockaddr(&cfg.routes[0].listen, &ss, &len), NW_OK);
    const struct sockaddr_vm *vm = (const struct sockaddr_vm *)&ss;
    assert_int_equal(vm->svm_family, AF_VSOCK);
    assert_int_equal(vm->svm_cid, VMADDR_CID_ANY);
    assert_int_equal(vm->svm_port, 8000);
    assert_int_equal(len, sizeof(*vm));
    assert_int_equal(PARSE("8001", "::1", "5432", "--config", "/x.yaml", "--listen-override",
                           "unix:/tmp/t.sock", "--num_workers=2"),
                     NW_OK);
    assert_string_equal(cfg.routes[0].text, "unix:/tmp/t.sock=tcp:[::1]:5432");
    assert_string_equal(cfg.config_path, "/x.yaml");
}

static void test_args_errors(void **state)
{
    (void)state;
    assert_int_equal(PARSE("--nope"), NW_ERR_PROXY_USAGE);
    assert_non_null(strstr(diag, "--nope"));
    assert_int_equal(PARSE("--listen"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--listen", "unix:/a"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--listen", "unix:/a", "--listen", "unix:/b"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--route", "unix:/a"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--log-format", "xml", "--route", "unix:/a=unix:/b"),
                     NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--log-level", "loud", "--route", "unix:/a=unix:/b"),
                     NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("1", "2"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("1", "h", "2", "3"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("1", "h", "2", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("--listen-override", "unix:/a", "--route", "unix:/a=unix:/b"),
                     NW_ERR_PROXY_USAGE);
    assert_int_equal(PARSE("-w", "0", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_NUMBER);
    assert_int_equal(PARSE("-w", "x", "--route", "unix:/a=unix:/b"), NW_ERR_PROXY_NUMBER);
    assert_int_equal(PARSE("--pipe-size", "99999999999", "--route", "unix:/a=unix:/b"),
                     NW_ERR_PROXY_NUMBER);
    assert_int_equal(PARSE("--listen", "tcp:1.2.3.4:99999", "--connect", "unix:/b"),
                     NW_ERR_ADDR_PORT);
    assert_int_equal(PARSE("--route", "unix:/a=bogus:1"), NW_ERR_ADDR_SYNTAX);
    assert_int_equal(PARSE("4294967295", "h", "1"), NW_ERR_ADDR_PORT);
    assert_int_equal(PARSE("1", "h", "65536"), NW_ERR_ADDR_PORT);
    assert_int_equal(PARSE("1", "bad host", "1"), NW_ERR_ADDR_SYNTAX);
}

static nw_err yaml(struct nw_proxy_allowlist *al, const char *text)
{
    return nw_proxy_allowlist_parse(al, diag, (const uint8_t *)text, strlen(text));
}

static void test_allowlist(void **state)
{
    (void)state;
    static struct nw_proxy_allowlist al;
    assert_int_equal(yaml(&al, "allowlist:\n"
                               "- {address: kms.us-east-1.amazonaws.com, port: 443}\n"
                               "- {address: kms-fips.us-east-1.amazonaws.com, port: 443}\n"
                               "- address: 10.0.0.5\n  port: \"5432\"\n"
                               "- {address: '::1', port: 1}\n"),
                     NW_OK);
    assert_int_equal(al.n, 4);
    assert_true(nw_proxy_allowed(&al, "KMS.us-east-1.amazonaws.com", 443, NULL));
    assert_false(nw_proxy_allowed(&al, "kms.us-east-1.amazonaws.com", 444, NULL));
    assert_false(nw_proxy_allowed(&al, "kms.eu-west-1.amazonaws.com", 443, NULL));
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in *in4 = (struct sockaddr_in *)&ss;
    in4->sin_family = AF_INET;
    in4->sin_addr.s_addr = htonl(0x0A000005);
    assert_true(nw_proxy_allowed(&al, "db.internal", 5432, &ss));
    assert_false(nw_proxy_allowed(&al, "db.internal", 5433, &ss));
    in4->sin_addr.s_addr = htonl(0x0A000006);
    assert_false(nw_proxy_allowed(&al, "db.internal", 5432, &ss));
    memset(&ss, 0, sizeof(ss));
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;
    in6->sin6_family = AF_INET6;
    in6->sin6_addr = in6addr_loopback;
    assert_true(nw_proxy_allowed(&al, "x", 1, &ss));
    assert_int_equal(yaml(&al, "allowlist:\n"), NW_OK);
    assert_int_equal(al.n, 0);
    assert_int_equal(yaml(&al, "allowlist: []\n# comment\nother: 1\n"), NW_OK);
}

/* libyaml's scanner is quadratic in nesting depth: 200k levels took minutes before the check. */
static void test_allowlist_deep_nesting(void **state)
{
    (void)state;
    static struct nw_proxy_allowlist al;
    static const char head[] = "allowlist: ";
    size_t depth = 200000, n = sizeof(head) - 1 + 2 * depth;
    char *t = malloc(n + 1);
    assert_non_null(t);
    memcpy(t, head, sizeof(head) - 1);
    memset(t + sizeof(head) - 1, '[', depth);
    memset(t + sizeof(head) - 1 + depth, ']', depth);
    t[n] = '\0';
    assert_int_equal(yaml(&al, t), NW_ERR_PROXY_CONFIG_YAML);
    free(t);
    assert_int_equal(yaml(&al, "allowlist: [[[[[[[[[]]]]]]]]]\n"), NW_ERR_PROXY_CONFIG_YAML);
}

static void test_allowlist_errors(void **state)
{
    (void)state;
    static struct nw_proxy_allowlist al;
    assert_int_equal(yaml(&al, "allowlist: [\n"), NW_ERR_PROXY_CONFIG_YAML);
    assert_non_null(strstr(diag, "line"));
    assert_int_equal(yaml(&al, "{a: b"), NW_ERR_PROXY_CONFIG_YAML);
    assert_int_equal(yaml(&al, ""), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "- a\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allow: []\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist: 3\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- x\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: a}\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {port: 1}\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: a, port: 65536}\n"),
                     NW_ERR_PROXY_ALLOWLIST);
    assert_non_null(strstr(diag, "65536"));
    assert_int_equal(yaml(&al, "allowlist:\n- {address: a, port: -1}\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: '', port: 1}\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: [a], port: 1}\n"), NW_ERR_PROXY_ALLOWLIST);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: a, port: 1, extra: 2}\n"),
                     NW_ERR_PROXY_ALLOWLIST);
    assert_non_null(strstr(diag, "extra"));
    assert_int_equal(al.n, 0);
    /* Issue 13a: a NUL inside a value (double-quoted YAML escape) and duplicate keys. */
    assert_int_equal(yaml(&al, "allowlist:\n- {address: \"127.0.0.1\\0evil\", port: 1}\n"),
                     NW_ERR_PROXY_NUL);
    assert_non_null(strstr(diag, "NUL"));
    assert_int_equal(yaml(&al, "allowlist:\n- {address: \"a\\0\", port: 1}\n"), NW_ERR_PROXY_NUL);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: a, port: 1, port: 2}\n"),
                     NW_ERR_PROXY_DUP_KEY);
    assert_non_null(strstr(diag, "port"));
    assert_int_equal(yaml(&al, "allowlist:\n- address: a\n  port: 1\n  address: b\n"),
                     NW_ERR_PROXY_DUP_KEY);
    assert_int_equal(yaml(&al, "allowlist: []\nallowlist:\n- {address: a, port: 1}\n"),
                     NW_ERR_PROXY_DUP_KEY);
    assert_int_equal(yaml(&al, "allowlist:\n- {address: \"127.0.0.1\", port: 1}\n"), NW_OK);
    assert_int_equal(al.n, 1);
}

static void test_allowlist_load(void **state)
{
    (void)state;
    static struct nw_proxy_allowlist al;
    assert_int_equal(nw_proxy_allowlist_load(&al, diag, "/nonexistent/nw/allow.yaml"),
                     NW_ERR_PROXY_CONFIG_READ);
    assert_non_null(strstr(diag, "/nonexistent/nw/allow.yaml"));
    char path[] = "/tmp/nwallowXXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    const char text[] = "allowlist:\n- {address: localhost, port: 5432}\n";
    assert_int_equal(write(fd, text, sizeof(text) - 1), (ssize_t)(sizeof(text) - 1));
    close(fd);
    assert_int_equal(nw_proxy_allowlist_load(&al, diag, path), NW_OK);
    assert_int_equal(al.n, 1);
    assert_int_equal(al.v[0].port, 5432);

    /* Start-up check: by name passes; a name or literal not listed is NW_ERR_PROXY_DENIED. */
    assert_int_equal(PARSE("8001", "localhost", "5432"), NW_OK);
    assert_int_equal(nw_proxy_check_targets(&cfg, &al, diag), NW_OK);
    assert_int_equal(PARSE("8001", "127.0.0.1", "5433"), NW_OK);
    assert_int_equal(nw_proxy_check_targets(&cfg, &al, diag), NW_ERR_PROXY_DENIED);
    assert_non_null(strstr(diag, "tcp:127.0.0.1:5433"));
    assert_int_equal(PARSE("--route", "unix:/a=unix:/b"), NW_OK);
    assert_int_equal(nw_proxy_check_targets(&cfg, &al, diag), NW_OK); /* only tcp is checked */
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_args_native),       cmocka_unit_test(test_args_conventions),
        cmocka_unit_test(test_args_compat),       cmocka_unit_test(test_args_errors),
        cmocka_unit_test(test_args_usage_errors), cmocka_unit_test(test_allowlist),
        cmocka_unit_test(test_allowlist_errors),  cmocka_unit_test(test_allowlist_deep_nesting),
        cmocka_unit_test(test_allowlist_load),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
