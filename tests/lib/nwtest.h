/*
 * Test-only helpers: locating ../shared/testdata, reading files, hex, loud skips.
 * Includes <cmocka.h> with the headers it needs before it.
 */
#ifndef NWTEST_H
#define NWTEST_H

// clang-format off
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
// clang-format on
#include <jansson.h>
#include <stdbool.h>

/*
 * Path of a file under the public test data (NW_TESTDATA env var, else the build-time
 * ../shared/testdata). Returns a static buffer, or NULL after printing a loud SKIPPED line when
 * the data is absent.
 */
const char *nwt_testdata(const char *rel);

/* Read a whole file; *len set; NULL on failure. Caller frees. NUL-terminated for convenience. */
uint8_t *nwt_read_file(const char *path, size_t *len);

/* Load a JSON file from the test data; NULL (after a loud skip or an error) when absent. */
json_t *nwt_load_json(const char *rel);

/* Decode hex text (optional 0x) into a fresh buffer; *len set; NULL on bad hex. Caller frees. */
uint8_t *nwt_unhex(const char *hex, size_t *len);

/* Lower-case hex with 0x of n bytes: a static rotating buffer (4 slots, up to 4 KiB input). */
const char *nwt_hex(const uint8_t *p, size_t n);

/* Print a loud skip line on stderr ("SKIPPED: ..."). */
void nwt_skip(const char *what, const char *why);

#endif /* NWTEST_H */
