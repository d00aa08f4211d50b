/*
 * The error table (src/base/err.c): names, lower-case codes (computed once, the same from every
 * thread), classes and their HTTP statuses.
 */
#include <ctype.h>
#include <pthread.h>
#include <string.h>

#include <nw/err.h>

#include "nwtest.h"

#define ROW_(name, num, desc) {name, #name, desc},
static const struct {
    nw_err code;
    const char *name;
    const char *desc;
} table[] = {NW_ERRORS(ROW_)};
#undef ROW_

static void test_names_and_codes(void **state)
{
    (void)state;
    for (size_t i = 0; i < NW_ARRAY_LEN(table); i++) {
        assert_string_equal(nw_err_name(table[i].code), table[i].name);
        assert_string_equal(nw_err_str(table[i].code), table[i].desc);
        const char *lc = nw_err_code(table[i].code);
        if (table[i].code == NW_OK) {
            assert_string_equal(lc, "ok");
            continue;
        }
        const char *n = table[i].name + strlen("NW_ERR_");
        assert_int_equal(strlen(lc), strlen(n));
        for (size_t k = 0; n[k] != '\0'; k++)
            assert_int_equal(lc[k], tolower((unsigned char)n[k]));
        /* Stable storage: the same pointer every time. */
        assert_ptr_equal(nw_err_code(table[i].code), lc);
        for (size_t j = 0; j < i; j++)
            assert_int_not_equal(table[j].code, table[i].code);
    }
    assert_string_equal(nw_err_code(NW_ERR_RLP_TRUNCATED), "rlp_truncated");
    assert_string_equal(nw_err_code(NW_ERR_WIRE_CLOSED), "wire_closed");
    assert_string_equal(nw_err_code((nw_err)99999), "unknown");
    assert_string_equal(nw_err_name((nw_err)99999), "NW_ERR_UNKNOWN");
    assert_string_equal(nw_err_str((nw_err)-5), "unknown error");
}

static void test_classes(void **state)
{
    (void)state;
    assert_int_equal(nw_err_class(NW_OK), NW_ERR_CLASS_OK);
    assert_int_equal(nw_err_class(NW_ERR_RLP_TRUNCATED), NW_ERR_CLASS_INVALID);
    assert_int_equal(nw_err_class(NW_ERR_WIRE_LENGTH), NW_ERR_CLASS_INVALID);
    assert_int_equal(nw_err_class(NW_ERR_HEX_CHAR), NW_ERR_CLASS_INVALID);
    assert_int_equal(nw_err_class(NW_ERR_KMS_DENIED), NW_ERR_CLASS_DENIED);
    assert_int_equal(nw_err_class(NW_ERR_PERMISSION), NW_ERR_CLASS_DENIED);
    assert_int_equal(nw_err_class(NW_ERR_PROXY_DENIED), NW_ERR_CLASS_DENIED);
    assert_int_equal(nw_err_class(NW_ERR_KEY_NOT_FOUND), NW_ERR_CLASS_NOT_FOUND);
    assert_int_equal(nw_err_class(NW_ERR_NOT_FOUND), NW_ERR_CLASS_NOT_FOUND);
    assert_int_equal(nw_err_class(NW_ERR_EXISTS), NW_ERR_CLASS_CONFLICT);
    assert_int_equal(nw_err_class(NW_ERR_TIMEOUT), NW_ERR_CLASS_UNAVAILABLE);
    assert_int_equal(nw_err_class(NW_ERR_WIRE_CLOSED), NW_ERR_CLASS_UNAVAILABLE);
    assert_int_equal(nw_err_class(NW_ERR_WIRE_TRUNCATED), NW_ERR_CLASS_UNAVAILABLE);
    assert_int_equal(nw_err_class(NW_ERR_DB_UNAVAILABLE), NW_ERR_CLASS_UNAVAILABLE);
    assert_int_equal(nw_err_class(NW_ERR_NOMEM), NW_ERR_CLASS_INTERNAL);
    assert_int_equal(nw_err_class(NW_ERR_CRYPTO), NW_ERR_CLASS_INTERNAL);
    assert_int_equal(nw_err_class(NW_ERR_INTERNAL), NW_ERR_CLASS_INTERNAL);
    /* Numbers outside the table are internal, never "invalid input". */
    assert_int_equal(nw_err_class((nw_err)99999), NW_ERR_CLASS_INTERNAL);
    assert_int_equal(nw_err_class((nw_err)-1), NW_ERR_CLASS_INTERNAL);
    /* Every code has a class, and only success is OK. */
    for (size_t i = 0; i < NW_ARRAY_LEN(table); i++) {
        enum nw_err_class c = nw_err_class(table[i].code);
        assert_true(c >= NW_ERR_CLASS_OK && c <= NW_ERR_CLASS_INTERNAL);
        assert_int_equal(c == NW_ERR_CLASS_OK, table[i].code == NW_OK);
    }
}

