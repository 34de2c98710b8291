/*
 * test_blr_stream.c: the event stream a relay replica receives, built from
 * a real store in a temporary directory: the file/position and GTID
 * headers (artificial ROTATE, FDE fixes, GTID_LIST, the artificial
 * GTID_LIST at the resume point), per-domain skipping, rotation to the next
 * file, tailing and heartbeats, backpressure, events over a piece and over
 * 16 MiB (split packets), copied or referenced (zero copy), ANNOTATE_ROWS
 * filtering, EOF of a non-blocking dump and the errors.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sys/stat.h>

#include "router/blr_stream.h"
#include "test/unit/blr_testlib.h"

typedef struct fixture {
    char dir[64];
    blr_store *s;
    struct evbuffer *out;
    proto_buf acc; /* bytes read from out, not yet a whole packet */
    t_pkts p;
} fixture;

static int setup(void **state)
{
    fixture *f = calloc(1, sizeof(*f));
    t_mkdir(f->dir, sizeof(f->dir));
    f->s = t_open(f->dir, 0, BLR_SYNC_NEVER);
    f->out = evbuffer_new();
    proto_buf_init(&f->acc);
    *state = f;
    return f->s ? 0 : -1;
}

static int teardown(void **state)
{
    fixture *f = *state;
    t_free_packets(&f->p);
    evbuffer_free(f->out);
    proto_buf_free(&f->acc);
    blr_store_close(f->s);
    t_rmdir(f->dir);
    free(f);
    return 0;
}

static blr_stream_opts file_opts(void)
{
    return (blr_stream_opts){.non_block = true,
                             .send_annotate = true,
                             .capability = 4,
                             .checksum_aware = true,
                             .server_id = T_RELAY_ID,
                             .start_pos = 4};
}

/* Reads everything the stream wrote (as a client would) and keeps the whole packets. */
static void collect(fixture *f)
{
    size_t len = evbuffer_get_length(f->out), used = 0;
    evbuffer_remove(f->out, proto_buf_reserve(&f->acc, len), len);
    f->acc.len += len;
    if (f->acc.len == 0)
        return;
    t_take_packets(f->acc.data, f->acc.len, &f->p, &used);
    memmove(f->acc.data, f->acc.data + used, f->acc.len - used);
    f->acc.len -= used;
}

/* Pumps until the stream is not FULL, draining the output (as a fast client). */
static blr_stream_rc pump(fixture *f, blr_stream *st, size_t high_water)
{
    char err[512] = "";
    blr_stream_rc rc;
    while ((rc = blr_stream_pump(st, f->out, high_water, err, sizeof(err))) == BLR_STREAM_FULL)
        collect(f);
    collect(f);
    if (rc == BLR_STREAM_ERROR)
        fprintf(stderr, "stream error: %s\n", err);
    return rc;
}

static uint8_t *read_file(fixture *f, uint32_t no, size_t *len)
{
    char path[4200];
    blr_store_path(f->s, no, path, sizeof(path));
    int fd = open(path, O_RDONLY);
    struct stat sb;
    fstat(fd, &sb);
    uint8_t *p = malloc((size_t)sb.st_size);
    assert_int_equal(read(fd, p, (size_t)sb.st_size), sb.st_size);
    close(fd);
    *len = (size_t)sb.st_size;
    return p;
}

static gtid_t gtid_of(const t_pkts *p, size_t i, bool crc)
{
    binlog_event ev = t_event(p, i, crc);
    binlog_gtid g;
    assert_int_equal(binlog_gtid_decode(&ev, &g), PROTO_OK);
    return g.gtid;
}

