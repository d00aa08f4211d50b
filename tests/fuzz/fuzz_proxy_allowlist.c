/*
 * Fuzz target: nw_proxy_allowlist_parse (libyaml document walk) and nw_proxy_allowed.
 * Properties: any input gives NW_OK or one of the documented codes with a diagnostic; on
 * failure the list is empty; on success every entry has a non-empty host that matches itself.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proxy/proxy.h"

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

// NOLINTNEXTLINE(readability-identifier-naming)
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct nw_proxy_allowlist al;
    char diag[NW_PROXY_DIAG_MAX];
    nw_err err = nw_proxy_allowlist_parse(&al, diag, data, size);
    if (err != NW_OK) {
        bool documented = err == NW_ERR_PROXY_CONFIG_YAML || err == NW_ERR_PROXY_ALLOWLIST ||
                          err == NW_ERR_PROXY_NUL || err == NW_ERR_PROXY_DUP_KEY;
        if (!documented || al.n != 0 || diag[0] == '\0')
            abort();
        return 0;
    }
    if (al.n > NW_PROXY_ALLOW_MAX)
        abort();
    for (size_t i = 0; i < al.n; i++) {
        if (al.v[i].host[0] == '\0' || !nw_proxy_allowed(&al, al.v[i].host, al.v[i].port, NULL))
            abort();
    }
    return 0;
}
