/*
 * Fuzz target: nw_addr_parse, nw_addr_format, nw_addr_sockaddr (libnwnet).
 * Properties: parsing never reads past the text; an accepted address formats to text that parses
 * back to the same address, and formatting is then stable (format(parse(format(a))) == format(a)).
 * No resolution and no sockets.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <nw/addr.h>

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char text[1024];
    if (size >= sizeof(text))
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    struct nw_addr a, b;
    if (nw_addr_parse(&a, text) != NW_OK)
        return 0;
    char f1[NW_ADDR_TEXT_MAX], f2[NW_ADDR_TEXT_MAX];
    nw_addr_format(f1, &a);
    if (nw_addr_parse(&b, f1) != NW_OK)
        abort();
    nw_addr_format(f2, &b);
    if (strcmp(f1, f2) != 0 || a.kind != b.kind || a.port != b.port || a.cid != b.cid ||
        a.vport != b.vport || strcmp(a.host, b.host) != 0 || strcmp(a.path, b.path) != 0)
        abort();
    struct sockaddr_storage ss;
    socklen_t len;
    nw_err err = nw_addr_sockaddr(&a, &ss, &len);
    if (err == NW_OK) {
        char f3[NW_ADDR_TEXT_MAX];
        nw_sockaddr_format(f3, &ss, len);
        if (a.kind != NW_ADDR_TCP && strncmp(f3, f1, 5) != 0)
            abort();
    } else if (err != NW_ERR_ADDR_NOT_NUMERIC) {
        abort();
    }
    return 0;
}