static void check_rotate(const t_pkts *p, size_t i, const char *name, uint64_t pos, bool crc)
{
    binlog_event ev = t_event(p, i, crc);
    assert_int_equal(ev.h.type, BINLOG_ROTATE_EVENT);
    assert_int_equal(ev.h.timestamp, 0);
    assert_int_equal(ev.h.log_pos, 0);
    assert_int_equal(ev.h.flags, BINLOG_F_ARTIFICIAL);
    assert_int_equal(ev.h.server_id, T_RELAY_ID);
    assert_int_equal(ev.h.event_size, 19 + 8 + strlen(name) + (crc ? 4 : 0));
    binlog_rotate r;
    assert_int_equal(binlog_rotate_decode(&ev, &r), PROTO_OK);
    assert_int_equal(r.pos, pos);
    assert_int_equal(r.name_len, strlen(name));
    assert_memory_equal(r.name, name, r.name_len);
    if (crc)
        assert_true(binlog_event_crc_ok(&ev));
}

static void check_eof(const t_pkts *p, size_t i)
{
    assert_true(i < p->n);
    assert_int_equal(p->v[i].len, 5);
    assert_memory_equal(p->v[i].payload, "\xfe\x00\x00\x02\x00", 5);
}

static void check_seqs(const t_pkts *p, uint8_t first)
{
    for (size_t i = 0; i < p->n; i++)
        assert_int_equal(p->v[i].seq, (uint8_t)(first + i));
}

/* File mode from the start: the file's bytes, after an artificial ROTATE, then EOF. */
static void test_file_mode_whole_file(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_stream_opts o = file_opts();
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 1, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    assert_int_equal(f->p.n, 1 + 2 + 6 + 1);
    check_seqs(&f->p, 1);
    check_rotate(&f->p, 0, "binlog.000001", 4, false); /* replica_crc off: no CRC */
    size_t flen;
    uint8_t *file = read_file(f, 1, &flen);
    size_t at = 4;
    for (size_t i = 1; i + 1 < f->p.n; i++) {
        assert_memory_equal(f->p.v[i].payload + 1, file + at, f->p.v[i].len - 1);
        at += f->p.v[i].len - 1;
    }
    assert_int_equal(at, flen);
    check_eof(&f->p, f->p.n - 1);
    assert_int_equal(blr_stream_seq(st), (uint8_t)(1 + f->p.n));
    uint64_t events, bytes;
    blr_stream_counters(st, &events, &bytes);
    assert_int_equal(events, 9);
    free(file);
    blr_stream_free(st);
}

/* GTID mode: FDE with create_ts 0 and a good CRC, the file's GTID_LIST, the
 * artificial GTID_LIST at the resume offset, then the missing groups. */
