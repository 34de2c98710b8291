/*
 * blr_store.c: the relay's binlog files (see blr_store.h). The writer thread
 * appends with pwrite and publishes commit boundaries; a sync thread makes
 * them durable in batches (group commit) before readers may see them.
 * Everything readers look at (the file list, the visible end, pins) is
 * under one mutex that no I/O is done under.
 */
#include "router/blr_store.h"

#include "router/blr_err.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "protocol/packet.h"
#include "server/log.h"

#define INDEX_NAME    "binlog.index"
#define GTIDX_SUFFIX  ".gtidx"
#define GTIDX_REC_LEN 24 /* domain u32, server_id u32, seq u64, end offset u64 */
#define HEAD_MAX      (256 * 1024)

typedef struct blr_file {
    uint32_t no;
    gtid_pos *start; /* committed state when the file began */
    uint64_t header_end;
    uint64_t size; /* committed length */
    int pins;
} blr_file;

struct blr_store {
    blr_store_opts o;
    char dir[4096];
    pthread_mutex_t lock;
    pthread_cond_t cond;
    blr_file *files;
    size_t nfiles, capfiles;
    blr_pos visible;
    gtid_pos *visible_state;
    void (*listener)(void *);
    void *listener_arg;
    /* writer only */
    int fd, gtidx_fd;
    uint64_t gtidx_count;
    proto_buf fde; /* the FDE event new files are made from */
    uint32_t cur_no;
    uint64_t size, commit_off;
    bool crc;
    gtid_pos *committed;
    /* sync thread */
    pthread_t sync_thread;
    bool sync_running, stop, sync_busy;
    blr_pos pending;
    gtid_pos *pending_state;
    gtid_pos *sync_state; /* pending_state when the sync thread took pending */
};

void blr_store_file_name(uint32_t file_no, char out[BLR_NAME_MAX])
{
    snprintf(out, BLR_NAME_MAX, "binlog.%06u", file_no);
}

uint32_t blr_store_file_no(const char *name, size_t len)
{
    if (len < 8 || len > 17 || strncmp(name, "binlog.", 7) != 0)
        return 0;
    uint64_t n = 0;
    for (size_t i = 7; i < len; i++) {
        if (name[i] < '0' || name[i] > '9')
            return 0;
        n = n * 10 + (uint64_t)(name[i] - '0');
    }
    return n <= UINT32_MAX ? (uint32_t)n : 0;
}

int blr_store_path(const blr_store *s, uint32_t file_no, char *out, size_t outlen)
{
    char name[BLR_NAME_MAX];
    blr_store_file_name(file_no, name);
    return snprintf(out, outlen, "%s/%s", s->dir, name) < (int)outlen ? 0 : -1;
}

static void gtidx_path(const blr_store *s, uint32_t no, char *out, size_t outlen)
{
    char name[BLR_NAME_MAX];
    blr_store_file_name(no, name);
    snprintf(out, outlen, "%s/%s" GTIDX_SUFFIX, s->dir, name);
}

/* ---- the file list (under lock) ---------------------------------------- */

static blr_file *find_file(blr_store *s, uint32_t no)
{
    for (size_t i = 0; i < s->nfiles; i++)
        if (s->files[i].no == no)
            return &s->files[i];
    return NULL;
}

static int add_file(blr_store *s, uint32_t no, const gtid_pos *start, uint64_t header_end,
                    uint64_t size)
{
    if (s->nfiles == s->capfiles) {
        size_t cap = s->capfiles ? s->capfiles * 2 : 16;
        blr_file *nf = realloc(s->files, cap * sizeof(*nf));
        if (!nf)
            return -1;
        s->files = nf;
        s->capfiles = cap;
    }
    gtid_pos *p = malloc(sizeof(*p));
    if (!p)
        return -1;
    gtid_pos_copy(p, start);
    s->files[s->nfiles++] = (blr_file){no, p, header_end, size, 0};
    return 0;
}

static int write_index(blr_store *s)
{
    char path[4200], tmp[4300];
    snprintf(path, sizeof(path), "%s/" INDEX_NAME, s->dir);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    if (!f)
        return -1;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nfiles; i++) {
        char name[BLR_NAME_MAX];
        blr_store_file_name(s->files[i].no, name);
        fprintf(f, "%s\n", name);
    }
    pthread_mutex_unlock(&s->lock);
    int rc = (fflush(f) == 0 && fsync(fileno(f)) == 0) ? 0 : -1;
    fclose(f);
    return rc == 0 ? rename(tmp, path) : -1;
}

