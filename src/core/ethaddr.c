/*
 * EIP-55: hash the lower-case hex text of the address with Keccak-256; a letter is upper case
 * when the matching nibble of the hash is 8 or more.
 */
#include <nw/ethaddr.h>
#include <nw/keccak.h>

static const char lower_digits[] = "0123456789abcdef";

/* Lower-case hex of addr20 (40 chars, no NUL) and its checksum hash. */
static void checksum_hash(uint8_t hash32[32], char hex40[40], const uint8_t addr20[20])
{
    for (size_t i = 0; i < 20; i++) {
        hex40[2 * i] = lower_digits[addr20[i] >> 4];
        hex40[2 * i + 1] = lower_digits[addr20[i] & 15];
    }
    nw_keccak256(hash32, hex40, 40);
}

static bool hash_says_upper(const uint8_t hash32[32], size_t i)
{
    unsigned nib = (i % 2 == 0) ? hash32[i / 2] >> 4 : hash32[i / 2] & 15u;
    return nib >= 8;
}

void nw_ethaddr_format(char out[NW_ETHADDR_TEXT_LEN], const uint8_t addr20[20])
{
    uint8_t h[32];
    char hex[40];
    checksum_hash(h, hex, addr20);
    out[0] = '0';
    out[1] = 'x';
    for (size_t i = 0; i < 40; i++) {
        char ch = hex[i];
        if (ch >= 'a' && hash_says_upper(h, i))
            ch = (char)(ch - 'a' + 'A');
        out[2 + i] = ch;
    }
    out[42] = '\0';
}

nw_err nw_ethaddr_parse(uint8_t addr20[20], struct nw_cur text)
{
    bool has_lower = false, has_upper = false;
    memset(addr20, 0, 20);
    NW_ENSURE(text.len == 42 && text.ptr[0] == '0' && text.ptr[1] == 'x', NW_ERR_ADDR_FORMAT);
    const uint8_t *d = text.ptr + 2;
    uint8_t nib[40];
    for (size_t i = 0; i < 40; i++) {
        uint8_t c = d[i];
        if (c >= '0' && c <= '9') {
            nib[i] = (uint8_t)(c - '0');
        } else if (c >= 'a' && c <= 'f') {
            nib[i] = (uint8_t)(c - 'a' + 10);
            has_lower = true;
        } else if (c >= 'A' && c <= 'F') {
            nib[i] = (uint8_t)(c - 'A' + 10);
            has_upper = true;
        } else {
            return NW_ERR_ADDR_FORMAT;
        }
    }
    for (size_t i = 0; i < 20; i++)
        addr20[i] = (uint8_t)(nib[2 * i] << 4 | nib[2 * i + 1]);
    if (has_lower && has_upper) {
        uint8_t h[32];
        char hex[40];
        checksum_hash(h, hex, addr20);
        for (size_t i = 0; i < 40; i++) {
            bool is_letter = d[i] > '9';
            bool upper = d[i] >= 'A' && d[i] <= 'F';
            if (is_letter && upper != hash_says_upper(h, i)) {
                memset(addr20, 0, 20);
                return NW_ERR_ADDR_CHECKSUM;
            }
        }
    }
    return NW_OK;
}
