/*
 * blr_stream.c: one replica's event stream out of the relay's files (see
 * blr_stream.h). Called on the replica's worker by blr_reader.c. The header
 * of each file (artificial ROTATE, FORMAT_DESCRIPTION, GTID_LIST) follows
 * MariaDB's dump thread; after it, events are read with pread into blocks
 * of BLOCK bytes, filtered (groups a GTID replica already has,
 * ANNOTATE_ROWS it did not ask for) and framed as packets. On a plain
 * socket, large events go out as references into the block, which lives
 * until the last of them is written.
 */
#include "router/blr_stream.h"

#include "router/blr_err.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/binlog.h"
#include "protocol/packet.h"
#include "protocol/resultset.h"

#define FDE_MAX        (64 * 1024)
#define HEAD_EVENT_MAX (1024 * 1024) /* a GTID_LIST of GTID_POS_MAX domains is ~4 KiB */
#define OFF_EVENT_SIZE 9
#define OFF_LOG_POS    13
#define OFF_FLAGS      17
#define FDE_CREATE_OFF (BINLOG_HEADER_LEN + 2 + BINLOG_SERVER_VER_LEN)
#define EOF_STATUS     0x0002       /* SERVER_STATUS_AUTOCOMMIT, as in MariaDB's end of a dump */
#define BLOCK          (512 * 1024) /* bytes read from the file at a time */
#define REF_MIN        2048         /* smaller events are copied, not referenced */

/* File bytes read into memory, shared by the stream and the output's references into it.
 * Only the stream's worker touches it (an output buffer is freed on its session's worker). */
typedef struct blr_block {
    uint64_t at;   /* file offset of data[0] */
    size_t len;    /* bytes read (of BLOCK) */
    unsigned refs; /* the stream's, and one per reference in an output buffer */
    uint8_t data[];
} blr_block;

_Static_assert(BLOCK >= BLR_STREAM_PIECE, "a block holds any event sent in one piece");

/* One released block of BLOCK bytes per thread, kept for the next one (saves faulting in
 * fresh memory for every block); freed when the thread ends. */
static pthread_key_t spare_key;
static pthread_once_t spare_once = PTHREAD_ONCE_INIT;

static void spare_key_create(void)
{
    pthread_key_create(&spare_key, free);
}

/* The thread's spare block (now the caller's), or NULL. */
static blr_block *spare_take(void)
{
    pthread_once(&spare_once, spare_key_create);
    blr_block *b = pthread_getspecific(spare_key);
    if (b)
        pthread_setspecific(spare_key, NULL);
    return b;
}

/* Keeps b as the thread's spare, or frees it when there is one already. */
static void spare_put(blr_block *b)
{
    pthread_once(&spare_once, spare_key_create);
    if (pthread_getspecific(spare_key) || pthread_setspecific(spare_key, b) != 0)
        free(b);
}

struct blr_stream {
    blr_store *store;
    blr_stream_opts o;
    gtid_pos *skip;  /* GTID mode: per domain, the replica's last seq, until passed */
    gtid_pos *start; /* GTID mode: the replica's state, for the artificial GTID_LIST */
    uint8_t seq;
    uint32_t file_no; /* 0: waiting for the relay's first file */
    bool pinned;
    int fd;
    bool file_crc;
    bool first;       /* the next header is the dump's first */
    bool need_header; /* file_no's ROTATE and FDE are still to be sent */
    uint64_t resume;  /* first file, GTID mode: where events start */
    uint64_t off;     /* file offset of the next byte to send */
    uint64_t end;     /* the file's visible end, as last seen */
    bool closed;      /* a later file exists (as last seen) */
    blr_block *blk;   /* what was last read of the file, or NULL */
    binlog_trx_tracker trx;
    bool skipping; /* inside a group the replica already has */
    /* an event larger than a piece, being sent in pieces */
    bool big;
    uint64_t big_left;   /* event bytes still to send */
    uint32_t chunk_left; /* payload bytes left in the current packet chunk */
    bool chunk_full;     /* the current chunk is 0xffffff bytes: another header follows */
    uint64_t events, bytes;
};

