/*
 * test_proto_binlog.c: binlog event codecs against the real events a MariaDB
 * 10.11.19 Galera node sent in the lab captures (fake ROTATE with and without
 * CRC, FORMAT_DESCRIPTION, GTID_LIST, BINLOG_CHECKPOINT, GTID with flags2 0x0c
 * and 0x29, XID, QUERY, HEARTBEAT): field values, CRC verification (and its
 * failure on any flipped bit), byte-identical re-encoding by the builders,
 * stream parsing, and the event-group tracker on the captured streams
 * (test/unit/fixtures/binlog/) and on synthetic sequences.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/binlog.h"
#include "protocol/packet.h"

/* Events from 01-replica-start-slave-g2 unless noted. */
static const char FAKE_ROTATE[] =
    "0000000004581b000030000000000000002000040000000000000067616c6572612d62696e2e303030303033"
    "7b4f73ee";
/* 03-mariadb-binlog-file-to-last-log: @master_binlog_checksum='NONE', so no CRC. */
static const char FAKE_ROTATE_NO_CRC[] =
    "0000000004581b00002c000000000000002000040000000000000067616c6572612d62696e2e303030303032";
/* Sent by the dump thread: create_ts forced to 0. */
static const char FDE_DUMP[] =
    "ad24016b0f581b0000fc000000000100000000040031302e31312e31392d4d6172696144422d302b64656231"
    "3275312d6c6f6700000000000000000000000000000000000000000000000013380d00080012000404040412"
    "0000e400041a08000000080808020000000a0a0a0000000000000a0a0a000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000041304000d0808080a0a0a0198d0d408";
/* 03: the same file's FDE as mariadb-binlog --to-last-log gets it (create_ts kept). */
static const char FDE_FILE[] =
    "ad24016b0f581b0000fc000000000100000000040031302e31312e31392d4d6172696144422d302b64656231"
    "3275312d6c6f670000000000000000000000000000000000000000ad24016b13380d00080012000404040412"
    "0000e400041a08000000080808020000000a0a0a0000000000000a0a0a000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000000000000000000000000000"
    "00000000000000000000000000000000041304000d0808080a0a0a01bf9f4fa8";
static const char GTID_LIST_FILE[] =
    "ad24016ba3581b00002b0000002b01000000000100000046000000581b00001400000000000000882df8a1";
static const char BINLOG_CHECKPOINT[] =
    "ad24016ba1581b00002c0000005701000000001100000067616c6572612d62696e2e303030303033254ba3e4";
/* The artificial GTID_LIST at the resume point (log_pos 1152). */
static const char GTID_LIST_RESUME[] =
    "00000000a3581b00002b0000008004000020000100000046000000581b000018000000000000000d1b3e98";
static const char GTID_DML[] =
    "bb24016ba2581b00002a000000aa04000008001900000000000000460000000c000000000000fe605e0f";
static const char ANNOTATE_ROWS[] =
    "bb24016ba0581b00004e000000f80400000000494e5345525420494e544f206c616264622e74287629205641"
    "4c5545532028277768696c652d72312d646973636f6e6e656374656427297887514b";
static const char TABLE_MAP[] =
    "bb24016b13581b0000300000002805000000001a00000000000100056c616264620001740002030f02800002"
    "699952b8";
static const char WRITE_ROWS[] =
    "bb24016b17581b00003c0000006405000000001a000000000001000203fc09000000157768696c652d72312d"
    "646973636f6e6e6563746564156120ad";
static const char XID[] = "bb24016b10581b00001f0000008305000000001d0000000000000045d6cb56";
static const char GTID_DDL[] =
    "be24016ba2581b00002a0000009606000008001b0000000000000046000000290000000000006c0ce3d6";
static const char QUERY_DDL[] =
    "be24016b02581b00007200000008070000000015000000000000000000002300000000000101000020540000"
    "0000060373746404210021002d00815f0000000000000000435245415445205441424c45206c616264622e74"
    "322028696420494e54205052494d415259204b45592956a9a37c";
/* 03: CREATE DATABASE, with a db and flags SUPPRESS_USE. */
static const char QUERY_DB[] =
    "b524016b02581b000067000000e8010000080016000000000000000500001a00000000000101000020540000"
    "0000060373746404210021002d006c6162646200435245415445204441544142415345204946204e4f542045"
    "5849535453206c616264626d28b3d7";
/* 02-replica-heartbeat-g2. */
static const char HEARTBEAT[] =
    "000000001b581b00002800000008070000000067616c6572612d62696e2e303030303033bd1e8d5d";

static const char SERVER_VERSION[] = "10.11.19-MariaDB-0+deb12u1-log";

typedef struct bytes {
    uint8_t b[512];
    size_t n;
} bytes;

static size_t unhex(const char *hex, uint8_t *out)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        sscanf(hex + 2 * i, "%2x", &v);
        out[i] = (uint8_t)v;
    }
    return n;
}

static bytes hx(const char *hex)
{
    bytes e;
    assert_true(strlen(hex) / 2 <= sizeof e.b);
    e.n = unhex(hex, e.b);
    return e;
}

static binlog_event parse(const bytes *e, bool crc)
{
    binlog_event ev;
    assert_int_equal(binlog_event_parse(e->b, e->n, crc, &ev), PROTO_OK);
    assert_int_equal(ev.h.event_size, e->n);
    assert_true(binlog_event_crc_ok(&ev));
    return ev;
}

static void assert_same(const proto_buf *b, const bytes *e)
{
    assert_int_equal(b->len, e->n);
    assert_memory_equal(b->data, e->b, e->n);
}

static void test_header_and_crc(void **state)
{
    (void)state;
    bytes e = hx(FAKE_ROTATE);
    binlog_header h;
    assert_int_equal(binlog_header_decode(e.b, 18, &h), PROTO_NEED_MORE);
    assert_int_equal(binlog_header_decode(e.b, e.n, &h), PROTO_OK);
    assert_int_equal(h.timestamp, 0);
    assert_int_equal(h.type, BINLOG_ROTATE_EVENT);
    assert_int_equal(h.server_id, 7000);
    assert_int_equal(h.event_size, 48);
    assert_int_equal(h.log_pos, 0);
    assert_int_equal(h.flags, BINLOG_F_ARTIFICIAL);
    uint8_t out[BINLOG_HEADER_LEN];
    binlog_header_encode(out, &h);
    assert_memory_equal(out, e.b, BINLOG_HEADER_LEN);

    assert_true(binlog_crc_ok(e.b, e.n));
    assert_int_equal(binlog_crc32(e.b, e.n - 4), 0xee734f7bu);
    assert_false(binlog_crc_ok(e.b, 3));
    assert_string_equal(binlog_type_name(BINLOG_GTID_EVENT), "GTID");
    assert_string_equal(binlog_type_name(BINLOG_WRITE_ROWS_EVENT_V1), "WRITE_ROWS_V1");
    assert_string_equal(binlog_type_name(BINLOG_MYSQL_PREVIOUS_GTIDS_EVENT),
                        "MYSQL_PREVIOUS_GTIDS");
    assert_string_equal(binlog_type_name(100), "UNKNOWN");
    assert_string_equal(binlog_type_name(255), "UNKNOWN");
    assert_true(binlog_magic_ok((const uint8_t *)"\xfe"
                                                 "bin\x01",
                                5));
    assert_false(binlog_magic_ok((const uint8_t *)"\xfe"
                                                  "bi",
                                 3));
    assert_false(binlog_magic_ok((const uint8_t *)"\xfe"
                                                  "BIN",
                                 4));
}

