/*
 * The binaries' shared glue: daemon hardening, allocator hooks, log formatting.
 */
#include <fcntl.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <nw/log.h>

#include "nwtest.h"

static void test_harden(void **state)
{
    (void)state;
    assert_int_equal(nw_daemon_harden(), 0);
    assert_int_equal(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
    struct rlimit rl;
    assert_int_equal(getrlimit(RLIMIT_CORE, &rl), 0);
    assert_int_equal(rl.rlim_cur, 0);
    assert_int_equal(rl.rlim_max, 0);
}

/* Capture what nw_log writes to stderr while fn runs. */
static char *capture_stderr(void (*fn)(void))
{
    char path[] = "/tmp/nw-test-log-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    unlink(path);
    int saved = dup(STDERR_FILENO);
    assert_true(saved >= 0);
    assert_true(dup2(fd, STDERR_FILENO) >= 0);
    fn();
    assert_true(dup2(saved, STDERR_FILENO) >= 0);
    close(saved);
    off_t n = lseek(fd, 0, SEEK_END);
    assert_true(n >= 0);
    char *buf = calloc(1, (size_t)n + 1);
    assert_non_null(buf);
    assert_int_equal(pread(fd, buf, (size_t)n, 0), n);
    close(fd);
    return buf;
}

static void log_json_line(void)
{
    nw_log_setup("t", NW_LOG_INFO, true);
    nw_log(NW_LOG_INFO, "accept", "peer", "tcp:127.0.0.1:1", "quote", "a\"b\n", NULL);
    nw_log(NW_LOG_DEBUG, "hidden", NULL);
}

static void log_text_line(void)
{
    nw_log_setup("t", NW_LOG_WARN, false);
    nw_log(NW_LOG_INFO, "hidden", NULL);
    nw_log(NW_LOG_ERROR, "close", "reason", "two words", NULL);
}

static void test_log(void **state)
{
    (void)state;
    char *out = capture_stderr(log_json_line);
    json_error_t e;
    json_t *j = json_loads(out, 0, &e);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_object_get(j, "event")), "accept");
    assert_string_equal(json_string_value(json_object_get(j, "quote")), "a\"b\n");
    assert_null(strstr(out, "hidden"));
    json_decref(j);
    free(out);
    out = capture_stderr(log_text_line);
    assert_non_null(strstr(out, " t error close reason=two_words\n"));
    assert_null(strstr(out, "hidden"));
    free(out);
    enum nw_log_level lv;
    assert_true(nw_log_level_parse("warn", &lv));
    assert_int_equal(lv, NW_LOG_WARN);
    assert_false(nw_log_level_parse("loud", &lv));
}

int main(void)
{
    /* The hooks must go in before any OpenSSL allocation; jansson's apply from now on. */
    if (nw_mem_hook_libraries() != 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_harden),
        cmocka_unit_test(test_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
