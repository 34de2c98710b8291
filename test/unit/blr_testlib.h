/*
 * blr_testlib.h: helpers shared by the binlog relay's unit tests
 * (test_blr_store.c, test_blr_stream.c, test_blr_sql.c): a temporary store
 * directory, events and whole groups written the way the upstream writer
 * does, and a decoder for the packets a stream writes. Header-only.
 */
#ifndef FERRY_TEST_BLR_TESTLIB_H
#define FERRY_TEST_BLR_TESTLIB_H

#include <ftw.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "protocol/binlog.h"
#include "protocol/gtid.h"
#include "protocol/packet.h"
#include "router/blr_store.h"

#define T_SERVER_ID 7000
#define T_RELAY_ID  7100

static inline int t_rm_cb(const char *p, const struct stat *sb, int flag, struct FTW *ftw)
{
    (void)sb;
    (void)flag;
    (void)ftw;
    return remove(p);
}

/* A fresh directory under /tmp. */
static inline void t_mkdir(char *out, size_t cap)
{
    snprintf(out, cap, "/tmp/ferry-blr-test-XXXXXX");
    if (!mkdtemp(out))
        abort();
}

static inline void t_rmdir(const char *dir)
{
    nftw(dir, t_rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

static inline blr_store *t_open(const char *dir, uint64_t max_size, blr_sync_mode sync)
{
    blr_store_opts o = {.dir = dir,
                        .server_id = T_RELAY_ID,
                        .max_file_size = max_size ? max_size : 1 << 30,
                        .sync = sync,
                        .sync_ms = 5};
    char err[512];
    blr_store *s = blr_store_open(&o, err, sizeof(err));
    if (!s)
        fprintf(stderr, "blr_store_open: %s\n", err);
    return s;
}

static inline binlog_header t_hdr(uint32_t ts)
{
    return (binlog_header){.timestamp = ts, .server_id = T_SERVER_ID};
}

/* An upstream FORMAT_DESCRIPTION (create_ts set, as a node's first file has). */
static inline void t_fde(proto_buf *b, bool crc)
{
    binlog_fde f;
    binlog_fde_init(&f, "10.11.19-MariaDB-log", 1700000000, crc ? BINLOG_CHECKSUM_CRC32 : 0);
    binlog_header h = t_hdr(1700000000);
    binlog_write_fde(b, &h, &f);
}

static inline void t_new_file(blr_store *s, bool crc)
{
    proto_buf b;
    proto_buf_init(&b);
    t_fde(&b, crc);
    char err[512];
    if (blr_store_new_file(s, b.data, b.len, err, sizeof(err)) < 0) {
        fprintf(stderr, "new_file: %s\n", err);
        abort();
    }
    proto_buf_free(&b);
}

static inline void t_append(blr_store *s, proto_buf *ev)
{
    char err[512];
    if (blr_store_append(s, ev->data, ev->len, err, sizeof(err)) < 0) {
        fprintf(stderr, "append: %s\n", err);
        abort();
    }
    proto_buf_reset(ev);
}

static inline void t_query(proto_buf *b, const char *q, size_t qlen, bool crc)
{
    binlog_query bq = {.thread_id = 1, .db = "", .query = q, .query_len = qlen};
    binlog_header h = t_hdr(1700000100);
    binlog_write_query(b, &h, &bq, crc);
}

/* Appends GTID + QUERY(q) + XID without committing. */
static inline void t_group_uncommitted(blr_store *s, gtid_t g, const char *q, size_t qlen, bool crc)
{
    proto_buf b;
    proto_buf_init(&b);
    binlog_header h = t_hdr(1700000100);
    h.server_id = g.server_id;
    binlog_gtid bg = {.gtid = g, .flags2 = BINLOG_FL_TRANSACTIONAL};
    binlog_write_gtid(&b, &h, &bg, crc);
    t_append(s, &b);
    t_query(&b, q, qlen, crc);
    t_append(s, &b);
    binlog_write_xid(&b, &h, g.seq, crc);
    t_append(s, &b);
    proto_buf_free(&b);
}

/* A whole committed transaction with query text q. */
static inline void t_group(blr_store *s, uint32_t domain, uint64_t seq, const char *q, bool crc)
{
    gtid_t g = {domain, T_SERVER_ID, seq};
    t_group_uncommitted(s, g, q, strlen(q), crc);
    char err[512];
    if (blr_store_commit(s, &g, err, sizeof(err)) < 0) {
        fprintf(stderr, "commit: %s\n", err);
        abort();
    }
}

static inline gtid_pos t_pos(const char *text)
{
    gtid_pos p;
    if (gtid_pos_parse(&p, text, strlen(text), NULL) != 0)
        abort();
    return p;
}

/* ---- reading what a stream wrote ---- */

typedef struct t_pkt {
    uint8_t seq;      /* of the first chunk */
    uint8_t *payload; /* chunks joined */
    size_t len;
} t_pkt;

typedef struct t_pkts {
    t_pkt *v;
    size_t n;
} t_pkts;

/* Takes every whole logical packet out of the evbuffer's bytes (appends to out). */
static inline void t_take_packets(const uint8_t *p, size_t avail, t_pkts *out, size_t *used)
{
    size_t off = 0;
    for (;;) {
        size_t wire, plen;
        uint8_t seq;
        if (proto_logical_peek(p + off, avail - off, &wire, &plen, &seq) != PROTO_OK)
            break;
        proto_buf b;
        proto_buf_init(&b);
        proto_logical_copy(p + off, wire, &b);
        out->v = realloc(out->v, (out->n + 1) * sizeof(*out->v));
        out->v[out->n++] = (t_pkt){seq, b.data, b.len};
        off += wire;
    }
    *used = off;
}

static inline void t_free_packets(t_pkts *p)
{
    for (size_t i = 0; i < p->n; i++)
        free(p->v[i].payload);
    free(p->v);
    p->v = NULL;
    p->n = 0;
}

/* The event inside packet i (after its 00 byte). */
static inline binlog_event t_event(const t_pkts *p, size_t i, bool crc)
{
    binlog_event ev;
    memset(&ev, 0, sizeof(ev));
    if (i < p->n && p->v[i].len > 1 && p->v[i].payload[0] == 0)
        binlog_event_parse(p->v[i].payload + 1, p->v[i].len - 1, crc, &ev);
    return ev;
}

static inline uint8_t t_type(const t_pkts *p, size_t i)
{
    return i < p->n && p->v[i].len > 5 && p->v[i].payload[0] == 0 ? p->v[i].payload[5] : 0xff;
}

#endif
