/*
 * Test helpers.
 */
#include "nwtest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <nw/hex.h>

void nwt_skip(const char *what, const char *why)
{
    fprintf(stderr, "\n*** SKIPPED: %s: %s ***\n\n", what, why);
}

const char *nwt_testdata(const char *rel)
{
    static char path[4096];
    const char *base = getenv("NW_TESTDATA");
    if (base == NULL || base[0] == '\0')
        base = NW_TESTDATA_DIR;
    if (snprintf(path, sizeof(path), "%s/%s", base, rel) >= (int)sizeof(path))
        return NULL;
    if (access(path, R_OK) != 0) {
        nwt_skip(rel, "public test data not found (set NW_TESTDATA or place ../shared/testdata)");
        return NULL;
    }
    return path;
}

uint8_t *nwt_read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    if (fseek(f, 0, SEEK_END) != 0) {
        fclose(f);
        return NULL;
    }
    long n = ftell(f);
    if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
        fclose(f);
        return NULL;
    }
    uint8_t *p = malloc((size_t)n + 1);
    if (p == NULL || fread(p, 1, (size_t)n, f) != (size_t)n) {
        free(p);
        fclose(f);
        return NULL;
    }
    fclose(f);
    p[n] = 0;
    *len = (size_t)n;
    return p;
}

json_t *nwt_load_json(const char *rel)
{
    const char *path = nwt_testdata(rel);
    if (path == NULL)
        return NULL;
    json_error_t e;
    json_t *j = json_load_file(path, JSON_DECODE_ANY, &e);
    if (j == NULL)
        fprintf(stderr, "cannot parse %s: %s (line %d)\n", path, e.text, e.line);
    return j;
}

uint8_t *nwt_unhex(const char *hex, size_t *len)
{
    struct nw_buf b;
    nw_buf_init(&b, 1u << 26, false);
    if (nw_hex_decode_buf(&b, nw_cur_str(hex), false) != NW_OK) {
        nw_buf_clear(&b);
        return NULL;
    }
    *len = b.len;
    if (b.ptr == NULL)
        return calloc(1, 1);
    return b.ptr;
}

const char *nwt_hex(const uint8_t *p, size_t n)
{
    static char slots[4][8200];
    static int next = 0;
    char *out = slots[next];
    next = (next + 1) % 4;
    if (n > 4096 || nw_hex_encode(out, sizeof(slots[0]), p, n, true) != NW_OK)
        return "<hex too long>";
    return out;
}
