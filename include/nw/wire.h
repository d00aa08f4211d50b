/*
 * Frames (DESIGN.md section 3) and blocking socket I/O with deadlines. Library: libnwnet.
 *
 * A frame is a 4-byte big-endian length N (1 <= N <= max, max at most NW_WIRE_MAX_FRAME), then N
 * bytes of payload (UTF-8 JSON for the host/enclave protocol; CBOR for the NSM simulator). Frames
 * flow in both directions on one stream; many requests per connection, answered in order.
 *
 * Two ways to use the codec:
 *   - blocking sockets (clients, the NSM client, tests): nw_wire_read / nw_wire_write, each
 *     bounded by an absolute deadline on the monotonic clock (nw_now_ms);
 *   - event loops: struct nw_wire_reader consumes whatever bytes arrived and says when a whole
 *     frame is there; nw_wire_header builds the 4 bytes to send before a payload.
 *
 * Errors are distinct so that a server can tell a clean goodbye from a broken peer:
 *   NW_ERR_WIRE_CLOSED     the peer closed between frames (normal end of a connection);
 *   NW_ERR_WIRE_TRUNCATED  the peer closed inside a frame (header or payload);
 *   NW_ERR_WIRE_LENGTH     a length of 0 or above the limit (the stream cannot be resynchronised:
 *                          answer bad_request if possible, then close);
 *   NW_ERR_TIMEOUT         the deadline passed; NW_ERR_IO any other socket error (errno in diag).
 * None of these functions log; none keep a copy of a payload beyond the caller's buffer.
 */
#ifndef NW_WIRE_H
#define NW_WIRE_H

#include <stdbool.h>

#include <nw/addr.h>
#include <nw/buf.h>

#define NW_WIRE_MAX_FRAME  (1u << 20) /* DESIGN.md section 3: 1 MiB */
#define NW_WIRE_HEADER_LEN 4

/* Milliseconds on CLOCK_MONOTONIC; deadlines below are absolute values of this clock. */
int64_t nw_now_ms(void);

/* A deadline timeout_ms from now (timeout_ms < 0: no deadline, returned as INT64_MAX). */
int64_t nw_deadline_ms(int timeout_ms);

/*
 * Write the frame header for a payload of len bytes into out4.
 * Returns: NW_ERR_WIRE_LENGTH when len is 0 or above NW_WIRE_MAX_FRAME.
 */
nw_err nw_wire_header(uint8_t out4[NW_WIRE_HEADER_LEN], size_t len) NW_MUST_USE NW_NONNULL(1);

/*
 * Read exactly n bytes from a blocking or non-blocking socket before deadline_ms, retrying on
 * EINTR and short reads (poll between reads). Out: p[0..n) (contents undefined on failure).
 * Returns: NW_OK; NW_ERR_WIRE_CLOSED when the peer closed before the first byte;
 * NW_ERR_WIRE_TRUNCATED when it closed after some but not all bytes; NW_ERR_TIMEOUT; NW_ERR_IO.
 */
nw_err nw_io_read_full(int fd, void *p, size_t n, int64_t deadline_ms) NW_MUST_USE;

/*
 * Write exactly n bytes before deadline_ms (MSG_NOSIGNAL on sockets: no SIGPIPE), retrying
 * on EINTR and short writes. Returns: NW_OK; NW_ERR_IO (peer gone: EPIPE/ECONNRESET);
 * NW_ERR_TIMEOUT.
 */
nw_err nw_io_write_full(int fd, const void *p, size_t n, int64_t deadline_ms) NW_MUST_USE;

/*
 * Read one frame of at most max bytes (max <= NW_WIRE_MAX_FRAME; 0 means NW_WIRE_MAX_FRAME) and
 * append its payload to out (whose own cap also applies). The payload is not checked for UTF-8
 * or JSON: that is the caller's parser's job. A secret buffer out stays secret.
 * Returns: NW_OK; NW_ERR_WIRE_CLOSED; NW_ERR_WIRE_TRUNCATED; NW_ERR_WIRE_LENGTH; NW_ERR_TIMEOUT;
 * NW_ERR_IO; NW_ERR_BUF_FULL; NW_ERR_NOMEM. On failure out->len is back where it was.
 */
nw_err nw_wire_read(int fd, struct nw_buf *out, size_t max, int64_t deadline_ms)
    NW_MUST_USE NW_NONNULL(2);

/*
 * Write one frame (header and payload, in one writev when it fits) before deadline_ms.
 * Returns: NW_OK; NW_ERR_WIRE_LENGTH (empty or over NW_WIRE_MAX_FRAME); NW_ERR_IO;
 * NW_ERR_TIMEOUT.
 */
nw_err nw_wire_write(int fd, struct nw_cur payload, int64_t deadline_ms) NW_MUST_USE;

/*
 * Incremental decoder for event loops. Feed it the bytes that arrived; it takes what it needs
 * for one frame and reports when the frame is complete. The payload is then in r->payload until
 * nw_wire_reader_next() starts the next frame.
 */
struct nw_wire_reader {
    uint8_t hdr[NW_WIRE_HEADER_LEN];
    size_t hdr_have; /* header bytes received so far */
    size_t need;     /* payload length once the header is complete, else 0 */
    size_t max;      /* limit for one payload */
    struct nw_buf payload;
};

/* Initialise with a payload limit (0 means NW_WIRE_MAX_FRAME); secret wipes payloads on reuse. */
void nw_wire_reader_init(struct nw_wire_reader *r, size_t max, bool secret) NW_NONNULL(1);

/*
 * Consume bytes from *in (advanced past what was taken; the rest belongs to the next frame).
 * Out: *done true when r->payload holds a whole frame.
 * Returns: NW_OK; NW_ERR_WIRE_LENGTH; NW_ERR_NOMEM.
 */
nw_err nw_wire_reader_feed(struct nw_wire_reader *r, struct nw_cur *in, bool *done)
    NW_MUST_USE NW_NONNULL(1, 2, 3);

/* True when some bytes of an unfinished frame were taken: a close now is NW_ERR_WIRE_TRUNCATED. */
bool nw_wire_reader_partial(const struct nw_wire_reader *r) NW_NONNULL(1);

/* Forget the completed frame and get ready for the next one (keeps the allocation). */
void nw_wire_reader_next(struct nw_wire_reader *r) NW_NONNULL(1);

/* Free the payload storage (wiped when secret). */
void nw_wire_reader_clear(struct nw_wire_reader *r) NW_NONNULL(1);

/*
 * Connect to a and return a blocking socket whose reads and writes are then bounded by the
 * deadlines passed to the functions above. Same as nw_net_connect (declared in <nw/addr.h>);
 * named here so that frame clients need only this header.
 */
static inline nw_err nw_wire_connect(const struct nw_addr *a, int timeout_ms, int *fd)
{
    return nw_net_connect(a, timeout_ms, fd);
}

#endif /* NW_WIRE_H */
