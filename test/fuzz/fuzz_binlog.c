/*
 * fuzz_binlog.c: libFuzzer target for the binlog codecs and GTID text. The
 * first input byte picks the checksum mode (bit 0) and the rest is read as a
 * stream of binlog events: each event goes through every decoder (the ones
 * for other types must refuse it), whatever decodes is rebuilt and decoded
 * again to the same fields, and the stream is fed to the event-group tracker.
 * The whole input is also parsed as GTID position text, and a parsed position
 * must format and parse back to itself. Inputs are copied to exactly-sized
 * buffers so any overread is caught.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/binlog.h"
#include "protocol/gtid.h"
#include "protocol/packet.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
    if (!ok)
        abort();
}

/* Parses the single event just built in b (with or without CRC). */
static binlog_event reparse(const proto_buf *b, bool crc)
{
    binlog_event ev;
    check(binlog_event_parse(b->data, b->len, crc, &ev) == PROTO_OK);
    check(ev.h.event_size == b->len && binlog_event_crc_ok(&ev));
    return ev;
}

static void fuzz_fde(const binlog_event *ev, proto_buf *b)
{
    binlog_fde f, g;
    if (binlog_fde_decode(ev, &f) != PROTO_OK)
        return;
    binlog_write_fde(b, &ev->h, &f);
    binlog_event again = reparse(b, false);
    check(binlog_fde_decode(&again, &g) == PROTO_OK);
    check(memcmp(f.server_version, g.server_version, sizeof f.server_version) == 0);
    check(f.create_ts == g.create_ts && f.checksum_alg == g.checksum_alg);
    check(f.n_post_header_len == g.n_post_header_len);
    check(memcmp(f.post_header_len, g.post_header_len, f.n_post_header_len) == 0);
}