static void store_u32(uint8_t *p, uint32_t v)
{
    for (int i = 0; i < 4; i++)
        p[i] = (uint8_t)(v >> (8 * i));
}

/* ---- reading ------------------------------------------------------------ */

static void block_unref(blr_block *b)
{
    if (--b->refs == 0)
        spare_put(b);
}

static void ref_done(const void *data, size_t len, void *arg)
{
    block_unref(arg);
}

static void drop_block(blr_stream *st)
{
    if (st->blk)
        block_unref(st->blk);
    st->blk = NULL;
}

/* A block from off, the stream's current one. */
static blr_block *new_block(blr_stream *st)
{
    blr_block *b = spare_take();
    if (!b && !(b = malloc(sizeof(*b) + BLOCK)))
        return NULL;
    *b = (blr_block){.at = st->off, .refs = 1};
    drop_block(st);
    st->blk = b;
    return b;
}

/* Where readers may read up to in the current file; *closed if a later file exists. */
static uint64_t visible_end(blr_stream *st, bool *closed)
{
    blr_pos v = blr_store_visible(st->store, NULL);
    *closed = v.file_no > st->file_no;
    if (v.file_no == st->file_no)
        return v.offset;
    int64_t size = *closed ? blr_store_file_size(st->store, st->file_no) : 0;
    return size > 0 ? (uint64_t)size : 0;
}

/* Whether the n bytes at off are visible; if not, closed says whether they ever will be. */
static bool visible(blr_stream *st, uint64_t n)
{
    if (st->end >= st->off + n)
        return true;
    st->end = visible_end(st, &st->closed);
    return st->end >= st->off + n;
}

/* Makes the n bytes at off (all visible, n at most a piece) readable through cur(): reads on
 * into the block if they fit in it, else into a new block from off. */
static int read_in(blr_stream *st, uint64_t n, char *err, size_t errlen)
{
    blr_block *b = st->blk;
    if (!b || st->off < b->at || st->off + n > b->at + BLOCK)
        b = new_block(st);
    if (!b)
        return blr_fail(err, errlen, "out of memory");
    while (st->off + n > b->at + b->len) {
        uint64_t from = b->at + b->len, want = BLOCK - b->len;
        if (st->end - from < want)
            want = st->end - from;
        ssize_t got = pread(st->fd, b->data + b->len, (size_t)want, (off_t)from);
        if (got <= 0)
            return blr_fail(err, errlen, "cannot read binlog.%06u at %llu: %s", st->file_no,
                            (unsigned long long)from,
                            got < 0 ? strerror(errno) : "unexpected end of file");
        b->len += (size_t)got;
    }
    return 0;
}

/* Makes the n bytes at off readable through cur(): 1, 0 if not visible yet, -1 on error. */
static int have(blr_stream *st, uint64_t n, char *err, size_t errlen)
{
    if (!visible(st, n))
        return 0;
    blr_block *b = st->blk;
    if (b && st->off >= b->at && st->off + n <= b->at + b->len)
        return 1;
    return read_in(st, n, err, errlen) < 0 ? -1 : 1;
}

static const uint8_t *cur(const blr_stream *st)
{
    return st->blk->data + (st->off - st->blk->at);
}

/* ---- life ---------------------------------------------------------------- */

blr_stream *blr_stream_new(blr_store *store, const blr_stream_opts *o, uint32_t file_no,
                           uint64_t offset, uint8_t seq, char *err, size_t errlen)
{
    blr_stream *st = calloc(1, sizeof(*st));
    if (!st || !(st->skip = calloc(1, sizeof(gtid_pos))) ||
        !(st->start = calloc(1, sizeof(gtid_pos)))) {
        blr_stream_free(st);
        blr_fail(err, errlen, "out of memory");
        return NULL;
    }
    st->store = store;
    st->o = *o;
    st->o.start = NULL;
    if (o->start) {
        gtid_pos_copy(st->skip, o->start);
        gtid_pos_copy(st->start, o->start);
    }
    st->seq = seq;
    st->fd = -1;
    st->first = true;
    st->resume = offset;
    if (file_no) {
        if (blr_store_pin(store, file_no) < 0) {
            blr_fail(err, errlen, "binlog.%06u is not in the relay's binlog index", file_no);
            blr_stream_free(st);
            return NULL;
        }
        st->file_no = file_no;
        st->pinned = true;
        st->need_header = true;
    }
    return st;
}