/* ---- reading events from a file ---------------------------------------- */

/* Reads the whole event at off of a file of fsize bytes into out. PROTO_OK,
 * PROTO_NEED_MORE at a (possibly partial) end of file, PROTO_BAD when the
 * bytes are not an event. Nothing is allocated for bytes the file lacks. */
static int read_event(int fd, uint64_t fsize, uint64_t off, bool crc, proto_buf *out,
                      binlog_event *ev)
{
    uint8_t hdr[BINLOG_HEADER_LEN];
    binlog_header h;
    if (pread(fd, hdr, sizeof(hdr), (off_t)off) != (ssize_t)sizeof(hdr))
        return PROTO_NEED_MORE;
    binlog_header_decode(hdr, sizeof(hdr), &h);
    if (h.event_size < BINLOG_HEADER_LEN || h.event_size > (1u << 30) + 1024)
        return PROTO_BAD;
    if (off > fsize || h.event_size > fsize - off)
        return PROTO_NEED_MORE;
    proto_buf_reset(out);
    uint8_t *p = proto_buf_reserve(out, h.event_size);
    if (pread(fd, p, h.event_size, (off_t)off) != (ssize_t)h.event_size)
        return PROTO_NEED_MORE;
    out->len = h.event_size;
    if (binlog_event_parse(out->data, out->len, crc, ev) != PROTO_OK)
        return PROTO_BAD;
    return binlog_event_crc_ok(ev) ? PROTO_OK : PROTO_BAD;
}

typedef struct file_head {
    gtid_pos start;
    uint64_t header_end;
    uint64_t size; /* of the file when it was opened */
    bool crc;
} file_head;

/* Reads the magic, the FDE and the GTID_LIST that begin each of our files. */
static int read_head(int fd, file_head *fh, proto_buf *fde_out, char *err, size_t errlen)
{
    uint8_t magic[BINLOG_MAGIC_LEN];
    proto_buf b;
    binlog_event ev;
    binlog_fde fde;
    binlog_gtid_list gl;
    int rc = -1;
    proto_buf_init(&b);
    struct stat st;
    fh->size = fstat(fd, &st) == 0 ? (uint64_t)st.st_size : 0;
    if (pread(fd, magic, sizeof(magic), 0) != sizeof(magic) || !binlog_magic_ok(magic, 4))
        blr_fail(err, errlen, "not a binlog file (bad magic)");
    else if (read_event(fd, fh->size, 4, false, &b, &ev) != PROTO_OK ||
             ev.h.type != BINLOG_FORMAT_DESCRIPTION_EVENT || binlog_fde_decode(&ev, &fde) != 0)
        blr_fail(err, errlen, "no FORMAT_DESCRIPTION event at offset 4");
    else {
        fh->crc = fde.checksum_alg == BINLOG_CHECKSUM_CRC32;
        if (fde_out) {
            proto_buf_reset(fde_out);
            proto_put_bytes(fde_out, b.data, b.len);
        }
        uint64_t off = 4 + ev.h.event_size;
        if (read_event(fd, fh->size, off, fh->crc, &b, &ev) != PROTO_OK ||
            ev.h.type != BINLOG_GTID_LIST_EVENT || binlog_gtid_list_decode(&ev, &gl) != 0 ||
            binlog_gtid_list_to_pos(&gl, &fh->start) != 0)
            blr_fail(err, errlen, "no GTID_LIST event after the FORMAT_DESCRIPTION");
        else {
            fh->header_end = off + ev.h.event_size;
            rc = 0;
        }
    }
    proto_buf_free(&b);
    return rc;
}

/* ---- recovery ---------------------------------------------------------- */

static int append_gtidx(int fd, uint64_t at, const gtid_t *g, uint64_t end)
{
    proto_buf b;
    proto_buf_init(&b);
    proto_put_u32(&b, g->domain);
    proto_put_u32(&b, g->server_id);
    proto_put_u64(&b, g->seq);
    proto_put_u64(&b, end);
    ssize_t w = pwrite(fd, b.data, b.len, (off_t)at);
    proto_buf_free(&b);
    return w == GTIDX_REC_LEN ? 0 : -1;
}

/*
 * Scans the newest file, cuts a partial group off its end, rebuilds its GTID
 * index and advances the committed state. Returns the committed length.
 */
