/*
 * Fuzz target: the frame codec (src/net/wire.c).
 * Input: byte 0 picks the payload limit, byte 1 seeds the chunk splits, the rest is a byte
 * stream from a peer. Properties: the incremental reader fed the stream in random chunks yields
 * exactly the frames, and the same ending (clean close, truncated frame, bad length), as
 * nw_wire_read on a socket holding the whole stream; re-encoding each frame (nw_wire_header +
 * payload) gives back the bytes it was read from.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <nw/wire.h>

#define STREAM_MAX 16384 /* fits in a socketpair's buffer: no writer thread needed */
#define FRAMES_MAX 4096

struct frames {
    size_t n;
    size_t off[FRAMES_MAX]; /* payload offsets in one concatenated buffer */
    size_t len[FRAMES_MAX];
    struct nw_buf all;
    nw_err end;
};

static void oneshot(struct frames *fr, const uint8_t *s, size_t n, size_t max)
{
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    if (n > 0 && nw_io_write_full(sv[0], s, n, nw_deadline_ms(5000)) != NW_OK)
        abort();
    close(sv[0]);
    for (;;) {
        size_t before = fr->all.len;
        nw_err err = nw_wire_read(sv[1], &fr->all, max, nw_deadline_ms(5000));
        if (err != NW_OK) {
            if (fr->all.len != before)
                abort(); /* a failed read leaves the buffer as it was */
            fr->end = err;
            break;
        }
        if (fr->n == FRAMES_MAX)
            abort();
        fr->off[fr->n] = before;
        fr->len[fr->n] = fr->all.len - before;
        fr->n++;
    }
    close(sv[1]);
}

static void chunked(struct frames *fr, const uint8_t *s, size_t n, size_t max, unsigned seed)
{
    struct nw_wire_reader r;
    nw_wire_reader_init(&r, max, false);
    size_t pos = 0;
    nw_err err = NW_OK;
    while (pos < n && err == NW_OK) {
        size_t k = 1 + (size_t)rand_r(&seed) % 64;
        if (k > n - pos)
            k = n - pos;
        struct nw_cur in = nw_cur_of(s + pos, k);
        while (in.len > 0 && err == NW_OK) {
            bool done = false;
            err = nw_wire_reader_feed(&r, &in, &done);
            if (err == NW_OK && done) {
                if (fr->n == FRAMES_MAX || nw_buf_append(&fr->all, r.payload.ptr, r.payload.len))
                    abort();
                fr->off[fr->n] = fr->all.len - r.payload.len;
                fr->len[fr->n] = r.payload.len;
                fr->n++;
                nw_wire_reader_next(&r);
            }
        }
        pos += k;
    }
    if (err != NW_OK)
        fr->end = err;
    else
        fr->end = nw_wire_reader_partial(&r) ? NW_ERR_WIRE_TRUNCATED : NW_ERR_WIRE_CLOSED;
    nw_wire_reader_clear(&r);
}

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2 || size - 2 > STREAM_MAX)
        return 0;
    size_t max = data[0] == 0 ? 0 : (size_t)data[0] * 64;
    unsigned seed = data[1];
    const uint8_t *s = data + 2;
    size_t n = size - 2;
    static struct frames a, b;
    memset(&a, 0, sizeof(a));
    memset(&b, 0, sizeof(b));
    /* Room for a claimed 1 MiB frame: the buffer's own cap must not be what refuses it. */
    nw_buf_init(&a.all, NW_WIRE_MAX_FRAME + STREAM_MAX, false);
    nw_buf_init(&b.all, NW_WIRE_MAX_FRAME + STREAM_MAX, false);
    oneshot(&a, s, n, max);
    chunked(&b, s, n, max, seed);
    if (a.n != b.n || a.end != b.end || !nw_cur_eq(nw_buf_cur(&a.all), nw_buf_cur(&b.all)))
        abort();
    /* Re-encoding the frames rebuilds the stream they came from. */
    size_t pos = 0;
    for (size_t i = 0; i < a.n; i++) {
        uint8_t h[NW_WIRE_HEADER_LEN];
        if (nw_wire_header(h, a.len[i]) != NW_OK || pos + 4 + a.len[i] > n ||
            memcmp(s + pos, h, 4) != 0 || memcmp(s + pos + 4, a.all.ptr + a.off[i], a.len[i]) != 0)
            abort();
        pos += 4 + a.len[i];
    }
    if ((a.end == NW_ERR_WIRE_CLOSED) != (pos == n))
        abort();
    nw_buf_clear(&a.all);
    nw_buf_clear(&b.all);
    return 0;
}