void blr_stream_free(blr_stream *st)
{
    if (!st)
        return;
    if (st->pinned)
        blr_store_unpin(st->store, st->file_no);
    if (st->fd >= 0)
        close(st->fd);
    drop_block(st);
    free(st->skip);
    free(st->start);
    free(st);
}

uint8_t blr_stream_seq(const blr_stream *st)
{
    return st->seq;
}

void blr_stream_where(const blr_stream *st, uint32_t *file_no, uint64_t *offset)
{
    *file_no = st->file_no;
    *offset = st->off;
}

void blr_stream_counters(const blr_stream *st, uint64_t *events, uint64_t *bytes)
{
    *events = st->events;
    *bytes = st->bytes;
}

/* ---- packets ------------------------------------------------------------- */

static void put_header(blr_stream *st, struct evbuffer *out, uint32_t payload_len)
{
    uint8_t hdr[PROTO_HEADER_LEN];
    proto_store_u24(hdr, payload_len);
    hdr[3] = st->seq++;
    evbuffer_add(out, hdr, sizeof(hdr));
}

/* One event as one packet: 00 + event (size + 1 < 16 MiB), added in one piece so that a
 * filter below (the compressed protocol) sees whole packets. */
static void send_event(blr_stream *st, struct evbuffer *out, const uint8_t *ev, size_t size)
{
    struct evbuffer_iovec v;
    size_t wire = PROTO_HEADER_LEN + 1 + size;
    if (evbuffer_reserve_space(out, (ev_ssize_t)wire, &v, 1) == 1 && v.iov_len >= wire) {
        uint8_t *p = v.iov_base;
        proto_store_u24(p, (uint32_t)size + 1);
        p[3] = st->seq++;
        p[4] = 0;
        memcpy(p + 5, ev, size);
        v.iov_len = wire;
        evbuffer_commit_space(out, &v, 1);
    } else {
        static const uint8_t ok = 0;
        put_header(st, out, (uint32_t)size + 1);
        evbuffer_add(out, &ok, 1);
        evbuffer_add(out, ev, size);
    }
    st->events++;
    st->bytes += size;
}

/* A packet header and the OK byte that starts an event's payload. */
static void put_event_start(blr_stream *st, struct evbuffer *out, uint32_t payload_len)
{
    uint8_t hdr[PROTO_HEADER_LEN + 1];
    proto_store_u24(hdr, payload_len);
    hdr[3] = st->seq++;
    hdr[4] = 0;
    evbuffer_add(out, hdr, sizeof(hdr));
}

/* Adds the n bytes at off to out (as a reference into the block where that pays); moves on. */
static void add_bytes(blr_stream *st, struct evbuffer *out, size_t n)
{
    if (st->o.zero_copy && n >= REF_MIN &&
        evbuffer_add_reference(out, cur(st), n, ref_done, st->blk) == 0)
        st->blk->refs++;
    else
        evbuffer_add(out, cur(st), n);
    st->off += n;
}

/* The event at off (read whole, at most a piece) as one packet. */
static void send_mapped(blr_stream *st, struct evbuffer *out, size_t size)
{
    if (!st->o.zero_copy || size < REF_MIN) {
        send_event(st, out, cur(st), size);
        st->off += size;
        return;
    }
    put_event_start(st, out, (uint32_t)size + 1);
    add_bytes(st, out, size);
    st->events++;
    st->bytes += size;
}

static binlog_header artificial(const blr_stream *st, uint32_t log_pos, uint16_t flags)
{
    return (binlog_header){.server_id = st->o.server_id, .log_pos = log_pos, .flags = flags};
}