static int64_t recover_file(blr_store *s, int fd, int gtidx_fd, const file_head *fh, bool *rotated,
                            char *err, size_t errlen)
{
    binlog_trx_tracker t;
    binlog_trx_init(&t, fh->crc);
    proto_buf b;
    proto_buf_init(&b);
    binlog_event ev;
    uint64_t off = fh->header_end, committed = off, nidx = 0;
    int rc;
    while ((rc = read_event(fd, fh->size, off, fh->crc, &b, &ev)) == PROTO_OK) {
        enum binlog_trx_result r = binlog_trx_feed(&t, b.data, b.len);
        off += ev.h.event_size;
        if (r == BINLOG_TRX_GROUP_END && t.has_gtid) {
            gtid_pos_update(s->committed, &t.gtid.gtid);
            append_gtidx(gtidx_fd, nidx++ * GTIDX_REC_LEN, &t.gtid.gtid, off);
            committed = off;
            *rotated = false;
        } else if (r == BINLOG_TRX_OUTSIDE && ev.h.type == BINLOG_ROTATE_EVENT) {
            committed = off; /* a closed file ends with its ROTATE */
            *rotated = true;
        } else if (r == BINLOG_TRX_BAD) {
            break;
        }
    }
    proto_buf_free(&b);
    if (fh->size > committed) {
        log_warning("binlog relay: %s: cutting %llu bytes of an incomplete transaction at "
                    "offset %llu (%s)",
                    s->dir, (unsigned long long)(fh->size - committed),
                    (unsigned long long)committed,
                    rc == PROTO_BAD ? "corrupt event" : "partial write");
        if (ftruncate(fd, (off_t)committed) < 0 || fsync(fd) < 0)
            return blr_fail(err, errlen, "cannot truncate: %s", strerror(errno));
    }
    if (ftruncate(gtidx_fd, (off_t)(nidx * GTIDX_REC_LEN)) < 0)
        return blr_fail(err, errlen, "cannot truncate the GTID index: %s", strerror(errno));
    s->gtidx_count = nidx;
    return (int64_t)committed;
}