static void test_gtid_mode_header(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_group(f->s, 0, 2, "INSERT 2", true);
    gtid_pos start = t_pos("0-7000-1");
    blr_pos at;
    char err[512];
    assert_int_equal(blr_store_locate(f->s, &start, &at, err, sizeof(err)), BLR_LOCATE_OK);
    blr_stream_opts o = file_opts();
    o.gtid_mode = true;
    o.replica_crc = true;
    o.start = &start;
    blr_stream *st = blr_stream_new(f->s, &o, at.file_no, at.offset, 1, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    assert_int_equal(f->p.n, 4 + 3 + 1);
    check_rotate(&f->p, 0, "binlog.000001", 4, true);
    binlog_event fde = t_event(&f->p, 1, true);
    binlog_fde fd;
    assert_int_equal(fde.h.type, BINLOG_FORMAT_DESCRIPTION_EVENT);
    assert_int_equal(binlog_fde_decode(&fde, &fd), PROTO_OK);
    assert_int_equal(fd.create_ts, 0);
    assert_int_equal(fde.h.flags & BINLOG_F_BINLOG_IN_USE, 0);
    assert_int_equal(fde.h.log_pos, 4 + fde.h.event_size);
    assert_true(binlog_event_crc_ok(&fde));
    binlog_event gl = t_event(&f->p, 2, true);
    assert_int_equal(gl.h.type, BINLOG_GTID_LIST_EVENT);
    assert_int_equal(gl.h.flags, 0);
    binlog_event fake = t_event(&f->p, 3, true);
    assert_int_equal(fake.h.type, BINLOG_GTID_LIST_EVENT);
    assert_int_equal(fake.h.timestamp, 0);
    assert_int_equal(fake.h.flags, BINLOG_F_ARTIFICIAL);
    assert_int_equal(fake.h.log_pos, at.offset);
    assert_true(binlog_event_crc_ok(&fake));
    binlog_gtid_list l;
    assert_int_equal(binlog_gtid_list_decode(&fake, &l), PROTO_OK);
    assert_int_equal(l.count, 1);
    gtid_t g;
    binlog_gtid_list_at(&l, 0, &g);
    assert_int_equal(g.seq, 1);
    assert_int_equal(gtid_of(&f->p, 4, true).seq, 2);
    assert_int_equal(t_type(&f->p, 6), BINLOG_XID_EVENT);
    check_eof(&f->p, 7);
    blr_stream_free(st);
}

/* Per domain, groups the replica has are skipped whole; later ones are sent. */
static void test_gtid_skip_per_domain(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 1, 1, "d1 1", true);
    t_group(f->s, 2, 1, "d2 1", true);
    t_group(f->s, 1, 2, "d1 2", true);
    t_group(f->s, 2, 2, "d2 2", true);
    t_group(f->s, 2, 3, "d2 3", true);
    gtid_pos start = t_pos("1-7000-1,2-7000-2");
    blr_pos at;
    char err[512];
    assert_int_equal(blr_store_locate(f->s, &start, &at, err, sizeof(err)), BLR_LOCATE_OK);
    blr_stream_opts o = file_opts();
    o.gtid_mode = true;
    o.start = &start;
    blr_stream *st = blr_stream_new(f->s, &o, at.file_no, at.offset, 1, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    size_t ngtid = 0;
    gtid_t got[8];
    for (size_t i = 0; i < f->p.n; i++)
        if (t_type(&f->p, i) == BINLOG_GTID_EVENT && ngtid < 8)
            got[ngtid++] = gtid_of(&f->p, i, true);
    assert_int_equal(ngtid, 2);
    assert_int_equal(got[0].domain, 1);
    assert_int_equal(got[0].seq, 2);
    assert_int_equal(got[1].domain, 2);
    assert_int_equal(got[1].seq, 3);
    /* Every sent group is whole: 3 events after each GTID. */
    for (size_t i = 0; i < f->p.n; i++)
        if (t_type(&f->p, i) == BINLOG_GTID_EVENT)
            assert_int_equal(t_type(&f->p, i + 2), BINLOG_XID_EVENT);
    blr_stream_free(st);
}

/* The end of a closed file (its ROTATE) leads to the next file's header. */
static void test_rotation(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    t_new_file(f->s, true);
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_stream_opts o = file_opts();
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 1, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    /* ROTATE FDE GTID_LIST G Q X ROTATE(real) | ROTATE FDE GTID_LIST G Q X | EOF */
    assert_int_equal(f->p.n, 14);
    binlog_event real = t_event(&f->p, 6, true);
    assert_int_equal(real.h.type, BINLOG_ROTATE_EVENT);
    assert_int_equal(real.h.flags & BINLOG_F_ARTIFICIAL, 0);
    assert_int_equal(real.h.log_pos, (uint32_t)blr_store_file_size(f->s, 1));
    check_rotate(&f->p, 7, "binlog.000002", 4, true); /* later fake ROTATEs follow the file */
    assert_int_equal(t_type(&f->p, 8), BINLOG_FORMAT_DESCRIPTION_EVENT);
    binlog_event fde = t_event(&f->p, 8, true);
    binlog_fde fd;
    binlog_fde_decode(&fde, &fd);
    assert_int_not_equal(fd.create_ts, 0); /* file mode keeps create_ts */
    assert_int_equal(t_type(&f->p, 9), BINLOG_GTID_LIST_EVENT);
    assert_int_equal(gtid_of(&f->p, 10, true).seq, 2);
    check_eof(&f->p, 13);
    check_seqs(&f->p, 1);
    uint32_t no;
    uint64_t off;
    blr_stream_where(st, &no, &off);
    assert_int_equal(no, 2);
    assert_int_equal(off, (uint64_t)blr_store_file_size(f->s, 2));
    /* The file being read is pinned, the one left behind is not. */
    assert_int_equal(blr_store_purge_to(f->s, 2, err, sizeof(err)), 0);
    assert_int_equal(blr_store_purge_to(f->s, 3, err, sizeof(err)), -1);
    blr_stream_free(st);
}

/* A blocking dump waits at the visible end, continues after commits and across a new file. */
static void test_tail_and_heartbeat(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    blr_stream_opts o = file_opts();
    o.non_block = false;
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 0, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    assert_int_equal(f->p.n, 6);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    assert_int_equal(f->p.n, 6);
    t_group(f->s, 0, 2, "INSERT 2", true);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    assert_int_equal(f->p.n, 9);
    assert_int_equal(gtid_of(&f->p, 6, true).seq, 2);
    blr_stream_heartbeat(st, f->out);
    collect(f);
    binlog_event hb = t_event(&f->p, 9, true);
    assert_int_equal(hb.h.type, BINLOG_HEARTBEAT_EVENT);
    assert_int_equal(hb.h.timestamp, 0);
    assert_int_equal(hb.h.flags, 0);
    assert_int_equal(hb.h.log_pos, blr_store_visible(f->s, NULL).offset);
    binlog_name n;
    assert_int_equal(binlog_heartbeat_decode(&hb, &n), PROTO_OK);
    assert_memory_equal(n.name, "binlog.000001", 13);
    assert_true(binlog_event_crc_ok(&hb));
    t_new_file(f->s, true);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    assert_int_equal(t_type(&f->p, 10), BINLOG_ROTATE_EVENT); /* the real one */
    check_rotate(&f->p, 11, "binlog.000002", 4, true);
    assert_int_equal(t_type(&f->p, 12), BINLOG_FORMAT_DESCRIPTION_EVENT);
    assert_int_equal(t_type(&f->p, 13), BINLOG_GTID_LIST_EVENT);
    assert_int_equal(f->p.n, 14);
    check_seqs(&f->p, 0);
    blr_stream_free(st);
}

/* A slow client: the stream stops at the high-water mark and resumes identically. */
static void test_backpressure(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    for (int i = 1; i <= 50; i++)
        t_group(f->s, 0, (uint64_t)i, "INSERT INTO t VALUES (1), (2), (3)", true);
    blr_stream_opts o = file_opts();
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 1, err, sizeof(err));
    int fulls = 0;
    blr_stream_rc rc;
    while ((rc = blr_stream_pump(st, f->out, 200, err, sizeof(err))) == BLR_STREAM_FULL) {
        assert_true(evbuffer_get_length(f->out) < 200 + 400);
        fulls++;
        collect(f);
    }
    collect(f);
    assert_int_equal(rc, BLR_STREAM_DONE);
    assert_true(fulls > 20);
    assert_int_equal(f->p.n, 3 + 150 + 1);
    check_seqs(&f->p, 1);
    blr_stream_free(st);
}