/* Every single-bit flip of every captured event with a CRC must fail verification. */
static void test_crc_detects_bit_flips(void **state)
{
    (void)state;
    static const char *const WITH_CRC[] = {
        FAKE_ROTATE,       FDE_DUMP,         FDE_FILE,  GTID_LIST_FILE,
        BINLOG_CHECKPOINT, GTID_LIST_RESUME, GTID_DML,  ANNOTATE_ROWS,
        TABLE_MAP,         WRITE_ROWS,       XID,       GTID_DDL,
        QUERY_DDL,         QUERY_DB,         HEARTBEAT,
    };
    for (size_t i = 0; i < sizeof WITH_CRC / sizeof WITH_CRC[0]; i++) {
        bytes e = hx(WITH_CRC[i]);
        assert_true(binlog_crc_ok(e.b, e.n));
        for (size_t bit = 0; bit < e.n * 8; bit++) {
            e.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
            assert_false(binlog_crc_ok(e.b, e.n));
            e.b[bit / 8] ^= (uint8_t)(1u << (bit % 8));
        }
    }
    /* Through the event view, as a receiver checks it. */
    bytes e = hx(XID);
    e.b[20] ^= 0x01;
    binlog_event ev;
    assert_int_equal(binlog_event_parse(e.b, e.n, true, &ev), PROTO_OK);
    assert_false(binlog_event_crc_ok(&ev));
}

static void test_rotate(void **state)
{
    (void)state;
    static const struct {
        const char *hex;
        bool crc;
        const char *file;
    } CASES[] = {
        {FAKE_ROTATE, true, "galera-bin.000003"},
        {FAKE_ROTATE_NO_CRC, false, "galera-bin.000002"},
    };
    for (size_t i = 0; i < 2; i++) {
        bytes e = hx(CASES[i].hex);
        binlog_event ev = parse(&e, CASES[i].crc);
        assert_int_equal(ev.has_crc, CASES[i].crc);
        binlog_rotate r;
        assert_int_equal(binlog_rotate_decode(&ev, &r), PROTO_OK);
        assert_int_equal(r.pos, 4);
        assert_int_equal(r.name_len, 17);
        assert_memory_equal(r.name, CASES[i].file, 17);

        proto_buf b;
        proto_buf_init(&b);
        binlog_write_rotate(&b, &ev.h, r.pos, r.name, r.name_len, CASES[i].crc);
        assert_same(&b, &e);
        proto_buf_free(&b);
    }
    /* The rotate without CRC read as if it had one: the trailer is not a CRC. */
    bytes e = hx(FAKE_ROTATE_NO_CRC);
    binlog_event ev;
    assert_int_equal(binlog_event_parse(e.b, e.n, true, &ev), PROTO_OK);
    assert_false(binlog_event_crc_ok(&ev));
}

static void check_fde(const char *hex, uint32_t create_ts)
{
    bytes e = hx(hex);
    binlog_event ev = parse(&e, false); /* an FDE has its trailer whatever the mode */
    assert_true(ev.has_crc);
    assert_int_equal(ev.h.type, BINLOG_FORMAT_DESCRIPTION_EVENT);
    assert_int_equal(ev.h.timestamp, 1795237037);
    assert_int_equal(ev.h.log_pos, 256);
    assert_int_equal(ev.h.flags, 0);
    binlog_fde f;
    assert_int_equal(binlog_fde_decode(&ev, &f), PROTO_OK);
    assert_int_equal(f.binlog_version, 4);
    assert_string_equal(f.server_version, SERVER_VERSION);
    assert_int_equal(f.create_ts, create_ts);
    assert_int_equal(f.header_len, 19);
    assert_int_equal(f.n_post_header_len, 171);
    assert_int_equal(f.post_header_len[BINLOG_QUERY_EVENT - 1], BINLOG_QUERY_HEADER_LEN);
    assert_int_equal(f.post_header_len[BINLOG_ROTATE_EVENT - 1], 8);
    assert_int_equal(f.post_header_len[BINLOG_GTID_EVENT - 1], BINLOG_GTID_HEADER_LEN);
    assert_int_equal(f.post_header_len[BINLOG_GTID_LIST_EVENT - 1], 4);
    assert_int_equal(f.post_header_len[BINLOG_XID_EVENT - 1], 0);
    assert_int_equal(f.checksum_alg, BINLOG_CHECKSUM_CRC32);

    proto_buf b;
    proto_buf_init(&b);
    binlog_write_fde(&b, &ev.h, &f);
    assert_same(&b, &e);

    /* Ferry's own FDE, built from the 10.11 defaults, is the server's byte for byte. */
    binlog_fde mine;
    binlog_fde_init(&mine, SERVER_VERSION, create_ts, BINLOG_CHECKSUM_CRC32);
    proto_buf_reset(&b);
    binlog_write_fde(&b, &ev.h, &mine);
    assert_same(&b, &e);
    proto_buf_free(&b);
}

static void test_fde(void **state)
{
    (void)state;
    check_fde(FDE_DUMP, 0);
    check_fde(FDE_FILE, 1795237037);

    /* The file's FDE has BINLOG_IN_USE while the file is open; the dump clears it. */
    bytes e = hx(FDE_DUMP);
    binlog_event_set_flags(e.b, e.n, BINLOG_F_BINLOG_IN_USE, true);
    assert_true(binlog_crc_ok(e.b, e.n));
    binlog_event_set_flags(e.b, e.n, 0, true);
    bytes orig = hx(FDE_DUMP);
    assert_memory_equal(e.b, orig.b, e.n);

    /* checksum_alg OFF: the trailer is present but not checked. */
    binlog_fde f;
    binlog_fde_init(&f, "x", 0, BINLOG_CHECKSUM_OFF);
    binlog_header h = {0};
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_fde(&b, &h, &f);
    assert_int_equal(b.len, 252);
    b.data[b.len - 1] ^= 0xff;
    binlog_event ev;
    assert_int_equal(binlog_event_parse(b.data, b.len, false, &ev), PROTO_OK);
    assert_true(binlog_event_crc_ok(&ev));
    binlog_fde g;
    assert_int_equal(binlog_fde_decode(&ev, &g), PROTO_OK);
    assert_int_equal(g.checksum_alg, BINLOG_CHECKSUM_OFF);
    assert_string_equal(g.server_version, "x");

    /* A 50-character version fills the field with no NUL; decoding still terminates it. */
    binlog_fde_init(&f, "01234567890123456789012345678901234567890123456789-extra", 0, 1);
    proto_buf_reset(&b);
    binlog_write_fde(&b, &h, &f);
    assert_int_equal(binlog_event_parse(b.data, b.len, false, &ev), PROTO_OK);
    assert_int_equal(binlog_fde_decode(&ev, &g), PROTO_OK);
    assert_int_equal(strlen(g.server_version), 50);

    /* header_len other than 19 is refused. */
    b.data[BINLOG_HEADER_LEN + 56] = 20;
    assert_int_equal(binlog_fde_decode(&ev, &g), PROTO_BAD);
    proto_buf_free(&b);
}