static int open_file(blr_store *s, uint32_t no, bool newest, char *err, size_t errlen)
{
    char path[4200], ipath[4300];
    blr_store_path(s, no, path, sizeof(path));
    gtidx_path(s, no, ipath, sizeof(ipath));
    int fd = open(path, (newest ? O_RDWR : O_RDONLY) | O_CLOEXEC);
    if (fd < 0)
        return blr_fail(err, errlen, "%s: %s", path, strerror(errno));
    file_head fh;
    char why[256];
    if (read_head(fd, &fh, newest ? &s->fde : NULL, why, sizeof(why)) < 0) {
        close(fd);
        return blr_fail(err, errlen, "%s: %s", path, why);
    }
    int64_t size = (int64_t)fh.size;
    if (newest) {
        gtid_pos_copy(s->committed, &fh.start);
        int ifd = open(ipath, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
        bool rotated = false;
        if (ifd < 0 || (size = recover_file(s, fd, ifd, &fh, &rotated, why, sizeof(why))) < 0) {
            if (ifd >= 0)
                close(ifd);
            close(fd);
            return blr_fail(err, errlen, "%s: %s", path, why);
        }
        s->fd = fd;
        s->gtidx_fd = ifd;
        s->cur_no = no;
        s->size = s->commit_off = (uint64_t)size;
        s->crc = fh.crc;
        if (rotated) { /* closed before the next file was made: never append after a ROTATE */
            close(fd);
            close(ifd);
            s->fd = s->gtidx_fd = -1;
        }
    } else {
        close(fd);
    }
    return add_file(s, no, &fh.start, fh.header_end, (uint64_t)size) == 0
               ? 0
               : blr_fail(err, errlen, "out of memory");
}

static int read_index(blr_store *s, uint32_t **nos, size_t *n, char *err, size_t errlen)
{
    char path[4200], line[256];
    snprintf(path, sizeof(path), "%s/" INDEX_NAME, s->dir);
    *nos = NULL;
    *n = 0;
    FILE *f = fopen(path, "r");
    if (!f)
        return errno == ENOENT ? 0 : blr_fail(err, errlen, "%s: %s", path, strerror(errno));
    size_t cap = 0;
    while (fgets(line, sizeof(line), f)) {
        size_t len = strcspn(line, "\r\n");
        uint32_t no = blr_store_file_no(line, len);
        if (!no)
            continue;
        if (*n == cap) {
            cap = cap ? cap * 2 : 64;
            uint32_t *nn = realloc(*nos, cap * sizeof(*nn));
            if (!nn)
                break;
            *nos = nn;
        }
        (*nos)[(*n)++] = no;
    }
    fclose(f);
    return 0;
}

/* mkdir -p */
static int make_dirs(const char *dir)
{
    char path[4096];
    snprintf(path, sizeof(path), "%s", dir);
    for (char *p = path + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(path, 0750) < 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return mkdir(path, 0750) < 0 && errno != EEXIST ? -1 : 0;
}

static void *sync_main(void *arg);

static int start_sync(blr_store *s)
{
    if (s->o.sync == BLR_SYNC_NEVER)
        return 0;
    s->sync_running = pthread_create(&s->sync_thread, NULL, sync_main, s) == 0;
    return s->sync_running ? 0 : -1;
}

static void publish_locked(blr_store *s, blr_pos pos, const gtid_pos *state)
{
    s->visible = pos;
    gtid_pos_copy(s->visible_state, state);
    blr_file *f = find_file(s, pos.file_no);
    if (f)
        f->size = pos.offset;
}

blr_store *blr_store_open(const blr_store_opts *o, char *err, size_t errlen)
{
    blr_store *s = calloc(1, sizeof(*s));
    if (!s || !(s->committed = calloc(1, sizeof(gtid_pos))) ||
        !(s->visible_state = calloc(1, sizeof(gtid_pos))) ||
        !(s->pending_state = calloc(1, sizeof(gtid_pos))) ||
        !(s->sync_state = calloc(1, sizeof(gtid_pos)))) {
        blr_store_close(s);
        blr_fail(err, errlen, "out of memory");
        return NULL;
    }
    s->o = *o;
    s->fd = s->gtidx_fd = -1;
    proto_buf_init(&s->fde);
    snprintf(s->dir, sizeof(s->dir), "%s", o->dir);
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->cond, NULL);
    if (o->initial_state)
        gtid_pos_copy(s->committed, o->initial_state);
    if (make_dirs(s->dir) < 0) {
        blr_fail(err, errlen, "cannot create %s: %s", s->dir, strerror(errno));
        blr_store_close(s);
        return NULL;
    }
    uint32_t *nos = NULL;
    size_t n = 0;
    int rc = read_index(s, &nos, &n, err, errlen);
    for (size_t i = 0; rc == 0 && i < n; i++)
        rc = open_file(s, nos[i], i + 1 == n, err, errlen);
    free(nos);
    if (rc < 0 || start_sync(s) < 0) {
        blr_store_close(s);
        return NULL;
    }
    blr_pos end = {s->cur_no, s->commit_off};
    publish_locked(s, end, s->committed);
    s->pending = end;
    gtid_pos_copy(s->pending_state, s->committed);
    return s;
}

void blr_store_close(blr_store *s)
{
    if (!s)
        return;
    if (s->sync_running) {
        pthread_mutex_lock(&s->lock);
        s->stop = true;
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        pthread_join(s->sync_thread, NULL);
    }
    if (s->fd >= 0) {
        fdatasync(s->fd);
        close(s->fd);
    }
    if (s->gtidx_fd >= 0)
        close(s->gtidx_fd);
    for (size_t i = 0; i < s->nfiles; i++)
        free(s->files[i].start);
    free(s->files);
    proto_buf_free(&s->fde);
    free(s->committed);
    free(s->visible_state);
    free(s->pending_state);
    free(s->sync_state);
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->cond);
    free(s);
}

/* ---- publishing and the sync thread ------------------------------------ */

static void notify(blr_store *s)
{
    if (s->listener)
        s->listener(s->listener_arg);
}