static void fuzz_rotate(const binlog_event *ev, proto_buf *b)
{
    binlog_rotate r, s;
    if (binlog_rotate_decode(ev, &r) != PROTO_OK)
        return;
    binlog_write_rotate(b, &ev->h, r.pos, r.name, r.name_len, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(binlog_rotate_decode(&again, &s) == PROTO_OK);
    check(r.pos == s.pos && r.name_len == s.name_len && !memcmp(r.name, s.name, r.name_len));
}

static void fuzz_gtid(const binlog_event *ev, proto_buf *b)
{
    binlog_gtid g, h;
    if (binlog_gtid_decode(ev, &g) != PROTO_OK)
        return;
    binlog_write_gtid(b, &ev->h, &g, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(binlog_gtid_decode(&again, &h) == PROTO_OK);
    check(g.gtid.seq == h.gtid.seq && g.gtid.domain == h.gtid.domain);
    check(g.flags2 == h.flags2 && g.commit_id == h.commit_id);
    check(g.xa_gtrid_len == h.xa_gtrid_len && g.xa_bqual_len == h.xa_bqual_len);
    check(g.flags_extra == h.flags_extra && g.sa_seq_no == h.sa_seq_no);
    check(again.body_len <= g.body_len);
}

static void fuzz_gtid_list(const binlog_event *ev, proto_buf *b)
{
    binlog_gtid_list l, m;
    if (binlog_gtid_list_decode(ev, &l) != PROTO_OK)
        return;
    gtid_pos p;
    binlog_gtid_list_to_pos(&l, &p);
    gtid_t *list = malloc((l.count ? l.count : 1) * sizeof *list);
    if (!list)
        return;
    for (uint32_t i = 0; i < l.count; i++)
        binlog_gtid_list_at(&l, i, &list[i]);
    binlog_write_gtid_list(b, &ev->h, list, l.count, l.flags, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(binlog_gtid_list_decode(&again, &m) == PROTO_OK);
    check(m.count == l.count && m.flags == l.flags);
    check(memcmp(m.list, l.list, (size_t)l.count * 16) == 0);
    free(list);
}

typedef int (*name_decoder)(const binlog_event *, binlog_name *);
typedef void (*name_writer)(proto_buf *, const binlog_header *, const char *, size_t, bool);

static void fuzz_name(const binlog_event *ev, proto_buf *b, name_decoder dec, name_writer wr)
{
    binlog_name n, m;
    if (dec(ev, &n) != PROTO_OK)
        return;
    wr(b, &ev->h, n.name, n.name_len, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(dec(&again, &m) == PROTO_OK);
    check(n.name_len == m.name_len && !memcmp(n.name, m.name, n.name_len));
}

static void fuzz_xid(const binlog_event *ev, proto_buf *b)
{
    uint64_t x, y;
    if (binlog_xid_decode(ev, &x) != PROTO_OK)
        return;
    binlog_write_xid(b, &ev->h, x, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(binlog_xid_decode(&again, &y) == PROTO_OK && x == y);
}

static void fuzz_query(const binlog_event *ev, proto_buf *b)
{
    binlog_query q, r;
    if (binlog_query_decode(ev, &q) != PROTO_OK)
        return;
    (void)binlog_query_classify(q.query, q.query_len);
    binlog_write_query(b, &ev->h, &q, ev->has_crc);
    binlog_event again = reparse(b, ev->has_crc);
    check(binlog_query_decode(&again, &r) == PROTO_OK);
    check(q.thread_id == r.thread_id && q.db_len == r.db_len && q.query_len == r.query_len);
    check(!memcmp(q.query, r.query, q.query_len) && !memcmp(q.db, r.db, q.db_len));
    check(q.status_vars_len == r.status_vars_len);
}

/* Every decoder sees every event; the mismatched ones refuse it. */
static void fuzz_event(const binlog_event *ev, proto_buf *b)
{
    void (*const all[])(const binlog_event *, proto_buf *) = {
        fuzz_fde, fuzz_rotate, fuzz_gtid, fuzz_gtid_list, fuzz_xid, fuzz_query,
    };
    for (size_t i = 0; i < sizeof all / sizeof all[0]; i++) {
        proto_buf_reset(b);
        all[i](ev, b);
    }
    proto_buf_reset(b);
    fuzz_name(ev, b, binlog_checkpoint_decode, binlog_write_checkpoint);
    proto_buf_reset(b);
    fuzz_name(ev, b, binlog_heartbeat_decode, binlog_write_heartbeat);
    (void)binlog_event_crc_ok(ev);
    (void)binlog_type_name(ev->h.type);
}

static void fuzz_stream(const uint8_t *p, size_t len, bool crc)
{
    proto_buf b;
    proto_buf_init(&b);
    binlog_trx_tracker t;
    binlog_trx_init(&t, crc);
    binlog_event ev;
    while (len > 0 && binlog_event_parse(p, len, crc, &ev) == PROTO_OK) {
        check(ev.h.event_size <= len && ev.body + ev.body_len <= p + len);
        fuzz_event(&ev, &b);
        enum binlog_trx_result r = binlog_trx_feed(&t, p, ev.h.event_size);
        check(r >= BINLOG_TRX_BAD && r <= BINLOG_TRX_BROKEN);
        crc = t.crc;
        p += ev.h.event_size;
        len -= ev.h.event_size;
    }
    proto_buf_free(&b);
}

static void fuzz_gtid_text(const char *s, size_t len)
{
    static gtid_pos p, q;
    static char text[GTID_POS_TEXT_MAX];
    gtid_t g;
    (void)gtid_parse(s, len, &g);
    if (gtid_pos_parse(&p, s, len, NULL) != PROTO_OK)
        return;
    size_t n = gtid_pos_format(&p, text, sizeof text);
    check(n < sizeof text && n == strlen(text));
    check(gtid_pos_parse(&q, text, n, NULL) == PROTO_OK && gtid_pos_equal(&p, &q));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    if (size > 0)
        fuzz_stream(p + 1, size - 1, p[0] & 1);
    fuzz_gtid_text((const char *)p, size);
    free(p);
    return 0;
}
