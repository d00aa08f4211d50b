/*
 * Fuzz target: nw_rlp_decode / nw_rlp_next (and the encoder through the re-encoding).
 * Property: any input the strict decoder accepts is canonical, so re-encoding its item tree
 * gives back exactly the input bytes.
 */
#include <stdlib.h>
#include <string.h>

#include <nw/rlp.h>

static void reencode(struct nw_buf *out, struct nw_rlp_item it)
{
    if (!it.is_list) {
        if (nw_rlp_put_bytes(out, it.payload) != NW_OK)
            abort();
        return;
    }
    size_t mark;
    nw_rlp_list_begin(out, &mark);
    struct nw_cur c = it.payload;
    while (c.len > 0) {
        struct nw_rlp_item sub;
        if (nw_rlp_next(&c, &sub) != NW_OK)
            abort(); /* nw_rlp_decode validated the whole tree */
        reencode(out, sub);
    }
    if (nw_rlp_list_end(out, mark) != NW_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size); // NOLINT

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct nw_rlp_item it;
    if (nw_rlp_decode(&it, nw_cur_of(data, size), NW_RLP_MAX_DEPTH) != NW_OK)
        return 0;
    struct nw_buf out;
    nw_buf_init(&out, size + 64, false);
    reencode(&out, it);
    if (out.len != size || (size > 0 && memcmp(out.ptr, data, size) != 0))
        abort();
    nw_buf_clear(&out);
    return 0;
}