static void *sync_main(void *arg)
{
    blr_store *s = arg;
    pthread_mutex_lock(&s->lock);
    while (!s->stop) {
        bool period = s->o.sync == BLR_SYNC_PERIOD;
        bool work = period || s->pending.offset != s->visible.offset ||
                    s->pending.file_no != s->visible.file_no;
        if (!work) {
            pthread_cond_wait(&s->cond, &s->lock);
            continue;
        }
        blr_pos pos = s->pending;
        gtid_pos_copy(s->sync_state, s->pending_state);
        int fd = s->fd;
        s->sync_busy = true;
        pthread_mutex_unlock(&s->lock);
        if (period)
            usleep((useconds_t)s->o.sync_ms * 1000);
        if (fd >= 0 && fdatasync(fd) < 0)
            log_error("binlog relay %s: fdatasync failed: %s", s->dir, strerror(errno));
        pthread_mutex_lock(&s->lock);
        s->sync_busy = false;
        if (!period)
            publish_locked(s, pos, s->sync_state);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        if (!period)
            notify(s);
        pthread_mutex_lock(&s->lock);
    }
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* Makes everything committed so far durable and visible (the writer calls it
 * before touching the file list). */
static void flush_commits(blr_store *s)
{
    if (s->o.sync != BLR_SYNC_COMMIT) {
        if (s->fd >= 0)
            fdatasync(s->fd);
        return;
    }
    pthread_mutex_lock(&s->lock);
    while (s->sync_busy || s->pending.offset != s->visible.offset ||
           s->pending.file_no != s->visible.file_no)
        pthread_cond_wait(&s->cond, &s->lock);
    pthread_mutex_unlock(&s->lock);
}

static void make_visible(blr_store *s)
{
    blr_pos pos = {s->cur_no, s->commit_off};
    pthread_mutex_lock(&s->lock);
    if (s->o.sync == BLR_SYNC_COMMIT) {
        s->pending = pos;
        gtid_pos_copy(s->pending_state, s->committed);
        pthread_cond_broadcast(&s->cond);
        pthread_mutex_unlock(&s->lock);
        return;
    }
    publish_locked(s, pos, s->committed);
    pthread_mutex_unlock(&s->lock);
    notify(s);
}

/* Publishes at once, durably (for file boundaries). */
static void publish_now(blr_store *s)
{
    blr_pos pos = {s->cur_no, s->commit_off};
    pthread_mutex_lock(&s->lock);
    s->pending = pos;
    gtid_pos_copy(s->pending_state, s->committed);
    publish_locked(s, pos, s->committed);
    pthread_mutex_unlock(&s->lock);
    notify(s);
}

void blr_store_set_listener(blr_store *s, void (*fn)(void *arg), void *arg)
{
    pthread_mutex_lock(&s->lock);
    s->listener = fn;
    s->listener_arg = arg;
    pthread_mutex_unlock(&s->lock);
}

blr_pos blr_store_visible(blr_store *s, gtid_pos *state)
{
    pthread_mutex_lock(&s->lock);
    blr_pos p = s->visible;
    if (state)
        gtid_pos_copy(state, s->visible_state);
    pthread_mutex_unlock(&s->lock);
    return p;
}

/* ---- writing ----------------------------------------------------------- */

bool blr_store_has_file(const blr_store *s)
{
    return s->fd >= 0;
}

const gtid_pos *blr_store_committed(const blr_store *s)
{
    return s->committed;
}

int blr_store_set_initial(blr_store *s, const gtid_pos *p, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    bool empty = s->nfiles == 0;
    if (empty) {
        gtid_pos_copy(s->committed, p);
        gtid_pos_copy(s->visible_state, p);
        gtid_pos_copy(s->pending_state, p);
    }
    pthread_mutex_unlock(&s->lock);
    return empty ? 0
                 : blr_fail(err, errlen,
                            "the relay already has binlog files; gtid_slave_pos can only be set on "
                            "an empty relay");
}

bool blr_store_crc(const blr_store *s)
{
    return s->crc;
}

static int write_at_end(blr_store *s, const void *p, size_t len, char *err, size_t errlen)
{
    if (s->size + len > UINT32_MAX)
        return blr_fail(err, errlen, "binlog file would exceed 4 GiB");
    if (pwrite(s->fd, p, len, (off_t)s->size) != (ssize_t)len)
        return blr_fail(err, errlen, "cannot write binlog file %06u: %s", s->cur_no,
                        strerror(errno));
    s->size += len;
    return 0;
}

static binlog_header own_header(const blr_store *s)
{
    return (binlog_header){.timestamp = (uint32_t)time(NULL), .server_id = s->o.server_id};
}

/* Ends the current file with a ROTATE to the next one. */
static int close_current(blr_store *s, uint32_t next, char *err, size_t errlen)
{
    if (s->fd < 0)
        return 0;
    if (blr_store_cut(s, err, errlen) < 0)
        return -1;
    char name[BLR_NAME_MAX];
    blr_store_file_name(next, name);
    proto_buf b;
    proto_buf_init(&b);
    binlog_header h = own_header(s);
    binlog_write_rotate(&b, &h, 4, name, strlen(name), s->crc);
    binlog_event_set_log_pos(b.data, b.len, (uint32_t)(s->size + b.len), s->crc);
    int rc = write_at_end(s, b.data, b.len, err, errlen);
    proto_buf_free(&b);
    if (rc < 0)
        return -1;
    s->commit_off = s->size;
    flush_commits(s);
    fdatasync(s->fd);
    publish_now(s);
    pthread_mutex_lock(&s->lock);
    int fd = s->fd;
    s->fd = -1; /* the sync thread must not use it any more */
    pthread_mutex_unlock(&s->lock);
    close(fd);
    close(s->gtidx_fd);
    s->gtidx_fd = -1;
    return 0;
}

/* Magic, FDE and GTID_LIST of a new file. */
static void build_head(blr_store *s, const binlog_fde *up, proto_buf *b)
{
    binlog_header h = own_header(s);
    proto_put_bytes(b, BINLOG_MAGIC, BINLOG_MAGIC_LEN);
    binlog_fde fde = *up;
    fde.create_ts = h.timestamp;
    size_t off = b->len;
    binlog_write_fde(b, &h, &fde);
    binlog_event_set_log_pos(b->data + off, b->len - off, (uint32_t)b->len, true);
    binlog_event_set_flags(b->data + off, b->len - off, 0, true);
    off = b->len;
    binlog_write_gtid_list(b, &h, s->committed->v, s->committed->n, 0, s->crc);
    binlog_event_set_log_pos(b->data + off, b->len - off, (uint32_t)b->len, s->crc);
}

static int create_file(blr_store *s, uint32_t no, const binlog_fde *up, char *err, size_t errlen)
{
    char path[4200], ipath[4300];
    blr_store_path(s, no, path, sizeof(path));
    gtidx_path(s, no, ipath, sizeof(ipath));
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    int ifd = fd >= 0 ? open(ipath, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0640) : -1;
    if (ifd < 0) {
        if (fd >= 0)
            close(fd);
        return blr_fail(err, errlen, "cannot create %s: %s", path, strerror(errno));
    }
    s->crc = up->checksum_alg == BINLOG_CHECKSUM_CRC32;
    proto_buf b;
    proto_buf_init(&b);
    build_head(s, up, &b);
    s->cur_no = no;
    s->size = s->commit_off = 0;
    s->gtidx_count = 0;
    pthread_mutex_lock(&s->lock);
    s->fd = fd;
    pthread_mutex_unlock(&s->lock);
    s->gtidx_fd = ifd;
    int rc = write_at_end(s, b.data, b.len, err, errlen);
    proto_buf_free(&b);
    if (rc < 0 || fdatasync(fd) < 0)
        return rc < 0 ? -1 : blr_fail(err, errlen, "cannot sync %s: %s", path, strerror(errno));
    s->commit_off = s->size;
    pthread_mutex_lock(&s->lock);
    rc = add_file(s, no, s->committed, s->size, s->size);
    pthread_mutex_unlock(&s->lock);
    if (rc < 0 || write_index(s) < 0)
        return blr_fail(err, errlen, "cannot update %s/" INDEX_NAME ": %s", s->dir,
                        strerror(errno));
    publish_now(s);
    log_notice("binlog relay %s: started binlog.%06u at GTID state %s", s->dir, no,
               s->committed->n ? "(see GTID_LIST)" : "(empty)");
    return 0;
}

int blr_store_new_file(blr_store *s, const uint8_t *fde_ev, size_t fde_len, char *err,
                       size_t errlen)
{
    binlog_event ev;
    binlog_fde fde;
    if (binlog_event_parse(fde_ev, fde_len, false, &ev) != PROTO_OK ||
        binlog_fde_decode(&ev, &fde) != 0)
        return blr_fail(err, errlen, "malformed FORMAT_DESCRIPTION event from upstream");
    proto_buf_reset(&s->fde);
    proto_put_bytes(&s->fde, fde_ev, fde_len);
    uint32_t next = s->cur_no + 1;
    if (close_current(s, next, err, errlen) < 0)
        return -1;
    binlog_event_parse(s->fde.data, s->fde.len, false, &ev);
    binlog_fde_decode(&ev, &fde);
    return create_file(s, next, &fde, err, errlen);
}

int blr_store_append(blr_store *s, uint8_t *ev, size_t len, char *err, size_t errlen)
{
    if (s->fd < 0)
        return blr_fail(err, errlen, "no binlog file is open (no FORMAT_DESCRIPTION yet)");
    binlog_event_set_log_pos(ev, len, (uint32_t)(s->size + len), s->crc);
    return write_at_end(s, ev, len, err, errlen);
}

int blr_store_commit(blr_store *s, const gtid_t *g, char *err, size_t errlen)
{
    if (append_gtidx(s->gtidx_fd, s->gtidx_count * GTIDX_REC_LEN, g, s->size) < 0)
        return blr_fail(err, errlen, "cannot write the GTID index: %s", strerror(errno));
    s->gtidx_count++;
    s->commit_off = s->size;
    gtid_pos_update(s->committed, g);
    make_visible(s);
    if (s->size < s->o.max_file_size)
        return 0;
    return blr_store_new_file(s, s->fde.data, s->fde.len, err, errlen);
}

int blr_store_cut(blr_store *s, char *err, size_t errlen)
{
    if (s->fd < 0 || s->size == s->commit_off)
        return 0;
    if (ftruncate(s->fd, (off_t)s->commit_off) < 0)
        return blr_fail(err, errlen, "cannot truncate binlog.%06u: %s", s->cur_no, strerror(errno));
    log_info("binlog relay %s: cut %llu uncommitted bytes from binlog.%06u", s->dir,
             (unsigned long long)(s->size - s->commit_off), s->cur_no);
    s->size = s->commit_off;
    return 0;
}

/* ---- the file list for readers ----------------------------------------- */

void blr_store_range(blr_store *s, uint32_t *first, uint32_t *last)
{
    pthread_mutex_lock(&s->lock);
    *first = s->nfiles ? s->files[0].no : 0;
    *last = s->nfiles ? s->files[s->nfiles - 1].no : 0;
    pthread_mutex_unlock(&s->lock);
}

int64_t blr_store_file_size(blr_store *s, uint32_t file_no)
{
    pthread_mutex_lock(&s->lock);
    blr_file *f = find_file(s, file_no);
    int64_t size = f ? (int64_t)f->size : -1;
    pthread_mutex_unlock(&s->lock);
    return size;
}

uint64_t blr_store_header_end(blr_store *s, uint32_t file_no)
{
    pthread_mutex_lock(&s->lock);
    blr_file *f = find_file(s, file_no);
    uint64_t end = f ? f->header_end : 4;
    pthread_mutex_unlock(&s->lock);
    return end;
}

int blr_store_pin(blr_store *s, uint32_t file_no)
{
    pthread_mutex_lock(&s->lock);
    blr_file *f = find_file(s, file_no);
    if (f)
        f->pins++;
    pthread_mutex_unlock(&s->lock);
    return f ? 0 : -1;
}

void blr_store_unpin(blr_store *s, uint32_t file_no)
{
    pthread_mutex_lock(&s->lock);
    blr_file *f = find_file(s, file_no);
    if (f && f->pins > 0)
        f->pins--;
    pthread_mutex_unlock(&s->lock);
}

static void unlink_file(blr_store *s, uint32_t no)
{
    char path[4200], ipath[4300];
    blr_store_path(s, no, path, sizeof(path));
    gtidx_path(s, no, ipath, sizeof(ipath));
    unlink(path);
    unlink(ipath);
    log_notice("binlog relay %s: purged binlog.%06u", s->dir, no);
}

/* Removes the first n entries of the list (under lock); returns their numbers. */
static uint32_t *drop_first(blr_store *s, size_t n)
{
    uint32_t *nos = malloc((n ? n : 1) * sizeof(*nos));
    if (!nos)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        nos[i] = s->files[i].no;
        free(s->files[i].start);
    }
    memmove(s->files, s->files + n, (s->nfiles - n) * sizeof(*s->files));
    s->nfiles -= n;
    return nos;
}

