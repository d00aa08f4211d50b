/*
 * nw enclave-call --addr ADDR: send one request frame (DESIGN.md section 3) read from stdin to an
 * nw-enclave and print its answer on stdout, for tests and operators.
 *
 *   echo '{"v":1,"id":1,"op":"health"}' | nw enclave-call --addr unix:/run/nw/enclave.sock
 *
 * Exit 0 when the answer says "ok":true, 1 when it is an error answer or the call failed (the
 * failure as {"error":{"code","message"}} on stderr), 2 on a usage error. The request may carry
 * credentials, so stdin is read into a wiped buffer and jansson runs on the wiping allocator.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <nw/opt.h>
#include <nw/wire.h>

#include "cli.h"

enum { NW_ENO_ADDR = 1, NW_ENO_TIMEOUT };

static const struct nw_opt call_opts[] = {
    {"addr", 'a', "ADDR", NW_ENO_ADDR, "the enclave: unix:/PATH, tcp:HOST:PORT or vsock:CID:PORT"},
    {"timeout-ms", 't', "MS", NW_ENO_TIMEOUT, "connect, send and answer deadline (default 30000)"},
    {NULL, 0, NULL, 0, NULL},
};

static const struct nw_opt_cmd call_cmd = {
    "nw enclave-call", "--addr ADDR [--timeout-ms MS] < request.json",
    "Send one request frame from stdin to nw-enclave and print the answer frame on stdout.",
    call_opts, "Exit status: 0 answer ok, 1 error answer or failed call, 2 usage error."};

static int call(const char *addr_text, int timeout_ms)
{
    struct nw_addr addr;
    struct nw_buf req, ans;
    int fd = -1, rc = NW_CLI_EXIT_ERR;
    nw_err err;

    nw_buf_init(&req, NW_WIRE_MAX_FRAME, true);
    nw_buf_init(&ans, NW_WIRE_MAX_FRAME + 1, true);
    if ((err = nw_addr_parse(&addr, addr_text)) != NW_OK) {
        rc = nw_cli_fail_err(err, "--addr");
        goto out;
    }
    if ((err = nw_cli_read_stdin(&req, NW_WIRE_MAX_FRAME)) != NW_OK) {
        rc = nw_cli_fail_err(err, "reading the request from stdin");
        goto out;
    }
    while (req.len > 0 && (req.ptr[req.len - 1] == '\n' || req.ptr[req.len - 1] == '\r' ||
                           req.ptr[req.len - 1] == ' ' || req.ptr[req.len - 1] == '\t'))
        req.len--;
    int64_t deadline = nw_deadline_ms(timeout_ms);
    if ((err = nw_wire_connect(&addr, timeout_ms, &fd)) != NW_OK ||
        (err = nw_wire_write(fd, nw_buf_cur(&req), deadline)) != NW_OK ||
        (err = nw_wire_read(fd, &ans, 0, deadline)) != NW_OK ||
        (err = nw_buf_cstr(&ans)) != NW_OK) {
        rc = nw_cli_fail_err(err, "calling the enclave");
        goto out;
    }
    json_t *j = json_loadb((const char *)ans.ptr, ans.len, 0, NULL);
    (void)fwrite(ans.ptr, 1, ans.len, stdout);
    (void)fputc('\n', stdout);
    rc = (j != NULL && json_is_true(json_object_get(j, "ok"))) ? NW_CLI_EXIT_OK : NW_CLI_EXIT_ERR;
    json_decref(j);
out:
    if (fd >= 0)
        (void)close(fd);
    nw_buf_clear(&req);
    nw_buf_clear(&ans);
    return rc;
}

static int cmd_enclave_call(int argc, char **argv)
{
    struct nw_opt_parser p;
    const char *v, *addr = NULL;
    int id, timeout_ms = 30000;
    nw_opt_init(&p, &call_cmd, argc, argv);
    while ((id = nw_opt_next(&p, &v)) > 0) {
        if (id == NW_ENO_ADDR) {
            addr = v;
        } else if (id == NW_ENO_TIMEOUT) {
            char *end = NULL;
            long t = strtol(v, &end, 10);
            if (end == v || *end != '\0' || t < 1 || t > 3600000)
                return nw_opt_usage_error(&call_cmd, "--timeout-ms must be 1 to 3600000");
            timeout_ms = (int)t;
        }
    }
    if (id != NW_OPT_END)
        return nw_opt_finish(&p, id);
    if (addr == NULL)
        return nw_opt_usage_error(&call_cmd, "missing --addr");
    if (p.optind < argc)
        return nw_opt_usage_error(&call_cmd, "unexpected operand '%s'", argv[p.optind]);
    return call(addr, timeout_ms);
}

const struct nw_cli_cmd nw_cli_cmds_enclave[] = {
    {"enclave-call", "send one request frame to nw-enclave (stdin) and print the answer",
     cmd_enclave_call},
    {NULL, NULL, NULL},
};
