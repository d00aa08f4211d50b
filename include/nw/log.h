/*
 * Logging for the binaries (libraries never log). One line per event, to stderr, as text
 * ("2026-11-27T08:00:00.123Z INFO event key=value ...") or JSON ({"ts":..,"level":..,"event":..}).
 *
 * Callers pass only non-secret values: error names, lengths, key ids, hashes, request ids,
 * peers. Never bodies, never keys, never credentials.
 */
#ifndef NW_LOG_H
#define NW_LOG_H

#include <stdbool.h>

#include <nw/common.h>

enum nw_log_level { NW_LOG_DEBUG = 0, NW_LOG_INFO = 1, NW_LOG_WARN = 2, NW_LOG_ERROR = 3 };

/* Configure: minimum level, JSON or text, program name. Not thread-safe; call at start. */
void nw_log_setup(const char *prog, enum nw_log_level min_level, bool json);

/* Parse "debug", "info", "warn", "error". Returns false on an unknown name. */
bool nw_log_level_parse(const char *s, enum nw_log_level *out) NW_NONNULL(1, 2);

/*
 * Log an event with key/value fields: fields is a NULL-terminated list of key, value string
 * pairs, e.g. nw_log(NW_LOG_INFO, "accept", "peer", peer, "route", name, NULL).
 * Values are escaped for the chosen format. Thread-safe (one write(2) per line).
 */
void nw_log(enum nw_log_level level, const char *event, ...);

/* Process hardening for daemons: RLIMIT_CORE 0 and PR_SET_DUMPABLE 0. Returns 0 or -1. */
int nw_daemon_harden(void);

/*
 * Route jansson's and OpenSSL's heap through the wiping allocator so that their copies of
 * secrets are wiped on free. Call once at process start, before any use of either library.
 * Returns 0 or -1 (OpenSSL refuses once it has allocated).
 */
int nw_mem_hook_libraries(void);

#endif /* NW_LOG_H */