static void send_rotate(blr_stream *st, struct evbuffer *out, uint64_t pos, bool crc)
{
    char name[BLR_NAME_MAX];
    blr_store_file_name(st->file_no, name);
    binlog_header h = artificial(st, 0, BINLOG_F_ARTIFICIAL);
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_rotate(&b, &h, pos, name, strlen(name), crc);
    send_event(st, out, b.data, b.len);
    proto_buf_free(&b);
}

static void send_gtid_list(blr_stream *st, struct evbuffer *out, uint64_t log_pos)
{
    binlog_header h = artificial(st, (uint32_t)log_pos, BINLOG_F_ARTIFICIAL);
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_gtid_list(&b, &h, st->start->v, st->start->n, 0, st->file_crc);
    send_event(st, out, b.data, b.len);
    proto_buf_free(&b);
}

void blr_stream_heartbeat(blr_stream *st, struct evbuffer *out)
{
    if (!st->file_no || st->need_header || st->big)
        return;
    char name[BLR_NAME_MAX];
    blr_store_file_name(st->file_no, name);
    binlog_header h = artificial(st, (uint32_t)st->off, 0);
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_heartbeat(&b, &h, name, strlen(name), st->file_crc);
    send_event(st, out, b.data, b.len);
    proto_buf_free(&b);
}

static void send_eof(blr_stream *st, struct evbuffer *out)
{
    proto_buf b;
    proto_buf_init(&b);
    st->seq = proto_rs_end(&b, st->seq, EOF_STATUS, st->o.deprecate_eof);
    evbuffer_add(out, b.data, b.len);
    proto_buf_free(&b);
}

/* ---- the file ------------------------------------------------------------ */

/* Reads the whole event at off (at most max bytes) into b. */
static int read_event_at(blr_stream *st, uint64_t off, size_t max, proto_buf *b, char *err,
                         size_t errlen)
{
    uint8_t hdr[BINLOG_HEADER_LEN];
    binlog_header h;
    if (pread(st->fd, hdr, sizeof(hdr), (off_t)off) != (ssize_t)sizeof(hdr) ||
        binlog_header_decode(hdr, sizeof(hdr), &h) != PROTO_OK)
        return blr_fail(err, errlen, "binlog.%06u: cannot read the event at %llu", st->file_no,
                        (unsigned long long)off);
    if (h.event_size < BINLOG_HEADER_LEN || h.event_size > max)
        return blr_fail(err, errlen, "binlog.%06u: bad event size %u at %llu", st->file_no,
                        h.event_size, (unsigned long long)off);
    proto_buf_reset(b);
    if (pread(st->fd, proto_buf_reserve(b, h.event_size), h.event_size, (off_t)off) !=
        (ssize_t)h.event_size)
        return blr_fail(err, errlen, "binlog.%06u: short read at %llu", st->file_no,
                        (unsigned long long)off);
    b->len = h.event_size;
    return 0;
}