static int purge_first(blr_store *s, size_t n)
{
    uint32_t *nos = drop_first(s, n);
    pthread_mutex_unlock(&s->lock);
    if (!nos)
        return 0;
    write_index(s);
    for (size_t i = 0; i < n; i++)
        unlink_file(s, nos[i]);
    free(nos);
    return (int)n;
}

int blr_store_purge_to(blr_store *s, uint32_t file_no, char *err, size_t errlen)
{
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    while (n < s->nfiles && s->files[n].no < file_no) {
        if (s->files[n].pins > 0) {
            uint32_t busy = s->files[n].no;
            pthread_mutex_unlock(&s->lock);
            return blr_fail(err, errlen, "binlog.%06u is being read by a replica", busy);
        }
        n++;
    }
    if (n == s->nfiles) {
        pthread_mutex_unlock(&s->lock);
        return blr_fail(err, errlen, "Target log binlog.%06u not found in binlog index", file_no);
    }
    purge_first(s, n);
    return 0;
}

int blr_store_expire(blr_store *s, int64_t max_age_s, int min_files)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&s->lock);
    size_t n = 0;
    while ((int64_t)(s->nfiles - n) > min_files && s->files[n].pins == 0 &&
           s->files[n].no != s->cur_no) {
        char path[4200];
        struct stat st;
        blr_store_path(s, s->files[n].no, path, sizeof(path));
        /* A file's age is that of its last write, as MariaDB's expire_logs. */
        if (stat(path, &st) == 0 && now - st.st_mtime < max_age_s)
            break;
        n++;
    }
    if (n == 0) {
        pthread_mutex_unlock(&s->lock);
        return 0;
    }
    return purge_first(s, n);
}