static char *big_text(size_t n)
{
    char *q = malloc(n);
    memcpy(q, "INSERT INTO t VALUES ('", 23);
    memset(q + 23, 'x', n - 25);
    memcpy(q + n - 2, "')", 2);
    return q;
}

/* Events larger than a piece, and larger than one packet (16 MiB), then one large enough to
 * be sent as a reference in zero-copy mode. */
static void big_events(void **state, bool zero_copy)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    size_t sizes[] = {300 * 1024, 17 * 1024 * 1024, (size_t)PROTO_MAX_CHUNK - 1 - 19 - 4 - 13 - 1,
                      5000};
    for (int i = 0; i < 4; i++) {
        char *q = big_text(sizes[i]);
        gtid_t g = {0, T_SERVER_ID, (uint64_t)i + 1};
        t_group_uncommitted(f->s, g, q, sizes[i], true);
        free(q);
        assert_int_equal(blr_store_commit(f->s, &g, (char[256]){0}, 256), 0);
    }
    blr_stream_opts o = file_opts();
    o.zero_copy = zero_copy;
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 250, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    assert_int_equal(f->p.n, 3 + 12 + 1);
    size_t flen;
    uint8_t *file = read_file(f, 1, &flen);
    size_t at = 4;
    for (size_t i = 1; i + 1 < f->p.n; i++) {
        assert_int_equal(f->p.v[i].payload[0], 0);
        assert_memory_equal(f->p.v[i].payload + 1, file + at, f->p.v[i].len - 1);
        at += f->p.v[i].len - 1;
    }
    assert_int_equal(at, flen);
    /* The 17 MiB event took two chunks (two sequence numbers); the third event's payload
     * is exactly 0xffffff bytes, so an empty chunk follows it. */
    assert_int_equal(f->p.v[8].seq, (uint8_t)(f->p.v[7].seq + 2));
    assert_int_equal(f->p.v[10].len, PROTO_MAX_CHUNK);
    assert_int_equal(f->p.v[11].seq, (uint8_t)(f->p.v[10].seq + 2));
    check_eof(&f->p, f->p.n - 1);
    free(file);
    blr_stream_free(st);
}