static void check_gtid_list(const char *hex, uint32_t log_pos, uint16_t flags, const char *want)
{
    bytes e = hx(hex);
    binlog_event ev = parse(&e, true);
    assert_int_equal(ev.h.log_pos, log_pos);
    assert_int_equal(ev.h.flags, flags);
    binlog_gtid_list l;
    assert_int_equal(binlog_gtid_list_decode(&ev, &l), PROTO_OK);
    assert_int_equal(l.count, 1);
    assert_int_equal(l.flags, 0);
    gtid_t g;
    binlog_gtid_list_at(&l, 0, &g);
    gtid_pos p;
    assert_int_equal(binlog_gtid_list_to_pos(&l, &p), PROTO_OK);
    char text[64];
    gtid_pos_format(&p, text, sizeof text);
    assert_string_equal(text, want);

    proto_buf b;
    proto_buf_init(&b);
    binlog_write_gtid_list(&b, &ev.h, &g, 1, l.flags, true);
    assert_same(&b, &e);
    proto_buf_free(&b);
}

static void test_gtid_list(void **state)
{
    (void)state;
    check_gtid_list(GTID_LIST_FILE, 299, 0, "70-7000-20");
    check_gtid_list(GTID_LIST_RESUME, 1152, BINLOG_F_ARTIFICIAL, "70-7000-24");

    /* Several server_ids in one domain: the last entry is the domain's position. */
    gtid_t list[] = {{72, 7000, 1}, {70, 7001, 30}, {70, 7000, 29}, {0, 1, 5}};
    binlog_header h = {.server_id = 7000, .log_pos = 4};
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_gtid_list(&b, &h, list, 4, 0x10000000u, false);
    binlog_event ev;
    assert_int_equal(binlog_event_parse(b.data, b.len, false, &ev), PROTO_OK);
    assert_int_equal(ev.h.event_size, 19 + 4 + 4 * 16);
    binlog_gtid_list l;
    assert_int_equal(binlog_gtid_list_decode(&ev, &l), PROTO_OK);
    assert_int_equal(l.count, 4);
    assert_int_equal(l.flags, 0x10000000u);
    gtid_pos p;
    assert_int_equal(binlog_gtid_list_to_pos(&l, &p), PROTO_OK);
    char text[128];
    gtid_pos_format(&p, text, sizeof text);
    assert_string_equal(text, "0-1-5,70-7000-29,72-7000-1");

    /* A count the body cannot hold. */
    b.data[BINLOG_HEADER_LEN] = 5;
    assert_int_equal(binlog_gtid_list_decode(&ev, &l), PROTO_BAD);
    b.data[BINLOG_HEADER_LEN] = 0xff;
    b.data[BINLOG_HEADER_LEN + 3] = 0x0f;
    assert_int_equal(binlog_gtid_list_decode(&ev, &l), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_checkpoint_heartbeat_xid(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);

    bytes e = hx(BINLOG_CHECKPOINT);
    binlog_event ev = parse(&e, true);
    binlog_name n;
    assert_int_equal(binlog_checkpoint_decode(&ev, &n), PROTO_OK);
    assert_int_equal(n.name_len, 17);
    assert_memory_equal(n.name, "galera-bin.000003", 17);
    binlog_write_checkpoint(&b, &ev.h, n.name, n.name_len, true);
    assert_same(&b, &e);

    e = hx(HEARTBEAT);
    ev = parse(&e, true);
    assert_int_equal(ev.h.type, BINLOG_HEARTBEAT_EVENT);
    assert_int_equal(ev.h.log_pos, 1800); /* the master's current position */
    assert_int_equal(ev.h.timestamp, 0);
    assert_int_equal(binlog_heartbeat_decode(&ev, &n), PROTO_OK);
    assert_int_equal(n.name_len, 17);
    assert_memory_equal(n.name, "galera-bin.000003", 17);
    proto_buf_reset(&b);
    binlog_write_heartbeat(&b, &ev.h, n.name, n.name_len, true);
    assert_same(&b, &e);

    e = hx(XID);
    ev = parse(&e, true);
    uint64_t xid;
    assert_int_equal(binlog_xid_decode(&ev, &xid), PROTO_OK);
    assert_int_equal(xid, 29);
    assert_int_equal(ev.h.log_pos, 1411);
    proto_buf_reset(&b);
    binlog_write_xid(&b, &ev.h, xid, true);
    assert_same(&b, &e);

    /* A checkpoint whose name length runs past the body. */
    e = hx(BINLOG_CHECKPOINT);
    e.b[BINLOG_HEADER_LEN] = 18;
    binlog_crc_store(e.b, e.n);
    ev = parse(&e, true);
    assert_int_equal(binlog_checkpoint_decode(&ev, &n), PROTO_BAD);
    /* Decoders refuse events of another type. */
    assert_int_equal(binlog_heartbeat_decode(&ev, &n), PROTO_BAD);
    assert_int_equal(binlog_xid_decode(&ev, &xid), PROTO_BAD);
    proto_buf_free(&b);
}

static void check_gtid_event(const char *hex, uint64_t seq, uint8_t flags2)
{
    bytes e = hx(hex);
    binlog_event ev = parse(&e, true);
    assert_int_equal(ev.h.flags, BINLOG_F_SUPPRESS_USE);
    binlog_gtid g;
    assert_int_equal(binlog_gtid_decode(&ev, &g), PROTO_OK);
    assert_int_equal(g.gtid.domain, 70);
    assert_int_equal(g.gtid.server_id, 7000);
    assert_int_equal(g.gtid.seq, seq);
    assert_int_equal(g.flags2, flags2);
    assert_int_equal(g.flags_extra, 0);
    assert_int_equal(g.body_len, BINLOG_GTID_HEADER_LEN);
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_gtid(&b, &ev.h, &g, true);
    assert_same(&b, &e);
    proto_buf_free(&b);
}

/* Builds g, decodes it back and checks the fields and body length. */
static void check_gtid_built(const binlog_gtid *g, size_t body_len)
{
    binlog_header h = {.server_id = 7000, .flags = BINLOG_F_SUPPRESS_USE};
    proto_buf b;
    proto_buf_init(&b);
    binlog_write_gtid(&b, &h, g, true);
    binlog_event ev;
    assert_int_equal(binlog_event_parse(b.data, b.len, true, &ev), PROTO_OK);
    assert_true(binlog_event_crc_ok(&ev));
    assert_int_equal(ev.body_len, body_len);
    binlog_gtid d;
    assert_int_equal(binlog_gtid_decode(&ev, &d), PROTO_OK);
    assert_int_equal(d.gtid.seq, g->gtid.seq);
    assert_int_equal(d.gtid.domain, g->gtid.domain);
    assert_int_equal(d.flags2, g->flags2);
    assert_int_equal(d.commit_id, g->commit_id);
    assert_int_equal(d.xa_format_id, g->xa_format_id);
    assert_int_equal(d.xa_gtrid_len, g->xa_gtrid_len);
    assert_int_equal(d.xa_bqual_len, g->xa_bqual_len);
    if (g->xa_gtrid_len + g->xa_bqual_len)
        assert_memory_equal(d.xa_data, g->xa_data, g->xa_gtrid_len + g->xa_bqual_len);
    assert_int_equal(d.flags_extra, g->flags_extra);
    assert_int_equal(d.extra_engines, g->extra_engines);
    assert_int_equal(d.sa_seq_no, g->sa_seq_no);

    /* One byte short of what the flags call for (or of the 19-byte minimum) is refused. */
    ev.body_len--;
    assert_int_equal(binlog_gtid_decode(&ev, &d), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_gtid_event(void **state)
{
    (void)state;
    check_gtid_event(GTID_DML, 25, BINLOG_FL_TRANSACTIONAL | BINLOG_FL_ALLOW_PARALLEL);
    check_gtid_event(GTID_DDL, 27, BINLOG_FL_STANDALONE | BINLOG_FL_ALLOW_PARALLEL | BINLOG_FL_DDL);

    binlog_gtid g;
    memset(&g, 0, sizeof g);
    g.gtid = (gtid_t){70, 7000, 1000};
    g.flags2 = BINLOG_FL_TRANSACTIONAL | BINLOG_FL_GROUP_COMMIT_ID;
    g.commit_id = 0x1122334455667788ull;
    check_gtid_built(&g, 21);

    g.flags2 = BINLOG_FL_TRANSACTIONAL | BINLOG_FL_PREPARED_XA;
    g.commit_id = 0;
    g.xa_format_id = 1;
    g.xa_gtrid_len = 3;
    g.xa_bqual_len = 2;
    g.xa_data = (const uint8_t *)"trxbq";
    check_gtid_built(&g, 24);

    g.flags2 |= BINLOG_FL_GROUP_COMMIT_ID;
    g.commit_id = 7;
    g.flags_extra = BINLOG_FL_EXTRA_MULTI_ENGINE | BINLOG_FL_COMMIT_ALTER;
    g.extra_engines = 1;
    g.sa_seq_no = 999;
    check_gtid_built(&g, 13 + 8 + 6 + 5 + 1 + 1 + 8);

    memset(&g, 0, sizeof g);
    g.gtid = (gtid_t){1, 2, 3};
    g.flags_extra = BINLOG_FL_START_ALTER; /* lives in the padding */
    check_gtid_built(&g, 19);

    /* Short bodies and oversized XA parts. */
    bytes e = hx(GTID_DML);
    binlog_event ev = parse(&e, true);
    binlog_gtid d;
    ev.body_len = 18;
    assert_int_equal(binlog_gtid_decode(&ev, &d), PROTO_BAD);
    ev.body_len = 19;
    e.b[BINLOG_HEADER_LEN + 12] = BINLOG_FL_GROUP_COMMIT_ID; /* needs 21 bytes */
    assert_int_equal(binlog_gtid_decode(&ev, &d), PROTO_BAD);
    e.b[BINLOG_HEADER_LEN + 12] = BINLOG_FL_COMPLETED_XA;
    e.b[BINLOG_HEADER_LEN + 17] = 65; /* gtrid_len > 64 */
    assert_int_equal(binlog_gtid_decode(&ev, &d), PROTO_BAD);
    assert_int_equal(binlog_rotate_decode(&ev, &(binlog_rotate){0}), PROTO_BAD);
}

static void check_query(const char *hex, uint32_t thread, const char *db, uint16_t svlen,
                        const char *sql, uint16_t flags)
{
    bytes e = hx(hex);
    binlog_event ev = parse(&e, true);
    assert_int_equal(ev.h.flags, flags);
    binlog_query q;
    assert_int_equal(binlog_query_decode(&ev, &q), PROTO_OK);
    assert_false(q.compressed);
    assert_int_equal(q.thread_id, thread);
    assert_int_equal(q.exec_time, 0);
    assert_int_equal(q.error_code, 0);
    assert_int_equal(q.db_len, strlen(db));
    assert_memory_equal(q.db, db, q.db_len);
    assert_int_equal(q.status_vars_len, svlen);
    assert_int_equal(q.query_len, strlen(sql));
    assert_memory_equal(q.query, sql, q.query_len);
    assert_int_equal(binlog_query_classify(q.query, q.query_len), BINLOG_QK_DDL);

    proto_buf b;
    proto_buf_init(&b);
    binlog_write_query(&b, &ev.h, &q, true);
    assert_same(&b, &e);
    proto_buf_free(&b);
}

static void test_query(void **state)
{
    (void)state;
    /* 35 bytes of status vars: flags2, sql_mode, catalog, charset and Q_XID (0x81, xid 95). */
    check_query(QUERY_DDL, 21, "", 35, "CREATE TABLE labdb.t2 (id INT PRIMARY KEY)", 0);
    check_query(QUERY_DB, 22, "labdb", 26, "CREATE DATABASE IF NOT EXISTS labdb",
                BINLOG_F_SUPPRESS_USE);

    /* Status vars longer than the body. */
    bytes e = hx(QUERY_DDL);
    binlog_event ev = parse(&e, true);
    binlog_query q;
    ev.body_len = 13 + 35 - 1;
    assert_int_equal(binlog_query_decode(&ev, &q), PROTO_BAD);
    ev.body_len = 13 + 35; /* no room for the db's NUL */
    assert_int_equal(binlog_query_decode(&ev, &q), PROTO_BAD);
    ev.body_len = 13 + 35 + 1; /* an empty query is fine */
    assert_int_equal(binlog_query_decode(&ev, &q), PROTO_OK);
    assert_int_equal(q.query_len, 0);
}

static void test_query_classify(void **state)
{
    (void)state;
    static const struct {
        const char *sql;
        enum binlog_query_kind kind;
    } CASES[] = {
        {"BEGIN", BINLOG_QK_BEGIN},
        {"COMMIT", BINLOG_QK_COMMIT},
        {" commit\n", BINLOG_QK_COMMIT},
        {"ROLLBACK", BINLOG_QK_ROLLBACK},
        {"ROLLBACK TO SAVEPOINT a", BINLOG_QK_OTHER},
        {"ROLLBACK TO a", BINLOG_QK_OTHER},
        {"COMMITTED", BINLOG_QK_OTHER},
        {"BEGIN NOT ATOMIC SELECT 1; END", BINLOG_QK_OTHER},
        {"XA COMMIT X'31',X'',1", BINLOG_QK_XA_COMMIT},
        {"xa  commit 'x' ONE PHASE", BINLOG_QK_XA_COMMIT},
        {"XA ROLLBACK X'32'", BINLOG_QK_XA_ROLLBACK},
        {"XA START X'31'", BINLOG_QK_OTHER},
        {"XA END X'31'", BINLOG_QK_OTHER},
        {"XA COMMITX", BINLOG_QK_OTHER},
        {"CREATE TABLE t (a INT)", BINLOG_QK_DDL},
        {"alter table t add b int", BINLOG_QK_DDL},
        {"DROP TABLE IF EXISTS `t` /* generated by server */", BINLOG_QK_DDL},
        {"RENAME TABLE a TO b", BINLOG_QK_DDL},
        {"TRUNCATE t", BINLOG_QK_DDL},
        {"CREATEX", BINLOG_QK_OTHER},
        {"INSERT INTO t VALUES (1)", BINLOG_QK_OTHER},
        {"SAVEPOINT a", BINLOG_QK_OTHER},
        {"", BINLOG_QK_OTHER},
        {"   ", BINLOG_QK_OTHER},
        {"/* c */ COMMIT", BINLOG_QK_OTHER},
    };
    for (size_t i = 0; i < sizeof CASES / sizeof CASES[0]; i++)
        assert_int_equal(binlog_query_classify(CASES[i].sql, strlen(CASES[i].sql)), CASES[i].kind);
    assert_int_equal(binlog_query_classify("COMMIT", 3), BINLOG_QK_OTHER); /* "COM" */
}

static void test_event_parse(void **state)
{
    (void)state;
    /* A stream of events: every prefix asks for more, and the events come back in order. */
    static const char *const STREAM[] = {FDE_DUMP,   GTID_DML, ANNOTATE_ROWS, TABLE_MAP,
                                         WRITE_ROWS, XID,      HEARTBEAT};
    size_t n = sizeof STREAM / sizeof STREAM[0];
    proto_buf b;
    proto_buf_init(&b);
    size_t ends[8];
    for (size_t i = 0; i < n; i++) {
        bytes e = hx(STREAM[i]);
        proto_put_bytes(&b, e.b, e.n);
        ends[i] = b.len;
    }
    size_t pos = 0;
    for (size_t i = 0; i < n; i++) {
        binlog_event ev;
        for (size_t k = pos; k < ends[i]; k++)
            assert_int_equal(binlog_event_parse(b.data + pos, k - pos, true, &ev), PROTO_NEED_MORE);
        assert_int_equal(binlog_event_parse(b.data + pos, b.len - pos, true, &ev), PROTO_OK);
        assert_ptr_equal(ev.data, b.data + pos);
        assert_ptr_equal(ev.body, b.data + pos + BINLOG_HEADER_LEN);
        assert_int_equal(ev.body_len, ends[i] - pos - BINLOG_HEADER_LEN - 4);
        assert_true(binlog_event_crc_ok(&ev));
        pos = ends[i];
    }

    /* event_size too small for a header (and a trailer). */
    bytes e = hx(XID);
    binlog_event ev;
    e.b[9] = 22;
    assert_int_equal(binlog_event_parse(e.b, e.n, true, &ev), PROTO_BAD);
    assert_int_equal(binlog_event_parse(e.b, e.n, false, &ev), PROTO_OK);
    assert_int_equal(ev.body_len, 3);
    e.b[9] = 18;
    assert_int_equal(binlog_event_parse(e.b, e.n, false, &ev), PROTO_BAD);
    e.b[9] = 0xff;
    e.b[12] = 0x7f; /* huge: wait for it */
    assert_int_equal(binlog_event_parse(e.b, e.n, false, &ev), PROTO_NEED_MORE);
    /* An FDE needs room for its trailer even when events have none. */
    e = hx(FDE_DUMP);
    e.b[9] = 22;
    assert_int_equal(binlog_event_parse(e.b, e.n, false, &ev), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_rewrite_and_builder(void **state)
{
    (void)state;
    /* The relay gives relayed events its own file positions. */
    bytes e = hx(XID);
    binlog_event_set_log_pos(e.b, e.n, 4000, true);
    binlog_event ev = parse(&e, true);
    assert_int_equal(ev.h.log_pos, 4000);
    binlog_event_set_log_pos(e.b, e.n, 1411, true);
    bytes orig = hx(XID);
    assert_memory_equal(e.b, orig.b, e.n);
    binlog_event_set_log_pos(e.b, 10, 1, true); /* too short: untouched */
    assert_memory_equal(e.b, orig.b, e.n);

    /* The artificial GTID_LIST at the resume point, as a server sends it. */
    binlog_header h = {
        .timestamp = 0, .server_id = 7000, .log_pos = 1152, .flags = BINLOG_F_ARTIFICIAL};
    gtid_pos p;
    assert_int_equal(gtid_pos_parse(&p, "70-7000-24", 10, NULL), PROTO_OK);
    proto_buf b;
    proto_buf_init(&b);
    proto_put_u8(&b, 0x00); /* the OK byte before an event in a dump packet */
    binlog_write_gtid_list(&b, &h, p.v, p.n, 0, true);
    e = hx(GTID_LIST_RESUME);
    assert_int_equal(b.len, e.n + 1);
    assert_memory_equal(b.data + 1, e.b, e.n);

    /* A generic event through begin/end, with and without CRC. */
    proto_buf_reset(&b);
    size_t off = binlog_event_begin(&b, &h, BINLOG_TABLE_MAP_EVENT);
    assert_int_equal(off, 0);
    proto_put_bytes(&b, "abc", 3);
    binlog_event_end(&b, off, false);
    assert_int_equal(b.len, 22);
    off = binlog_event_begin(&b, &h, BINLOG_TABLE_MAP_EVENT);
    assert_int_equal(off, 22);
    proto_put_bytes(&b, "abc", 3);
    binlog_event_end(&b, off, true);
    assert_int_equal(b.len, 22 + 26);
    assert_int_equal(binlog_event_parse(b.data, b.len, false, &ev), PROTO_OK);
    assert_int_equal(ev.h.event_size, 22);
    assert_int_equal(ev.h.type, BINLOG_TABLE_MAP_EVENT);
    assert_int_equal(binlog_event_parse(b.data + 22, b.len - 22, true, &ev), PROTO_OK);
    assert_int_equal(ev.h.event_size, 26);
    assert_int_equal(ev.body_len, 3);
    assert_true(binlog_event_crc_ok(&ev));
    proto_buf_free(&b);
}

/* ---- the captured streams (fixtures) ---- */

#define MAX_EVENTS 64

typedef struct stream {
    uint8_t *ev[MAX_EVENTS];
    size_t len[MAX_EVENTS];
    size_t n;
} stream;

static void load_stream(const char *name, stream *s)
{
    const char *dir = getenv("FERRY_SOURCE_DIR");
    char path[1024];
    snprintf(path, sizeof path, "%s/test/unit/fixtures/binlog/%s", dir ? dir : ".", name);
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s (run from the source tree or set FERRY_SOURCE_DIR)", path);
    static char line[8192];
    s->n = 0;
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\r\n")] = '\0';
        if (line[0] == '#' || line[0] == '\0')
            continue;
        assert_true(s->n < MAX_EVENTS);
        s->ev[s->n] = malloc(strlen(line) / 2);
        s->len[s->n] = unhex(line, s->ev[s->n]);
        s->n++;
    }
    fclose(f);
}

static void free_stream(stream *s)
{
    for (size_t i = 0; i < s->n; i++)
        free(s->ev[i]);
}

/* Re-encodes a decoded event of a type Ferry builds; false for other types. */
static bool reencode(const binlog_event *ev, proto_buf *b)
{
    binlog_rotate r;
    binlog_fde f;
    binlog_gtid g;
    binlog_gtid_list l;
    binlog_name n;
    binlog_query q;
    uint64_t xid;
    gtid_t list[16];
    switch (ev->h.type) {
    case BINLOG_ROTATE_EVENT:
        assert_int_equal(binlog_rotate_decode(ev, &r), PROTO_OK);
        binlog_write_rotate(b, &ev->h, r.pos, r.name, r.name_len, ev->has_crc);
        return true;
    case BINLOG_FORMAT_DESCRIPTION_EVENT:
        assert_int_equal(binlog_fde_decode(ev, &f), PROTO_OK);
        binlog_write_fde(b, &ev->h, &f);
        return true;
    case BINLOG_GTID_EVENT:
        assert_int_equal(binlog_gtid_decode(ev, &g), PROTO_OK);
        binlog_write_gtid(b, &ev->h, &g, ev->has_crc);
        return true;
    case BINLOG_GTID_LIST_EVENT:
        assert_int_equal(binlog_gtid_list_decode(ev, &l), PROTO_OK);
        assert_true(l.count <= 16);
        for (uint32_t i = 0; i < l.count; i++)
            binlog_gtid_list_at(&l, i, &list[i]);
        binlog_write_gtid_list(b, &ev->h, list, l.count, l.flags, ev->has_crc);
        return true;
    case BINLOG_CHECKPOINT_EVENT:
        assert_int_equal(binlog_checkpoint_decode(ev, &n), PROTO_OK);
        binlog_write_checkpoint(b, &ev->h, n.name, n.name_len, ev->has_crc);
        return true;
    case BINLOG_HEARTBEAT_EVENT:
        assert_int_equal(binlog_heartbeat_decode(ev, &n), PROTO_OK);
        binlog_write_heartbeat(b, &ev->h, n.name, n.name_len, ev->has_crc);
        return true;
    case BINLOG_XID_EVENT:
        assert_int_equal(binlog_xid_decode(ev, &xid), PROTO_OK);
        binlog_write_xid(b, &ev->h, xid, ev->has_crc);
        return true;
    case BINLOG_QUERY_EVENT:
        assert_int_equal(binlog_query_decode(ev, &q), PROTO_OK);
        binlog_write_query(b, &ev->h, &q, ev->has_crc);
        return true;
    default:
        return false;
    }
}

/*
 * Every captured event parses, passes its CRC check (the only events without
 * a CRC are fake ROTATEs sent to mariadb-binlog, which set checksum NONE) and
 * re-encodes byte for byte.
 */
static void check_stream_codecs(const char *name, size_t want_events, size_t want_no_crc)
{
    stream s;
    load_stream(name, &s);
    assert_int_equal(s.n, want_events);
    size_t no_crc = 0, rebuilt = 0;
    proto_buf b;
    proto_buf_init(&b);
    for (size_t i = 0; i < s.n; i++) {
        binlog_event ev;
        assert_int_equal(binlog_event_parse(s.ev[i], s.len[i], true, &ev), PROTO_OK);
        if (!binlog_event_crc_ok(&ev)) {
            assert_int_equal(ev.h.type, BINLOG_ROTATE_EVENT);
            assert_int_equal(ev.h.flags, BINLOG_F_ARTIFICIAL);
            assert_int_equal(binlog_event_parse(s.ev[i], s.len[i], false, &ev), PROTO_OK);
            no_crc++;
        }
        assert_int_equal(ev.h.event_size, s.len[i]);
        proto_buf_reset(&b);
        if (reencode(&ev, &b)) {
            assert_int_equal(b.len, s.len[i]);
            assert_memory_equal(b.data, s.ev[i], s.len[i]);
            rebuilt++;
        }
    }
    assert_int_equal(no_crc, want_no_crc);
    assert_true(rebuilt > 0);
    proto_buf_free(&b);
    free_stream(&s);
}

static void test_captured_streams(void **state)
{
    (void)state;
    check_stream_codecs("replica-start-slave-g2.events.hex", 17, 0);
    check_stream_codecs("replica-heartbeat-g2.events.hex", 9, 0);
    check_stream_codecs("mariadb-binlog-to-last-log.events.hex", 35, 1);
    check_stream_codecs("mariadb-binlog-stop-never.events.hex", 10, 1);
}

static char result_char(enum binlog_trx_result r)
{
    switch (r) {
    case BINLOG_TRX_OUTSIDE:
        return 'o';
    case BINLOG_TRX_IN_GROUP:
        return 'i';
    case BINLOG_TRX_GROUP_END:
        return 'e';
    case BINLOG_TRX_BROKEN:
        return 'b';
    default:
        return '!';
    }
}

/* Feeds a captured stream; want has one result letter per event, seqs the GTIDs committed. */
static void check_stream_groups(const char *name, bool crc, const char *want, const char *seqs)
{
    stream s;
    load_stream(name, &s);
    assert_int_equal(s.n, strlen(want));
    binlog_trx_tracker t;
    binlog_trx_init(&t, crc);
    char got[MAX_EVENTS + 1], done[256] = "";
    for (size_t i = 0; i < s.n; i++) {
        got[i] = result_char(binlog_trx_feed(&t, s.ev[i], s.len[i]));
        if (got[i] == 'e') {
            assert_true(t.has_gtid);
            size_t k = strlen(done);
            snprintf(done + k, sizeof done - k, "%s%u-%u-%llu", k ? "," : "", t.gtid.gtid.domain,
                     t.gtid.gtid.server_id, (unsigned long long)t.gtid.gtid.seq);
        }
    }
    got[s.n] = '\0';
    assert_string_equal(got, want);
    assert_string_equal(done, seqs);
    assert_false(binlog_trx_in_group(&t));
    assert_true(t.crc);
    free_stream(&s);
}

static void test_groups_in_captured_streams(void **state)
{
    (void)state;
    check_stream_groups("replica-start-slave-g2.events.hex", true,
                        "ooooo"
                        "iiiie"
                        "iiiie"
                        "ie",
                        "70-7000-25,70-7000-26,70-7000-27");
    check_stream_groups("replica-heartbeat-g2.events.hex", true, "ooooooooo", "");
    check_stream_groups("mariadb-binlog-to-last-log.events.hex", false,
                        "ooooooooo"
                        "ie"
                        "ie"
                        "iiiie"
                        "iiiie"
                        "iiiie"
                        "iiiie"
                        "ie",
                        "70-7000-21,70-7000-22,70-7000-23,70-7000-24,70-7000-25,70-7000-26,"
                        "70-7000-27");
    check_stream_groups("mariadb-binlog-stop-never.events.hex", false,
                        "ooooo"
                        "iiiie",
                        "70-7000-28");
}

/* ---- synthetic group sequences ---- */

typedef struct step {
    char kind;       /* G gtid, Q query, X xid, P xa_prepare, T table_map, W rows, I intvar,
                        A annotate, R rotate, F fde, H heartbeat, L gtid_list, C checkpoint */
    uint64_t arg;    /* G: seq; W: rows flags; F: checksum alg */
    uint8_t flags2;  /* G */
    const char *sql; /* Q */
    char want;       /* o, i, e, b */
    bool in_group;   /* after the event */
} step;

static void build_step(proto_buf *b, const step *s, bool crc)
{
    binlog_header h = {.timestamp = 1795237051, .server_id = 7000, .log_pos = 1000};
    binlog_gtid g;
    binlog_fde f;
    binlog_query q;
    size_t off;
    switch (s->kind) {
    case 'G':
        memset(&g, 0, sizeof g);
        g.gtid = (gtid_t){70, 7000, s->arg};
        g.flags2 = s->flags2;
        binlog_write_gtid(b, &h, &g, crc);
        return;
    case 'Q':
        memset(&q, 0, sizeof q);
        q.query = s->sql;
        q.query_len = strlen(s->sql);
        binlog_write_query(b, &h, &q, crc);
        return;
    case 'X':
        binlog_write_xid(b, &h, 42, crc);
        return;
    case 'R':
        binlog_write_rotate(b, &h, 4, "galera-bin.000004", 17, crc);
        return;
    case 'H':
        binlog_write_heartbeat(b, &h, "galera-bin.000004", 17, crc);
        return;
    case 'C':
        binlog_write_checkpoint(b, &h, "galera-bin.000004", 17, crc);
        return;
    case 'L':
        binlog_write_gtid_list(b, &h, NULL, 0, 0, crc);
        return;
    case 'F':
        binlog_fde_init(&f, SERVER_VERSION, 0, (uint8_t)s->arg);
        binlog_write_fde(b, &h, &f);
        return;
    default:
        break;
    }
    static const struct {
        char kind;
        uint8_t type;
    } RAW[] = {{'P', BINLOG_XA_PREPARE_EVENT},
               {'T', BINLOG_TABLE_MAP_EVENT},
               {'W', BINLOG_WRITE_ROWS_EVENT_V1},
               {'I', BINLOG_INTVAR_EVENT},
               {'A', BINLOG_ANNOTATE_ROWS_EVENT}};
    for (size_t i = 0; i < sizeof RAW / sizeof RAW[0]; i++) {
        if (RAW[i].kind != s->kind)
            continue;
        off = binlog_event_begin(b, &h, RAW[i].type);
        proto_put_u48(b, 26);               /* table id (rows, table map) */
        proto_put_u16(b, (uint16_t)s->arg); /* rows flags */
        proto_put_zero(b, 8);
        binlog_event_end(b, off, crc);
        return;
    }
    fail_msg("unknown step kind %c", s->kind);
}

static void run_steps(binlog_trx_tracker *t, const step *steps, size_t n)
{
    proto_buf b;
    proto_buf_init(&b);
    for (size_t i = 0; i < n; i++) {
        proto_buf_reset(&b);
        build_step(&b, &steps[i], t->crc);
        char got = result_char(binlog_trx_feed(t, b.data, b.len));
        if (got != steps[i].want || binlog_trx_in_group(t) != steps[i].in_group)
            fail_msg("step %zu (%c %s): got %c in_group %d, want %c %d", i, steps[i].kind,
                     steps[i].sql ? steps[i].sql : "", got, binlog_trx_in_group(t), steps[i].want,
                     steps[i].in_group);
    }
    proto_buf_free(&b);
}

#define RUN(t, steps) run_steps(t, steps, sizeof steps / sizeof steps[0])

enum {
    TRX = BINLOG_FL_TRANSACTIONAL | BINLOG_FL_ALLOW_PARALLEL,
    DDL = BINLOG_FL_STANDALONE | BINLOG_FL_ALLOW_PARALLEL | BINLOG_FL_DDL,
};

static void test_trx_dml_and_ddl(void **state)
{
    (void)state;
    binlog_trx_tracker t;
    binlog_trx_init(&t, true);
    static const step S[] = {
        /* DML transaction, with a multi-event statement and a group commit id. */
        {'G', 100, TRX | BINLOG_FL_GROUP_COMMIT_ID, NULL, 'i', true},
        {'A', 0, 0, NULL, 'i', true},
        {'T', 0, 0, NULL, 'i', true},
        {'W', 0, 0, NULL, 'i', true},
        {'W', 1, 0, NULL, 'i', true},
        {'X', 0, 0, NULL, 'e', false},
        /* DDL: a standalone group is its one QUERY. */
        {'G', 101, DDL, NULL, 'i', true},
        {'Q', 0, 0, "CREATE TABLE t (a INT)", 'e', false},
        /* Standalone statement with INTVAR before it. */
        {'G', 102, BINLOG_FL_STANDALONE, NULL, 'i', true},
        {'I', 0, 0, NULL, 'i', true},
        {'Q', 0, 0, "INSERT INTO m VALUES (NULL)", 'e', false},
        /* Standalone row-format statement: ends at the rows event with STMT_END_F. */
        {'G', 103, BINLOG_FL_STANDALONE, NULL, 'i', true},
        {'T', 0, 0, NULL, 'i', true},
        {'W', 0, 0, NULL, 'i', true},
        {'W', 1, 0, NULL, 'e', false},
        /* Heartbeats and checkpoints between groups. */
        {'H', 0, 0, NULL, 'o', false},
        {'C', 0, 0, NULL, 'o', false},
    };
    RUN(&t, S);
    assert_true(t.has_gtid);
    assert_int_equal(t.gtid.gtid.seq, 103);
}

static void test_trx_query_forms(void **state)
{
    (void)state;
    binlog_trx_tracker t;
    binlog_trx_init(&t, true);
    static const step S[] = {
        /* Old-style BEGIN ... COMMIT, no GTID. */
        {'Q', 0, 0, "BEGIN", 'i', true},
        {'T', 0, 0, NULL, 'i', true},
        {'W', 1, 0, NULL, 'i', true},
        {'Q', 0, 0, "COMMIT", 'e', false},
        /* Non-transactional engine: GTID, BEGIN, statements, COMMIT query. */
        {'G', 200, 0, NULL, 'i', true},
        {'Q', 0, 0, "BEGIN", 'i', true},
        {'Q', 0, 0, "INSERT INTO myisam_t VALUES (1)", 'i', true},
        {'Q', 0, 0, "COMMIT", 'e', false},
        /* ROLLBACK ends a group; ROLLBACK TO SAVEPOINT does not. */
        {'G', 201, TRX, NULL, 'i', true},
        {'Q', 0, 0, "SAVEPOINT a", 'i', true},
        {'Q', 0, 0, "ROLLBACK TO SAVEPOINT a", 'i', true},
        {'Q', 0, 0, "ROLLBACK", 'e', false},
        /* XA: the prepared part ends at XA_PREPARE, the commit is its own group. */
        {'G', 202, TRX | BINLOG_FL_PREPARED_XA, NULL, 'i', true},
        {'Q', 0, 0, "XA START X'31',X'',1", 'i', true},
        {'T', 0, 0, NULL, 'i', true},
        {'W', 1, 0, NULL, 'i', true},
        {'Q', 0, 0, "XA END X'31',X'',1", 'i', true},
        {'P', 0, 0, NULL, 'e', false},
        {'G', 203, BINLOG_FL_COMPLETED_XA, NULL, 'i', true},
        {'Q', 0, 0, "XA COMMIT X'31',X'',1", 'e', false},
        {'G', 204, BINLOG_FL_STANDALONE | BINLOG_FL_COMPLETED_XA, NULL, 'i', true},
        {'Q', 0, 0, "XA ROLLBACK X'32',X'',1", 'e', false},
        /* A lone statement without GTID is a group of its own. */
        {'Q', 0, 0, "CREATE TABLE x (a INT)", 'e', false},
        {'T', 0, 0, NULL, 'i', true},
        {'W', 1, 0, NULL, 'e', false},
    };
    RUN(&t, S);
    assert_false(t.has_gtid);
}

static void test_trx_truncated(void **state)
{
    (void)state;
    binlog_trx_tracker t;
    binlog_trx_init(&t, true);
    static const step S1[] = {
        {'G', 300, TRX, NULL, 'i', true},
        {'A', 0, 0, NULL, 'i', true},
        {'T', 0, 0, NULL, 'i', true},
        /* The next GTID while a group is open: the first one was cut off. */
        {'G', 301, TRX, NULL, 'b', true},
    };
    RUN(&t, S1);
    assert_int_equal(t.gtid.gtid.seq, 301);
    static const step S2[] = {
        {'T', 0, 0, NULL, 'i', true},
        /* Reconnect in the middle of a group: fake ROTATE, FDE, GTID_LIST. */
        {'R', 0, 0, NULL, 'b', false},
        {'F', 1, 0, NULL, 'o', false},
        {'L', 0, 0, NULL, 'o', false},
        /* The end of a group whose start was never seen. */
        {'W', 1, 0, NULL, 'e', false},
        {'X', 0, 0, NULL, 'b', false},
        {'Q', 0, 0, "COMMIT", 'b', false},
        /* BEGIN in the middle of a group (not right after its GTID). */
        {'G', 302, TRX, NULL, 'i', true},
        {'A', 0, 0, NULL, 'i', true},
        {'Q', 0, 0, "BEGIN", 'b', true},
        {'Q', 0, 0, "COMMIT", 'e', false},
        /* A heartbeat inside a group changes nothing. */
        {'G', 303, TRX, NULL, 'i', true},
        {'H', 0, 0, NULL, 'o', true},
        {'X', 0, 0, NULL, 'e', false},
        /* A standalone group cut short by a GTID_LIST. */
        {'G', 304, DDL, NULL, 'i', true},
        {'L', 0, 0, NULL, 'b', false},
    };
    RUN(&t, S2);

    /* A malformed event leaves the tracker as it was. */
    binlog_trx_init(&t, true);
    static const step S3[] = {{'G', 305, TRX, NULL, 'i', true}};
    RUN(&t, S3);
    bytes e = hx(XID);
    assert_int_equal(binlog_trx_feed(&t, e.b, e.n - 1), BINLOG_TRX_BAD);
    bytes q = hx(QUERY_DDL);
    q.b[BINLOG_HEADER_LEN + 11] = 0xff; /* status_vars_len past the end */
    assert_int_equal(binlog_trx_feed(&t, q.b, q.n), BINLOG_TRX_BAD);
    bytes g = hx(GTID_DML);
    assert_int_equal(binlog_trx_feed(&t, g.b, 30), BINLOG_TRX_BAD);
    assert_true(binlog_trx_in_group(&t));
    assert_int_equal(t.gtid.gtid.seq, 305);
    assert_int_equal(binlog_trx_feed(&t, e.b, e.n), BINLOG_TRX_GROUP_END);
}

/* The tracker follows the checksum setting of each FORMAT_DESCRIPTION. */
static void test_trx_checksum_switch(void **state)
{
    (void)state;
    binlog_trx_tracker t;
    binlog_trx_init(&t, true);
    static const step S[] = {
        {'F', BINLOG_CHECKSUM_OFF, 0, NULL, 'o', false},
        {'G', 400, 0, NULL, 'i', true},
        {'Q', 0, 0, "COMMIT", 'e', false},
        {'F', BINLOG_CHECKSUM_CRC32, 0, NULL, 'o', false},
        {'G', 401, 0, NULL, 'i', true},
        {'Q', 0, 0, "COMMIT", 'e', false},
    };
    RUN(&t, S);
    assert_true(t.crc);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_header_and_crc),
        cmocka_unit_test(test_crc_detects_bit_flips),
        cmocka_unit_test(test_rotate),
        cmocka_unit_test(test_fde),
        cmocka_unit_test(test_gtid_list),
        cmocka_unit_test(test_checkpoint_heartbeat_xid),
        cmocka_unit_test(test_gtid_event),
        cmocka_unit_test(test_query),
        cmocka_unit_test(test_query_classify),
        cmocka_unit_test(test_event_parse),
        cmocka_unit_test(test_rewrite_and_builder),
        cmocka_unit_test(test_captured_streams),
        cmocka_unit_test(test_groups_in_captured_streams),
        cmocka_unit_test(test_trx_dml_and_ddl),
        cmocka_unit_test(test_trx_query_forms),
        cmocka_unit_test(test_trx_truncated),
        cmocka_unit_test(test_trx_checksum_switch),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