/* ---- where a replica starts -------------------------------------------- */

static bool state_at_or_before(const gtid_pos *a, const gtid_pos *b)
{
    for (uint32_t i = 0; i < a->n; i++)
        if (!gtid_pos_contains(b, &a->v[i]))
            return false;
    return true;
}

/* Skips, from the file's GTID index, the leading groups the replica has. */
static uint64_t skip_known(blr_store *s, uint32_t no, uint64_t from, uint64_t limit,
                           const gtid_pos *start)
{
    char ipath[4300];
    gtidx_path(s, no, ipath, sizeof(ipath));
    int fd = open(ipath, O_RDONLY | O_CLOEXEC);
    uint8_t rec[GTIDX_REC_LEN * 256];
    uint64_t off = from, at = 0;
    ssize_t got;
    while (fd >= 0 && (got = pread(fd, rec, sizeof(rec), (off_t)at)) >= GTIDX_REC_LEN) {
        for (ssize_t i = 0; i + GTIDX_REC_LEN <= got; i += GTIDX_REC_LEN) {
            proto_rd r = proto_rd_init(rec + i, GTIDX_REC_LEN);
            gtid_t g = {.domain = proto_get_u32(&r), .server_id = proto_get_u32(&r)};
            g.seq = proto_get_u64(&r);
            uint64_t end = proto_get_u64(&r);
            if (end > limit || !gtid_pos_contains(start, &g)) {
                close(fd);
                return off;
            }
            off = end;
        }
        at += (uint64_t)got - (uint64_t)got % GTIDX_REC_LEN;
    }
    if (fd >= 0)
        close(fd);
    return off;
}