static void test_big_events(void **state)
{
    big_events(state, false);
}

/* The same bytes when the file's bytes go out as references (a plain socket). */
static void test_big_events_zero_copy(void **state)
{
    big_events(state, true);
}

/* A big event inside a group the replica has is skipped without being read whole. */
static void test_big_event_skipped(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 2, 1, "d2 1", true);
    char *q = big_text(600 * 1024);
    gtid_t g = {1, T_SERVER_ID, 1};
    t_group_uncommitted(f->s, g, q, 600 * 1024, true);
    free(q);
    char err[512];
    assert_int_equal(blr_store_commit(f->s, &g, err, sizeof(err)), 0);
    t_group(f->s, 2, 2, "d2 2", true);
    gtid_pos start = t_pos("1-7000-1,2-7000-0");
    blr_pos at;
    assert_int_equal(blr_store_locate(f->s, &start, &at, err, sizeof(err)), BLR_LOCATE_OK);
    blr_stream_opts o = file_opts();
    o.gtid_mode = true;
    o.start = &start;
    blr_stream *st = blr_stream_new(f->s, &o, at.file_no, at.offset, 1, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    size_t ngtid = 0;
    for (size_t i = 0; i < f->p.n; i++) {
        assert_true(f->p.v[i].len < 64 * 1024);
        if (t_type(&f->p, i) == BINLOG_GTID_EVENT) {
            assert_int_equal(gtid_of(&f->p, i, true).domain, 2);
            ngtid++;
        }
    }
    assert_int_equal(ngtid, 2);
    blr_stream_free(st);
}

static void annotate(proto_buf *b, const char *text)
{
    binlog_header h = t_hdr(1700000100);
    size_t off = binlog_event_begin(b, &h, BINLOG_ANNOTATE_ROWS_EVENT);
    proto_put_bytes(b, text, strlen(text));
    binlog_event_end(b, off, true);
}

static void test_annotate_filter(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    proto_buf b;
    proto_buf_init(&b);
    binlog_header h = t_hdr(1700000100);
    binlog_gtid bg = {.gtid = {0, T_SERVER_ID, 1}, .flags2 = BINLOG_FL_TRANSACTIONAL};
    binlog_write_gtid(&b, &h, &bg, true);
    t_append(f->s, &b);
    annotate(&b, "INSERT INTO t VALUES (1)");
    t_append(f->s, &b);
    binlog_write_xid(&b, &h, 1, true);
    t_append(f->s, &b);
    proto_buf_free(&b);
    char err[256];
    assert_int_equal(blr_store_commit(f->s, &bg.gtid, err, sizeof(err)), 0);
    for (int want = 0; want < 2; want++) {
        blr_stream_opts o = file_opts();
        o.send_annotate = want;
        blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 1, err, sizeof(err));
        assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
        bool seen = false;
        for (size_t i = 0; i < f->p.n; i++)
            seen |= t_type(&f->p, i) == BINLOG_ANNOTATE_ROWS_EVENT;
        assert_int_equal(seen, want);
        t_free_packets(&f->p);
        blr_stream_free(st);
    }
}

