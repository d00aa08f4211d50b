/*
 * Third-party allocator hooks: jansson's and OpenSSL's heaps through the wiping allocator.
 * The only object of libnwbase that names another library; a binary that never calls
 * nw_mem_hook_libraries (nw-proxy) does not pull it in, so it needs neither jansson nor libcrypto.
 */
#include <jansson.h>
#include <openssl/crypto.h>

#include <nw/log.h>
#include <nw/mem.h>

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