static int open_file(blr_stream *st, char *err, size_t errlen)
{
    char path[4200];
    if (st->fd >= 0)
        close(st->fd);
    st->fd = -1;
    if (blr_store_path(st->store, st->file_no, path, sizeof(path)) < 0 ||
        (st->fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
        return blr_fail(err, errlen, "cannot open binlog.%06u: %s", st->file_no, strerror(errno));
    return 0;
}

/* Clears BINLOG_IN_USE (and create_ts / log_pos when asked) and fixes the CRC. */
static void fix_fde(uint8_t *ev, size_t len, bool zero_create, bool zero_pos, bool crc)
{
    ev[OFF_FLAGS] &= (uint8_t)~BINLOG_F_BINLOG_IN_USE;
    if (zero_create && len >= FDE_CREATE_OFF + 4)
        store_u32(ev + FDE_CREATE_OFF, 0);
    if (zero_pos)
        store_u32(ev + OFF_LOG_POS, 0);
    if (crc)
        binlog_crc_store(ev, len);
}

/* Domains where the replica's GTID is the file's starting one need no skipping. */
static void drop_reached(blr_stream *st, const uint8_t *ev, size_t len)
{
    binlog_event e;
    binlog_gtid_list l;
    if (binlog_event_parse(ev, len, st->file_crc, &e) != PROTO_OK ||
        binlog_gtid_list_decode(&e, &l) != PROTO_OK)
        return;
    for (uint32_t i = 0; i < l.count; i++) {
        gtid_t g;
        binlog_gtid_list_at(&l, i, &g);
        const gtid_t *want = gtid_pos_get(st->skip, g.domain);
        if (want && want->seq == g.seq)
            gtid_pos_remove(st->skip, g.domain);
    }
}

/* GTID mode, first file: the file's GTID_LIST, then the artificial one at the resume point. */
static int send_gtid_head(blr_stream *st, struct evbuffer *out, uint64_t at, char *err,
                          size_t errlen)
{
    uint64_t head_end = blr_store_header_end(st->store, st->file_no);
    proto_buf b;
    proto_buf_init(&b);
    int rc = 0;
    while (rc == 0 && at < head_end) {
        rc = read_event_at(st, at, HEAD_EVENT_MAX, &b, err, errlen);
        if (rc == 0 && b.data[4] == BINLOG_GTID_LIST_EVENT)
            drop_reached(st, b.data, b.len);
        if (rc == 0)
            send_event(st, out, b.data, b.len);
        at += b.len;
    }
    proto_buf_free(&b);
    if (rc < 0)
        return -1;
    if (st->resume > at) {
        send_gtid_list(st, out, st->resume);
        at = st->resume;
    }
    st->off = at;
    return 0;
}

static uint8_t fde_checksum_alg(const uint8_t *ev, size_t len)
{
    binlog_event e;
    binlog_fde f;
    if (binlog_event_parse(ev, len, false, &e) != PROTO_OK || binlog_fde_decode(&e, &f) != PROTO_OK)
        return BINLOG_CHECKSUM_UNDEF;
    return f.checksum_alg;
}

/* The file-mode start offset must be an event start inside the file. */
static int check_start_pos(blr_stream *st, uint64_t fde_end, char *err, size_t errlen)
{
    bool closed;
    uint64_t end = visible_end(st, &closed);
    if (st->o.start_pos < fde_end || st->o.start_pos > end)
        return blr_fail(err, errlen,
                        "Client requested master to start replication from impossible position; "
                        "the first event 'binlog.%06u' at %llu, the last event read from "
                        "'binlog.%06u' at 4, the last byte read from 'binlog.%06u' at 4.",
                        st->file_no, (unsigned long long)st->o.start_pos, st->file_no, st->file_no);
    st->off = st->o.start_pos;
    return 0;
}

/* Artificial ROTATE, the file's FDE, and for the first file what its mode needs. */
static int send_header(blr_stream *st, struct evbuffer *out, char *err, size_t errlen)
{
    proto_buf fde;
    proto_buf_init(&fde);
    if (open_file(st, err, errlen) < 0 || read_event_at(st, 4, FDE_MAX, &fde, err, errlen) < 0) {
        proto_buf_free(&fde);
        return -1;
    }
    uint8_t alg = fde_checksum_alg(fde.data, fde.len);
    if (fde.data[4] != BINLOG_FORMAT_DESCRIPTION_EVENT || alg == BINLOG_CHECKSUM_UNDEF) {
        proto_buf_free(&fde);
        return blr_fail(err, errlen, "Failed to find format descriptor event in start of binlog");
    }
    if (alg == BINLOG_CHECKSUM_CRC32 && !st->o.checksum_aware) {
        proto_buf_free(&fde);
        return blr_fail(err, errlen,
                        "Slave can not handle replication events with the checksum that master is "
                        "configured to log");
    }
    bool first = st->first, gtid = first && st->o.gtid_mode;
    bool from_pos = first && !st->o.gtid_mode && st->o.start_pos > 4;
    bool prev_crc = first ? st->o.replica_crc && alg == BINLOG_CHECKSUM_CRC32 : st->file_crc;
    st->file_crc = alg == BINLOG_CHECKSUM_CRC32;
    send_rotate(st, out, from_pos ? st->o.start_pos : 4, prev_crc);
    fix_fde(fde.data, fde.len, gtid || from_pos, from_pos, st->file_crc);
    send_event(st, out, fde.data, fde.len);
    uint64_t fde_end = 4 + fde.len;
    proto_buf_free(&fde);
    st->off = fde_end;
    st->end = 0;
    st->closed = false;
    st->first = st->need_header = false;
    st->skipping = false;
    binlog_trx_init(&st->trx, st->file_crc);
    if (gtid)
        return send_gtid_head(st, out, fde_end, err, errlen) < 0 ? -1 : 1;
    if (from_pos)
        return check_start_pos(st, fde_end, err, errlen) < 0 ? -1 : 1;
    return 1;
}

/* Moves on to the file after a closed one. */
static int next_file(blr_stream *st, char *err, size_t errlen)
{
    uint32_t next = st->file_no + 1;
    if (blr_store_pin(st->store, next) < 0)
        return blr_fail(err, errlen,
                        "could not find next log: binlog.%06u is not in the relay's index", next);
    blr_store_unpin(st->store, st->file_no);
    st->file_no = next;
    st->need_header = true;
    drop_block(st);
    return 0;
}

/* The relay's first file, once there is one. */
static bool start_first(blr_stream *st)
{
    uint32_t first, last;
    blr_store_range(st->store, &first, &last);
    if (!first || blr_store_visible(st->store, NULL).file_no == 0 ||
        blr_store_pin(st->store, first) < 0)
        return false;
    st->file_no = first;
    st->pinned = true;
    st->need_header = true;
    st->resume = 0;
    st->o.start_pos = 4;
    return true;
}

/* ---- events -------------------------------------------------------------- */

/* Whether the event belongs to a group the replica already has (GTID mode). */
static bool skip_group(blr_stream *st, const uint8_t *ev, size_t len)
{
    if (!st->skipping && st->skip->n == 0)
        return false;
    enum binlog_trx_result r = binlog_trx_feed(&st->trx, ev, len);
    if (ev[4] == BINLOG_GTID_EVENT && r != BINLOG_TRX_BAD) {
        const gtid_t *g = &st->trx.gtid.gtid;
        const gtid_t *have = gtid_pos_get(st->skip, g->domain);
        uint64_t seq = have ? have->seq : 0;
        st->skipping = have && g->seq <= seq;
        if (have && g->seq >= seq)
            gtid_pos_remove(st->skip, g->domain); /* start point reached in this domain */
        return st->skipping;
    }
    if (!st->skipping)
        return false;
    if (r == BINLOG_TRX_IN_GROUP)
        return true;
    st->skipping = false;
    return r == BINLOG_TRX_GROUP_END;
}

static bool filtered(blr_stream *st, const uint8_t *ev, size_t len)
{
    if (skip_group(st, ev, len))
        return true;
    return ev[4] == BINLOG_ANNOTATE_ROWS_EVENT && !st->o.send_annotate &&
           st->o.capability >= BLR_CAP_TOLERATE_HOLES;
}

static int truncated(blr_stream *st, char *err, size_t errlen)
{
    return blr_fail(err, errlen, "binlog.%06u ends in the middle of an event at %llu", st->file_no,
                    (unsigned long long)st->off);
}

/* Sends the next piece of an event sent in pieces (and the chunk headers it needs). */
static int big_continue(blr_stream *st, struct evbuffer *out, char *err, size_t errlen)
{
    if (st->chunk_left == 0) {
        uint32_t chunk = st->big_left < PROTO_MAX_CHUNK ? (uint32_t)st->big_left : PROTO_MAX_CHUNK;
        put_header(st, out, chunk);
        st->chunk_left = chunk;
        st->chunk_full = chunk == PROTO_MAX_CHUNK;
    }
    size_t n = st->chunk_left < BLR_STREAM_PIECE ? st->chunk_left : BLR_STREAM_PIECE;
    if (n > st->big_left)
        n = (size_t)st->big_left;
    if (n > 0) {
        int r = have(st, n, err, errlen);
        if (r <= 0)
            return r < 0 ? -1 : truncated(st, err, errlen); /* start_big saw it all visible */
        add_bytes(st, out, n);
    }
    st->chunk_left -= (uint32_t)n;
    st->big_left -= n;
    if (st->big_left == 0 && st->chunk_left == 0 && !st->chunk_full)
        st->big = false;
    else if (st->chunk_left == 0 && !st->chunk_full)
        return blr_fail(err, errlen, "internal error: event framing"); /* cannot happen */
    return 1;
}

/* Whether the filters drop an event sent in pieces, judged by its first bytes. */
static int big_filtered(blr_stream *st, uint32_t size, char *err, size_t errlen)
{
    size_t n = BLR_STREAM_PIECE; /* less than size */
    uint8_t *d = malloc(n);
    if (!d)
        return blr_fail(err, errlen, "out of memory");
    if (have(st, n, err, errlen) < 0) {
        free(d);
        return -1;
    }
    memcpy(d, cur(st), n);
    store_u32(d + OFF_EVENT_SIZE, (uint32_t)n); /* a digest the group tracker can read */
    bool skip = filtered(st, d, n);
    free(d);
    return skip;
}

/* An event larger than a piece: filtered on its first bytes, then sent in pieces. */
static int start_big(blr_stream *st, struct evbuffer *out, uint32_t size, char *err, size_t errlen)
{
    if (!visible(st, size))
        return st->closed ? truncated(st, err, errlen) : 0;
    int skip = big_filtered(st, size, err, errlen);
    if (skip < 0)
        return -1;
    if (skip) {
        st->off += size;
        return 1;
    }
    uint64_t payload = (uint64_t)size + 1;
    uint32_t chunk = payload < PROTO_MAX_CHUNK ? (uint32_t)payload : PROTO_MAX_CHUNK;
    put_event_start(st, out, chunk);
    st->big = true;
    st->big_left = size;
    st->chunk_left = chunk - 1;
    st->chunk_full = chunk == PROTO_MAX_CHUNK;
    st->events++;
    st->bytes += size;
    return big_continue(st, out, err, errlen);
}

/* Handles the next event: 1, or 0 when nothing more is visible in this file. */
static int next_event(blr_stream *st, struct evbuffer *out, char *err, size_t errlen)
{
    int r = have(st, BINLOG_HEADER_LEN, err, errlen);
    uint32_t size = r > 0 ? proto_load_u32(cur(st) + OFF_EVENT_SIZE) : 0;
    if (r > 0 && size < BINLOG_HEADER_LEN)
        return blr_fail(err, errlen, "binlog.%06u: corrupt event (size %u) at %llu", st->file_no,
                        size, (unsigned long long)st->off);
    if (r > 0 && size > BLR_STREAM_PIECE)
        return start_big(st, out, size, err, errlen);
    if (r > 0)
        r = have(st, size, err, errlen);
    if (r <= 0)
        return r < 0 ? -1 : st->closed && st->end > st->off ? truncated(st, err, errlen) : 0;
    if (!filtered(st, cur(st), size))
        send_mapped(st, out, size);
    else
        st->off += size;
    return 1;
}

blr_stream_rc blr_stream_pump(blr_stream *st, struct evbuffer *out, size_t high_water, char *err,
                              size_t errlen)
{
    for (;;) {
        if (evbuffer_get_length(out) >= high_water)
            return BLR_STREAM_FULL;
        int r;
        if (st->big)
            r = big_continue(st, out, err, errlen);
        else if (!st->file_no)
            r = start_first(st) ? 1 : 0;
        else if (st->need_header)
            r = send_header(st, out, err, errlen);
        else
            r = next_event(st, out, err, errlen);
        if (r < 0)
            return BLR_STREAM_ERROR;
        if (r > 0)
            continue;
        bool closed = false;
        if (st->file_no)
            visible_end(st, &closed);
        if (closed) {
            if (next_file(st, err, errlen) < 0)
                return BLR_STREAM_ERROR;
            continue;
        }
        if (!st->o.non_block)
            return BLR_STREAM_IDLE;
        send_eof(st, out);
        return BLR_STREAM_DONE;
    }
}
