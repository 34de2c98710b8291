/*
 * blr_dump.c: where a replica's dump starts, on its worker (called by
 * blr_reader.c). COM_BINLOG_DUMP with a non-empty @slave_connect_state is
 * positioned by GTID through the store's index; without one, and for
 * COM_BINLOG_DUMP_GTID with an empty GTID set, by file and position on the
 * relay's own files. A replica ahead of the relay waits while the relay
 * catches up, and gets MariaDB's error 1236 when the master lacks its GTID
 * or the relay stops advancing. Errors use MariaDB's texts.
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/command.h"
#include "protocol/packet.h"
#include "protocol/response.h"
#include "router/blr_reader.h"
#include "server/clock.h"
#include "server/log.h"
#include "server/service.h"

#define AHEAD_SETTLE_MS 3000  /* relay idle this long and the master lacks the GTID: error */
#define AHEAD_WAIT_MS   30000 /* relay idle this long while a replica waits: error */
#define RETRY_MS        1000

static const char *svc_name(const blr_session *bs)
{
    return bs->b->svc->name;
}

static void fail(blr_session *bs, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void fail(blr_session *bs, const char *fmt, ...)
{
    char msg[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    blr_reader_fail(bs, bs->dump_seq, msg);
}

static void start_stream(blr_session *bs, uint32_t file_no, uint64_t offset)
{
    char err[512];
    bs->st =
        blr_stream_new(bs->b->store, &bs->opts, file_no, offset, bs->dump_seq, err, sizeof(err));
    if (!bs->st) {
        fail(bs, "%s", err);
        return;
    }
    evtimer_del(bs->timer);
    bs->dump = BLR_DUMP_STREAMING;
    char where[96] = "the relay's first file, once it has one";
    if (file_no)
        snprintf(where, sizeof(where), "binlog.%06u:%llu", file_no, (unsigned long long)offset);
    log_notice("binlog relay '%s': replica %s:%d (server_id %u) connected: dump from %s at %s%s",
               svc_name(bs), bs->s->client_ip, bs->s->client_port, bs->info.server_id, bs->start,
               where, bs->opts.non_block ? " (non-blocking)" : "");
    blr_reader_pump(bs);
}

/* ---- by file and position ----------------------------------------------------------- */

static void start_at_file(blr_session *bs, const char *file, uint64_t pos)
{
    blr_store *store = bs->b->store;
    uint32_t no = 0, last;
    if (file[0]) {
        no = blr_store_file_no(file, strlen(file));
        if (!no || blr_store_file_size(store, no) < 0) {
            fail(bs, "Could not find first log file name in binary log index file");
            return;
        }
    } else {
        blr_store_range(store, &no, &last);
        pos = 4;
    }
    if (pos < 4)
        pos = 4;
    if (no && (int64_t)pos > blr_store_file_size(store, no)) {
        fail(bs,
             "Client requested master to start replication from impossible position; the first "
             "event '%s' at %llu, the last event read from '%s' at 4, the last byte read from "
             "'%s' at 4.",
             file, (unsigned long long)pos, file, file);
        return;
    }
    bs->opts.start_pos = pos;
    snprintf(bs->start, sizeof(bs->start), "file '%.64s' position %llu", file[0] ? file : "(first)",
             (unsigned long long)pos);
    start_stream(bs, no, pos);
}

/* ---- by GTID -------------------------------------------------------------------------- */

/* The replica is ahead of the relay (or the relay has no file yet): wait, within limits. */
static void wait_for_relay(blr_session *bs, bool first, const char *why)
{
    int64_t now = clock_mono_ms();
    gtid_pos *have = malloc(sizeof(*have));
    if (!have) {
        fail(bs, "Out of memory");
        return;
    }
    blr_pos vis = blr_store_visible(bs->b->store, have);
    if (first || vis.file_no != bs->wait_seen.file_no || vis.offset != bs->wait_seen.offset) {
        bs->wait_seen = vis;
        bs->wait_since_ms = now;
    }
    if (first)
        log_notice("binlog relay '%s': replica %s:%d (server_id %u) asks for %s: waiting for the "
                   "relay (%s)",
                   svc_name(bs), bs->s->client_ip, bs->s->client_port, bs->info.server_id,
                   bs->start, why);
    const gtid_t *g = gtid_pos_first_ahead(&bs->vars.connect_state, have);
    int master_has = g && bs->b->writer ? blr_writer_master_has(bs->b->writer, g) : -1;
    int64_t idle = now - bs->wait_since_ms;
    char want[GTID_TEXT_MAX + 1] = "", state[256] = "";
    if (g)
        gtid_format(g, want, sizeof(want));
    gtid_pos_format(have, state, sizeof(state));
    free(have);
    if (master_has == 0 && idle >= AHEAD_SETTLE_MS)
        fail(bs,
             "Error: connecting slave requested to start from GTID %s, which is not in the "
             "master's binlog (the relay has %s)",
             want, state[0] ? state : "nothing");
    else if (idle >= AHEAD_WAIT_MS)
        fail(bs, "Error: %s; the relay has received nothing new for %d s", why,
             AHEAD_WAIT_MS / 1000);
    else {
        bs->dump = BLR_DUMP_WAITING;
        blr_reader_arm(bs, RETRY_MS);
    }
}

static void locate(blr_session *bs, bool first)
{
    char err[512];
    blr_pos at;
    blr_locate_result r =
        blr_store_locate(bs->b->store, &bs->vars.connect_state, &at, err, sizeof(err));
    uint32_t first_no, last_no;
    blr_store_range(bs->b->store, &first_no, &last_no);
    switch (r) {
    case BLR_LOCATE_OK:
        start_stream(bs, at.file_no, at.offset);
        break;
    case BLR_LOCATE_PURGED:
        fail(bs, "%s", err);
        break;
    case BLR_LOCATE_UNKNOWN:
        if (first_no) {
            fail(bs, "Error: %s", err);
            break;
        }
        wait_for_relay(bs, first, "the relay has no binlog file yet");
        break;
    case BLR_LOCATE_AHEAD:
        wait_for_relay(bs, first, err);
        break;
    }
}

void blr_dump_retry(blr_session *bs)
{
    if (bs->dump == BLR_DUMP_WAITING && !bs->s->closing)
        locate(bs, false);
}

/* ---- the request ------------------------------------------------------------------------ */

/* A MySQL GTID set with no SIDs: absent, or n_sids (8 bytes) = 0. */
static bool mysql_gtid_set_empty(const uint8_t *p, size_t n)
{
    if (n == 0 || !p)
        return true;
    if (n < 8)
        return false;
    for (int i = 0; i < 8; i++)
        if (p[i])
            return false;
    return true;
}

typedef struct dump_req {
    uint32_t server_id;
    uint16_t flags;
    uint64_t pos;
    char file[512];
    bool gtid;
} dump_req;

static int parse_request(blr_session *bs, const uint8_t *p, size_t len, dump_req *r)
{
    if (p[0] == COM_BINLOG_DUMP_GTID) {
        proto_binlog_dump_gtid d;
        if (proto_binlog_dump_gtid_parse(p, len, &d) != PROTO_OK) {
            fail(bs, "Malformed COM_BINLOG_DUMP_GTID packet");
            return -1;
        }
        if (!mysql_gtid_set_empty(d.gtid_data, d.gtid_len) || !d.file[0]) {
            fail(bs, "Ferry's binlog relay serves MariaDB GTIDs: use MASTER_USE_GTID=slave_pos "
                     "(MariaDB) or a file/position");
            return -1;
        }
        *r = (dump_req){d.server_id, d.flags, d.pos, "", false};
        memcpy(r->file, d.file, sizeof(r->file));
        return 0;
    }
    proto_binlog_dump d;
    if (proto_binlog_dump_parse(p, len, &d) != PROTO_OK) {
        fail(bs, "Malformed COM_BINLOG_DUMP packet");
        return -1;
    }
    *r = (dump_req){d.server_id, d.flags, d.pos, "", false};
    memcpy(r->file, d.file, sizeof(r->file));
    r->gtid = bs->vars.has_connect_state && bs->vars.connect_state.n > 0;
    return 0;
}

static void set_options(blr_session *bs, const dump_req *r)
{
    const blr_vars *v = &bs->vars;
    bs->opts = (blr_stream_opts){
        .gtid_mode = r->gtid,
        .non_block = (r->flags & BINLOG_DUMP_NON_BLOCK) || r->server_id == 0,
        .send_annotate = (r->flags & BINLOG_SEND_ANNOTATE_ROWS_EVENT) != 0,
        .capability = v->capability,
        .checksum_aware = v->checksum != BLR_CHECKSUM_UNSET,
        .replica_crc = v->checksum == BLR_CHECKSUM_CRC32,
        .deprecate_eof = (bs->s->creds.caps & CLIENT_DEPRECATE_EOF) != 0,
        .zero_copy = !bs->s->tls && !bs->s->compressed,
        .server_id = bs->b->cfg.server_id,
        .start = r->gtid ? &v->connect_state : NULL,
        .start_pos = r->pos,
    };
}

void blr_dump_request(blr_session *bs, const uint8_t *p, size_t len, uint8_t seq)
{
    dump_req r;
    bs->dump_seq = seq;
    if (parse_request(bs, p, len, &r) < 0)
        return;
    pthread_mutex_lock(&bs->b->replicas_lock);
    bs->info.server_id = r.server_id;
    bs->info.dumping = true;
    pthread_mutex_unlock(&bs->b->replicas_lock);
    blr_reader_list_replica(bs);
    blr_reader_end_same_id(bs);
    set_options(bs, &r);
    if (!r.gtid) {
        start_at_file(bs, r.file, r.pos);
        return;
    }
    char text[160];
    gtid_pos_format(&bs->vars.connect_state, text, sizeof(text));
    snprintf(bs->start, sizeof(bs->start), "GTID '%s'", text);
    locate(bs, true);
}

void blr_dump_stop(blr_session *bs, const char *why)
{
    if (bs->st) {
        uint32_t file_no;
        uint64_t off, events, bytes;
        blr_stream_where(bs->st, &file_no, &off);
        blr_stream_counters(bs->st, &events, &bytes);
        log_notice("binlog relay '%s': replica %s:%d (server_id %u) disconnected at "
                   "binlog.%06u:%llu after %llu events (%llu bytes): %s",
                   svc_name(bs), bs->s->client_ip, bs->s->client_port, bs->info.server_id, file_no,
                   (unsigned long long)off, (unsigned long long)events, (unsigned long long)bytes,
                   why);
        blr_stream_free(bs->st);
        bs->st = NULL;
    } else if (bs->dump == BLR_DUMP_WAITING) {
        log_notice("binlog relay '%s': replica %s:%d (server_id %u) disconnected while waiting "
                   "for %s: %s",
                   svc_name(bs), bs->s->client_ip, bs->s->client_port, bs->info.server_id,
                   bs->start, why);
    }
    if (bs->timer)
        evtimer_del(bs->timer);
    if (bs->resume)
        event_del(bs->resume);
    pthread_mutex_lock(&bs->b->replicas_lock);
    bs->info.dumping = false;
    pthread_mutex_unlock(&bs->b->replicas_lock);
    bs->dump = BLR_DUMP_NONE;
}
