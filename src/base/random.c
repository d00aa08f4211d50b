/*
 * Operating-system randomness (<nw/random.h>).
 */
#include <errno.h>
#include <sys/random.h>

#include <nw/mem.h>
#include <nw/random.h>

nw_err nw_random_os(void *ctx, uint8_t *out, size_t n)
{
    (void)ctx;
    size_t got = 0;
    while (got < n) {
        ssize_t r = getrandom(out + got, n - got, 0);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            nw_wipe(out, n);
            return NW_ERR_CRYPTO;
        }
        got += (size_t)r;
    }
    return NW_OK;
}