static void test_http_status(void **state)
{
    (void)state;
    static const struct {
        enum nw_err_class c;
        int status;
        const char *name;
    } want[] = {
        {NW_ERR_CLASS_OK, 200, "ok"},
        {NW_ERR_CLASS_INVALID, 400, "invalid"},
        {NW_ERR_CLASS_DENIED, 403, "denied"},
        {NW_ERR_CLASS_NOT_FOUND, 404, "not_found"},
        {NW_ERR_CLASS_CONFLICT, 409, "conflict"},
        {NW_ERR_CLASS_UNAVAILABLE, 503, "unavailable"},
        {NW_ERR_CLASS_INTERNAL, 500, "internal"},
    };
    for (size_t i = 0; i < NW_ARRAY_LEN(want); i++) {
        assert_int_equal(nw_err_class_http_status(want[i].c), want[i].status);
        assert_string_equal(nw_err_class_name(want[i].c), want[i].name);
    }
    assert_int_equal(nw_err_class_http_status((enum nw_err_class)7), 500);
    assert_int_equal(nw_err_class_http_status((enum nw_err_class) - 1), 500);
    assert_string_equal(nw_err_class_name((enum nw_err_class)42), "internal");
    assert_int_equal(nw_err_class_http_status(nw_err_class(NW_ERR_KMS_DENIED)), 403);
    assert_int_equal(nw_err_class_http_status(nw_err_class(NW_ERR_TX_NOT_OBJECT)), 400);
}

/* Many threads asking for codes at once (the first calls race to compute the table). */
static void *codes_main(void *arg)
{
    size_t *bad = arg;
    for (int round = 0; round < 50; round++) {
        for (size_t i = 0; i < NW_ARRAY_LEN(table); i++) {
            const char *lc = nw_err_code(table[i].code);
            if (table[i].code != NW_OK && strlen(lc) != strlen(table[i].name) - strlen("NW_ERR_"))
                (*bad)++;
        }
    }
    return NULL;
}

static void test_code_threads(void **state)
{
    (void)state;
    pthread_t th[8];
    size_t bad[8] = {0};
    for (size_t i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&th[i], NULL, codes_main, &bad[i]), 0);
    for (size_t i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(bad[i], 0);
    }
}

static void test_diag(void **state)
{
    (void)state;
    struct nw_diag d;
    memset(&d, 0x55, sizeof(d));
    assert_int_equal(nw_diag_set(&d, NW_ERR_IO, "read %s: %d", "x", 5), NW_ERR_IO);
    assert_int_equal(d.code, NW_ERR_IO);
    assert_int_equal(d.sys_errno, 0);
    assert_string_equal(d.msg, "read x: 5");
    assert_int_equal(nw_diag_set(NULL, NW_ERR_NOMEM, "x"), NW_ERR_NOMEM);
}

int main(void)
{
    /* The code table is filled on first use: run the thread test first so that it races. */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_code_threads), cmocka_unit_test(test_names_and_codes),
        cmocka_unit_test(test_classes),      cmocka_unit_test(test_http_status),
        cmocka_unit_test(test_diag),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
