/*
 * Process hardening and third-party allocator hooks for the daemons.
 */
#include <jansson.h>
#include <openssl/crypto.h>
#include <sys/prctl.h>
#include <sys/resource.h>

#include <nw/log.h>
#include <nw/mem.h>

int nw_daemon_harden(void)
{
    struct rlimit rl = {0, 0};
    int rc = 0;
    if (setrlimit(RLIMIT_CORE, &rl) != 0)
        rc = -1;
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0)
        rc = -1;
    return rc;
}

static void *ossl_malloc(size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return nw_wiping_malloc(n);
}

static void *ossl_realloc(void *p, size_t n, const char *file, int line)
{
    (void)file;
    (void)line;
    return nw_wiping_realloc(p, n);
}

static void ossl_free(void *p, const char *file, int line)
{
    (void)file;
    (void)line;
    nw_wiping_free(p);
}

int nw_mem_hook_libraries(void)
{
    json_set_alloc_funcs(nw_wiping_malloc, nw_wiping_free);
    return CRYPTO_set_mem_functions(ossl_malloc, ossl_realloc, ossl_free) ? 0 : -1;
}