/* File mode from a position: FDE with log_pos 0 and create_ts 0, then events from there. */
static void test_file_mode_position(void **state)
{
    fixture *f = *state;
    t_new_file(f->s, true);
    t_group(f->s, 0, 1, "INSERT 1", true);
    uint64_t pos = blr_store_visible(f->s, NULL).offset;
    t_group(f->s, 0, 2, "INSERT 2", true);
    blr_stream_opts o = file_opts();
    o.start_pos = pos;
    o.replica_crc = true;
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 1, pos, 1, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_DONE);
    assert_int_equal(f->p.n, 2 + 3 + 1);
    check_rotate(&f->p, 0, "binlog.000001", pos, true);
    binlog_event fde = t_event(&f->p, 1, true);
    binlog_fde fd;
    binlog_fde_decode(&fde, &fd);
    assert_int_equal(fde.h.log_pos, 0);
    assert_int_equal(fd.create_ts, 0);
    assert_true(binlog_event_crc_ok(&fde));
    assert_int_equal(gtid_of(&f->p, 2, true).seq, 2);
    blr_stream_free(st);
    /* Not an event boundary inside the header: refused. */
    t_free_packets(&f->p);
    o.start_pos = 10;
    st = blr_stream_new(f->s, &o, 1, 10, 1, err, sizeof(err));
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_ERROR);
    blr_stream_free(st);
}

static void test_errors(void **state)
{
    fixture *f = *state;
    blr_stream_opts o = file_opts();
    char err[256];
    assert_null(blr_stream_new(f->s, &o, 9, 4, 1, err, sizeof(err)));
    assert_non_null(strstr(err, "binlog.000009"));
    t_new_file(f->s, true);
    o.checksum_aware = false;
    blr_stream *st = blr_stream_new(f->s, &o, 1, 4, 1, err, sizeof(err));
    assert_int_equal(blr_stream_pump(st, f->out, 1 << 20, err, sizeof(err)), BLR_STREAM_ERROR);
    assert_non_null(strstr(err, "Slave can not handle replication events with the checksum"));
    blr_stream_free(st);
}

/* A dump on an empty relay waits for its first file. */
static void test_waits_for_first_file(void **state)
{
    fixture *f = *state;
    blr_stream_opts o = file_opts();
    o.non_block = false;
    char err[256];
    blr_stream *st = blr_stream_new(f->s, &o, 0, 4, 1, err, sizeof(err));
    assert_non_null(st);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    blr_stream_heartbeat(st, f->out); /* nothing to name yet */
    collect(f);
    assert_int_equal(f->p.n, 0);
    t_new_file(f->s, false);
    t_group(f->s, 0, 1, "INSERT 1", false);
    assert_int_equal(pump(f, st, 1 << 20), BLR_STREAM_IDLE);
    assert_int_equal(f->p.n, 6);
    check_rotate(&f->p, 0, "binlog.000001", 4, false);
    assert_int_equal(gtid_of(&f->p, 3, false).seq, 1);
    blr_stream_free(st);
}

int main(void)
{
    alarm(300); /* never hang a test run */
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_file_mode_whole_file, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gtid_mode_header, setup, teardown),
        cmocka_unit_test_setup_teardown(test_gtid_skip_per_domain, setup, teardown),
        cmocka_unit_test_setup_teardown(test_rotation, setup, teardown),
        cmocka_unit_test_setup_teardown(test_tail_and_heartbeat, setup, teardown),
        cmocka_unit_test_setup_teardown(test_backpressure, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_events, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_events_zero_copy, setup, teardown),
        cmocka_unit_test_setup_teardown(test_big_event_skipped, setup, teardown),
        cmocka_unit_test_setup_teardown(test_annotate_filter, setup, teardown),
        cmocka_unit_test_setup_teardown(test_file_mode_position, setup, teardown),
        cmocka_unit_test_setup_teardown(test_errors, setup, teardown),
        cmocka_unit_test_setup_teardown(test_waits_for_first_file, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
