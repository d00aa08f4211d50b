/*
 * Wiping, allocation wrappers with a failure hook for torture tests, a wiping allocator for
 * third-party libraries, and locked secret pages (s2n utils/s2n_mem.c in spirit).
 */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <nw/mem.h>

void nw_wipe(void *p, size_t n)
{
    if (p != NULL && n > 0)
        explicit_bzero(p, n);
}

/* Allocation-failure injection: fail once `fail_left` reaches zero; -1 disables. */
static _Atomic long fail_left = -1;
static _Atomic long alloc_count = 0;

long nw_mem_fail_after(long n)
{
    long made = atomic_exchange(&alloc_count, 0);
    atomic_store(&fail_left, n);
    return made;
}

static int should_fail(void)
{
    long left = atomic_load(&fail_left);
    if (left < 0)
        return 0;
    if (left == 0)
        return 1;
    atomic_fetch_sub(&fail_left, 1);
    return 0;
}

void *nw_malloc(size_t n)
{
    if (should_fail())
        return NULL;
    atomic_fetch_add(&alloc_count, 1);
    return malloc(n == 0 ? 1 : n);
}

void *nw_calloc(size_t count, size_t size)
{
    if (should_fail())
        return NULL;
    atomic_fetch_add(&alloc_count, 1);
    return calloc(count == 0 ? 1 : count, size == 0 ? 1 : size);
}

void nw_free(void *p)
{
    free(p);
}

void nw_free_secret(void *p, size_t n)
{
    if (p == NULL)
        return;
    nw_wipe(p, n);
    free(p);
}

/*
 * Wiping allocator: each block carries its usable size in a 16-byte header (keeping malloc's
 * alignment), so free can wipe exactly what was handed out. realloc never leaves an unwiped copy.
 */
#define HDR 16u

void *nw_wiping_malloc(size_t n)
{
    if (n > SIZE_MAX - HDR)
        return NULL;
    uint8_t *p = malloc(n + HDR);
    if (p == NULL)
        return NULL;
    memcpy(p, &n, sizeof(n));
    return p + HDR;
}

void *nw_wiping_calloc(size_t count, size_t size)
{
    if (size != 0 && count > SIZE_MAX / size)
        return NULL;
    void *p = nw_wiping_malloc(count * size);
    if (p != NULL)
        memset(p, 0, count * size);
    return p;
}

static size_t block_size(const void *p)
{
    size_t n;
    memcpy(&n, (const uint8_t *)p - HDR, sizeof(n));
    return n;
}

void nw_wiping_free(void *p)
{
    if (p == NULL)
        return;
    uint8_t *base = (uint8_t *)p - HDR;
    nw_wipe(base, block_size(p) + HDR);
    free(base);
}

void *nw_wiping_realloc(void *p, size_t n)
{
    if (p == NULL)
        return nw_wiping_malloc(n);
    if (n == 0) {
        nw_wiping_free(p);
        return NULL;
    }
    void *q = nw_wiping_malloc(n);
    if (q == NULL)
        return NULL;
    size_t old = block_size(p);
    memcpy(q, p, old < n ? old : n);
    nw_wiping_free(p);
    return q;
}

char *nw_wiping_strdup(const char *s)
{
    size_t n = strlen(s) + 1;
    char *p = nw_wiping_malloc(n);
    if (p != NULL)
        memcpy(p, s, n);
    return p;
}

static size_t page_round(size_t n)
{
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096u;
    return (n + page - 1) / page * page;
}

void *nw_locked_alloc(size_t n, int *locked)
{
    if (locked != NULL)
        *locked = 0;
    if (n == 0 || n > (SIZE_MAX >> 1))
        return NULL;
    size_t len = page_round(n);
    void *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    (void)madvise(p, len, MADV_DONTDUMP);
    if (mlock(p, len) == 0 && locked != NULL)
        *locked = 1;
    return p;
}

void nw_locked_free(void *p, size_t n)
{
    if (p == NULL)
        return;
    size_t len = page_round(n);
    nw_wipe(p, len);
    (void)munlock(p, len);
    (void)munmap(p, len);
}