static blr_locate_result check_domains(const gtid_pos *start, const gtid_pos *have, char *err,
                                       size_t errlen)
{
    char want[GTID_TEXT_MAX + 1], state[1024];
    for (uint32_t i = 0; i < start->n; i++) {
        const gtid_t *g = &start->v[i];
        const gtid_t *h = gtid_pos_get(have, g->domain);
        if (h && h->seq >= g->seq)
            continue;
        gtid_format(g, want, sizeof(want));
        gtid_pos_format(have, state, sizeof(state));
        if (h)
            snprintf(err, errlen,
                     "connecting slave requested to start from GTID %s, which is not in the "
                     "relay's binlog yet (relay state: %s)",
                     want, state);
        else
            snprintf(err, errlen,
                     "connecting slave requested to start from GTID %s, but the relay has never "
                     "seen domain %u (relay state: %s)",
                     want, g->domain, state);
        return h ? BLR_LOCATE_AHEAD : BLR_LOCATE_UNKNOWN;
    }
    return BLR_LOCATE_OK;
}

blr_locate_result blr_store_locate(blr_store *s, const gtid_pos *start, blr_pos *out, char *err,
                                   size_t errlen)
{
    gtid_pos *have = malloc(sizeof(*have));
    if (!have) {
        snprintf(err, errlen, "out of memory");
        return BLR_LOCATE_PURGED;
    }
    pthread_mutex_lock(&s->lock);
    gtid_pos_copy(have, s->visible_state);
    blr_locate_result r = check_domains(start, have, err, errlen);
    blr_file *f = NULL;
    for (size_t i = s->nfiles; r == BLR_LOCATE_OK && i > 0 && !f; i--)
        if (state_at_or_before(s->files[i - 1].start, start))
            f = &s->files[i - 1];
    uint32_t no = f ? f->no : 0;
    uint64_t header_end = f ? f->header_end : 0, size = f ? f->size : 0;
    bool empty = s->nfiles == 0;
    pthread_mutex_unlock(&s->lock);
    if (r == BLR_LOCATE_OK && !f && !empty) {
        char state[1024];
        gtid_pos_format(have, state, sizeof(state));
        snprintf(err, errlen,
                 "Could not find GTID state requested by slave in any binlog files. Probably "
                 "the slave state is too old and required binlog files have been purged "
                 "(relay state: %s)",
                 state);
        r = BLR_LOCATE_PURGED;
    }
    free(have);
    if (r != BLR_LOCATE_OK)
        return r;
    out->file_no = no;
    out->offset = f ? skip_known(s, no, header_end, size, start) : 0;
    return BLR_LOCATE_OK;
}
