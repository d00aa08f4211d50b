/*
 * The emulator's state: one JSON file per collection in the state directory (iam.json,
 * kms.json, secrets.json), mode 0600, replaced atomically (write a temp file, fsync, rename,
 * fsync the directory). An exclusive flock on DIR/lock serialises the server's threads and the
 * admin subcommands. The files hold key material and secret values in plain text: this is a
 * development emulator, and its directory is private to the developer.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <nw/mem.h>

#include "devaws_int.h"

static const char *const coll_file[NW_DV_NCOLL] = {"iam.json", "kms.json", "secrets.json"};

nw_err nw_dv_state_open(struct nw_dv_state *st, const struct nw_dv_config *cfg)
{
    char path[512];
    memset(st, 0, sizeof(*st));
    st->cfg = cfg;
    st->lock_fd = -1;
    (void)snprintf(path, sizeof(path), "%s/lock", cfg->state_dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return NW_ERR_IO;
    while (flock(fd, LOCK_EX) != 0) {
        if (errno != EINTR) {
            close(fd);
            return NW_ERR_IO;
        }
    }
    st->lock_fd = fd;
    return NW_OK;
}

/* Move a corrupt file to the first free PATH.corrupt[.N]; never replace an earlier one. */
static void set_aside(const char *path)
{
    char aside[600];
    for (int i = 0; i < 1000; i++) {
        if (i == 0)
            (void)snprintf(aside, sizeof(aside), "%s.corrupt", path);
        else
            (void)snprintf(aside, sizeof(aside), "%s.corrupt.%d", path, i);
        if (link(path, aside) == 0) {
            (void)unlink(path);
            return;
        }
        if (errno != EEXIST) { /* no hard links here: aside is free, rename instead */
            (void)rename(path, aside);
            return;
        }
    }
}

json_t *nw_dv_state_get(struct nw_dv_state *st, enum nw_dv_coll c)
{
    char path[512];
    if (st->coll[c] != NULL)
        return st->coll[c];
    (void)snprintf(path, sizeof(path), "%s/%s", st->cfg->state_dir, coll_file[c]);
    json_error_t jerr;
    json_t *v = json_load_file(path, JSON_REJECT_DUPLICATES, &jerr);
    if (v == NULL || !json_is_object(v)) {
        /* A missing file is a fresh start; a corrupt one is kept aside rather than lost. */
        if (v != NULL || access(path, F_OK) == 0)
            set_aside(path);
        json_decref(v);
        v = json_object();
    }
    st->coll[c] = v;
    return v;
}

void nw_dv_state_touch(struct nw_dv_state *st, enum nw_dv_coll c)
{
    st->dirty[c] = true;
}

nw_err nw_dv_write_file(const char *dir, const char *name, const void *p, size_t n, int mode)
{
    char path[512], tmp[600];
    (void)snprintf(path, sizeof(path), "%s/%s", dir, name);
    (void)snprintf(tmp, sizeof(tmp), "%s.tmp.%ld", path, (long)getpid());
    /* O_EXCL|O_NOFOLLOW: a name planted in the directory (a symlink to elsewhere) never
     * receives the secrets written here; a stale temp file of ours is removed first. */
    (void)unlink(tmp);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    if (fd < 0)
        return NW_ERR_IO;
    const uint8_t *q = p;
    size_t off = 0;
    while (off < n) {
        ssize_t w = write(fd, q + off, n - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            close(fd);
            unlink(tmp);
            return NW_ERR_IO;
        }
        off += (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) != 0 || fsync(fd) != 0 || close(fd) != 0) {
        unlink(tmp);
        return NW_ERR_IO;
    }
    if (rename(tmp, path) != 0) {
        unlink(tmp);
        return NW_ERR_IO;
    }
    int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd >= 0) {
        (void)fsync(dfd);
        close(dfd);
    }
    return NW_OK;
}

nw_err nw_dv_state_commit(struct nw_dv_state *st)
{
    for (int c = 0; c < NW_DV_NCOLL; c++) {
        if (!st->dirty[c] || st->coll[c] == NULL)
            continue;
        /* The text holds key material and secrets: a secret buffer, wiped on clear. */
        struct nw_buf b;
        nw_buf_init(&b, (size_t)64 * 1024 * 1024, true);
        size_t n = json_dumpb(st->coll[c], NULL, 0, JSON_INDENT(1) | JSON_SORT_KEYS);
        nw_err err = nw_buf_reserve(&b, n + 1);
        if (err == NW_OK) {
            b.len = json_dumpb(st->coll[c], (char *)b.ptr, n, JSON_INDENT(1) | JSON_SORT_KEYS);
            err = nw_dv_write_file(st->cfg->state_dir, coll_file[c], b.ptr, b.len, 0600);
        }
        nw_buf_clear(&b);
        if (err != NW_OK)
            return err;
        st->dirty[c] = false;
    }
    return NW_OK;
}

nw_err nw_dv_state_dir_check(const char *dir, char *why, size_t why_len)
{
    struct stat sb;
    if (stat(dir, &sb) != 0) {
        (void)snprintf(why, why_len, "cannot stat %s", dir);
        return NW_ERR_IO;
    }
    if (!S_ISDIR(sb.st_mode)) {
        (void)snprintf(why, why_len, "%s is not a directory", dir);
        return NW_ERR_DEVAWS_STATE_PERMS;
    }
    if (sb.st_uid != geteuid()) {
        (void)snprintf(why, why_len, "%s is owned by uid %ld, not by this user", dir,
                       (long)sb.st_uid);
        return NW_ERR_DEVAWS_STATE_PERMS;
    }
    if ((sb.st_mode & (S_IWGRP | S_IWOTH)) != 0) {
        (void)snprintf(why, why_len,
                       "%s is writable by group or others (mode %03o); run: chmod "
                       "go-w %s",
                       dir, (unsigned)(sb.st_mode & 0777), dir);
        return NW_ERR_DEVAWS_STATE_PERMS;
    }
    return NW_OK;
}

nw_err nw_dv_instance_lock(const char *dir, int *fd_out)
{
    char path[512];
    *fd_out = -1;
    (void)snprintf(path, sizeof(path), "%s/server.lock", dir);
    int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (fd < 0)
        return NW_ERR_IO;
    if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
        nw_err err = errno == EWOULDBLOCK ? NW_ERR_DEVAWS_LOCKED : NW_ERR_IO;
        close(fd);
        return err;
    }
    *fd_out = fd; /* held until the process exits */
    return NW_OK;
}

int nw_dv_previous_port(const char *dir, const char *which)
{
    char path[512];
    json_error_t jerr;
    (void)snprintf(path, sizeof(path), "%s/ports.json", dir);
    json_t *v = json_load_file(path, 0, &jerr);
    json_t *p = json_object_get(v, which);
    json_int_t port = json_is_integer(p) ? json_integer_value(p) : 0;
    json_decref(v);
    return port > 0 && port <= 65535 ? (int)port : 0;
}

void nw_dv_state_close(struct nw_dv_state *st)
{
    for (int c = 0; c < NW_DV_NCOLL; c++) {
        json_decref(st->coll[c]);
        st->coll[c] = NULL;
    }
    if (st->lock_fd >= 0) {
        (void)flock(st->lock_fd, LOCK_UN);
        close(st->lock_fd);
        st->lock_fd = -1;
    }
}
