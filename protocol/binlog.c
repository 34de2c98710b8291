/*
 * binlog.c: MariaDB binlog event codecs for the binlog relay: header, CRC32
 * trailer, FORMAT_DESCRIPTION, ROTATE, GTID, GTID_LIST, BINLOG_CHECKPOINT,
 * HEARTBEAT, XID and QUERY decoders and builders, query classification and
 * the event-group tracker. Pure functions over buffers; the CRC is zlib's.
 */
#include "protocol/binlog.h"

#include <string.h>
#include <strings.h>
#include <zlib.h>

#include "protocol/packet.h"

/* Offsets in the common header. */
#define OFF_TYPE       4
#define OFF_EVENT_SIZE 9
#define OFF_LOG_POS    13
#define OFF_FLAGS      17

/* Rows events: the flags after the 6-byte table id; STMT_END_F ends the statement. */
#define ROWS_FLAGS_OFF  6
#define ROWS_STMT_END_F 0x0001

static const char *const TYPE_NAMES[] = {
    [BINLOG_UNKNOWN_EVENT] = "UNKNOWN",
    [BINLOG_START_EVENT_V3] = "START_V3",
    [BINLOG_QUERY_EVENT] = "QUERY",
    [BINLOG_STOP_EVENT] = "STOP",
    [BINLOG_ROTATE_EVENT] = "ROTATE",
    [BINLOG_INTVAR_EVENT] = "INTVAR",
    [BINLOG_LOAD_EVENT] = "LOAD",
    [BINLOG_SLAVE_EVENT] = "SLAVE",
    [BINLOG_CREATE_FILE_EVENT] = "CREATE_FILE",
    [BINLOG_APPEND_BLOCK_EVENT] = "APPEND_BLOCK",
    [BINLOG_EXEC_LOAD_EVENT] = "EXEC_LOAD",
    [BINLOG_DELETE_FILE_EVENT] = "DELETE_FILE",
    [BINLOG_NEW_LOAD_EVENT] = "NEW_LOAD",
    [BINLOG_RAND_EVENT] = "RAND",
    [BINLOG_USER_VAR_EVENT] = "USER_VAR",
    [BINLOG_FORMAT_DESCRIPTION_EVENT] = "FORMAT_DESCRIPTION",
    [BINLOG_XID_EVENT] = "XID",
    [BINLOG_BEGIN_LOAD_QUERY_EVENT] = "BEGIN_LOAD_QUERY",
    [BINLOG_EXECUTE_LOAD_QUERY_EVENT] = "EXECUTE_LOAD_QUERY",
    [BINLOG_TABLE_MAP_EVENT] = "TABLE_MAP",
    [BINLOG_PRE_GA_WRITE_ROWS_EVENT] = "PRE_GA_WRITE_ROWS",
    [BINLOG_PRE_GA_UPDATE_ROWS_EVENT] = "PRE_GA_UPDATE_ROWS",
    [BINLOG_PRE_GA_DELETE_ROWS_EVENT] = "PRE_GA_DELETE_ROWS",
    [BINLOG_WRITE_ROWS_EVENT_V1] = "WRITE_ROWS_V1",
    [BINLOG_UPDATE_ROWS_EVENT_V1] = "UPDATE_ROWS_V1",
    [BINLOG_DELETE_ROWS_EVENT_V1] = "DELETE_ROWS_V1",
    [BINLOG_INCIDENT_EVENT] = "INCIDENT",
    [BINLOG_HEARTBEAT_EVENT] = "HEARTBEAT",
    [BINLOG_IGNORABLE_EVENT] = "IGNORABLE",
    [BINLOG_ROWS_QUERY_EVENT] = "ROWS_QUERY",
    [BINLOG_WRITE_ROWS_EVENT] = "WRITE_ROWS",
    [BINLOG_UPDATE_ROWS_EVENT] = "UPDATE_ROWS",
    [BINLOG_DELETE_ROWS_EVENT] = "DELETE_ROWS",
    [BINLOG_MYSQL_GTID_EVENT] = "MYSQL_GTID",
    [BINLOG_MYSQL_ANONYMOUS_GTID_EVENT] = "MYSQL_ANONYMOUS_GTID",
    [BINLOG_MYSQL_PREVIOUS_GTIDS_EVENT] = "MYSQL_PREVIOUS_GTIDS",
    [BINLOG_MYSQL_TRANSACTION_CONTEXT_EVENT] = "MYSQL_TRANSACTION_CONTEXT",
    [BINLOG_MYSQL_VIEW_CHANGE_EVENT] = "MYSQL_VIEW_CHANGE",
    [BINLOG_XA_PREPARE_EVENT] = "XA_PREPARE",
    [BINLOG_MYSQL_PARTIAL_UPDATE_ROWS_EVENT] = "MYSQL_PARTIAL_UPDATE_ROWS",
    [BINLOG_MYSQL_TRANSACTION_PAYLOAD_EVENT] = "MYSQL_TRANSACTION_PAYLOAD",
    [BINLOG_MYSQL_HEARTBEAT_EVENT_V2] = "MYSQL_HEARTBEAT_V2",
    [BINLOG_ANNOTATE_ROWS_EVENT] = "ANNOTATE_ROWS",
    [BINLOG_CHECKPOINT_EVENT] = "BINLOG_CHECKPOINT",
    [BINLOG_GTID_EVENT] = "GTID",
    [BINLOG_GTID_LIST_EVENT] = "GTID_LIST",
    [BINLOG_START_ENCRYPTION_EVENT] = "START_ENCRYPTION",
    [BINLOG_QUERY_COMPRESSED_EVENT] = "QUERY_COMPRESSED",
    [BINLOG_WRITE_ROWS_COMPRESSED_EVENT_V1] = "WRITE_ROWS_COMPRESSED_V1",
    [BINLOG_UPDATE_ROWS_COMPRESSED_EVENT_V1] = "UPDATE_ROWS_COMPRESSED_V1",
    [BINLOG_DELETE_ROWS_COMPRESSED_EVENT_V1] = "DELETE_ROWS_COMPRESSED_V1",
    [BINLOG_WRITE_ROWS_COMPRESSED_EVENT] = "WRITE_ROWS_COMPRESSED",
    [BINLOG_UPDATE_ROWS_COMPRESSED_EVENT] = "UPDATE_ROWS_COMPRESSED",
    [BINLOG_DELETE_ROWS_COMPRESSED_EVENT] = "DELETE_ROWS_COMPRESSED",
};

/* Post-header lengths of MariaDB 10.11's FORMAT_DESCRIPTION, indexed by type - 1. */
static const uint8_t POST_HEADER_LEN_10_11[BINLOG_DELETE_ROWS_COMPRESSED_EVENT] = {
    [BINLOG_START_EVENT_V3 - 1] = 56,
    [BINLOG_QUERY_EVENT - 1] = 13,
    [BINLOG_ROTATE_EVENT - 1] = 8,
    [BINLOG_LOAD_EVENT - 1] = 18,
    [BINLOG_CREATE_FILE_EVENT - 1] = 4,
    [BINLOG_APPEND_BLOCK_EVENT - 1] = 4,
    [BINLOG_EXEC_LOAD_EVENT - 1] = 4,
    [BINLOG_DELETE_FILE_EVENT - 1] = 4,
    [BINLOG_NEW_LOAD_EVENT - 1] = 18,
    [BINLOG_FORMAT_DESCRIPTION_EVENT - 1] = 228,
    [BINLOG_BEGIN_LOAD_QUERY_EVENT - 1] = 4,
    [BINLOG_EXECUTE_LOAD_QUERY_EVENT - 1] = 26,
    [BINLOG_TABLE_MAP_EVENT - 1] = 8,
    [BINLOG_WRITE_ROWS_EVENT_V1 - 1] = 8,
    [BINLOG_UPDATE_ROWS_EVENT_V1 - 1] = 8,
    [BINLOG_DELETE_ROWS_EVENT_V1 - 1] = 8,
    [BINLOG_INCIDENT_EVENT - 1] = 2,
    [BINLOG_WRITE_ROWS_EVENT - 1] = 10,
    [BINLOG_UPDATE_ROWS_EVENT - 1] = 10,
    [BINLOG_DELETE_ROWS_EVENT - 1] = 10,
    [39 - 1] = 10,
    [40 - 1] = 10,
    [41 - 1] = 10,
    [BINLOG_CHECKPOINT_EVENT - 1] = 4,
    [BINLOG_GTID_EVENT - 1] = 19,
    [BINLOG_GTID_LIST_EVENT - 1] = 4,
    [BINLOG_QUERY_COMPRESSED_EVENT - 1] = 13,
    [BINLOG_WRITE_ROWS_COMPRESSED_EVENT_V1 - 1] = 8,
    [BINLOG_UPDATE_ROWS_COMPRESSED_EVENT_V1 - 1] = 8,
    [BINLOG_DELETE_ROWS_COMPRESSED_EVENT_V1 - 1] = 8,
    [BINLOG_WRITE_ROWS_COMPRESSED_EVENT - 1] = 10,
    [BINLOG_UPDATE_ROWS_COMPRESSED_EVENT - 1] = 10,
    [BINLOG_DELETE_ROWS_COMPRESSED_EVENT - 1] = 10,
};

const char *binlog_type_name(uint8_t type)
{
    size_t n = sizeof TYPE_NAMES / sizeof TYPE_NAMES[0];
    return type < n && TYPE_NAMES[type] ? TYPE_NAMES[type] : "UNKNOWN";
}

bool binlog_magic_ok(const uint8_t *p, size_t len)
{
    return len >= BINLOG_MAGIC_LEN && memcmp(p, BINLOG_MAGIC, BINLOG_MAGIC_LEN) == 0;
}

/* ---- checksums and raw header access ---- */

static void store_u16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)v;
    p[1] = (uint8_t)(v >> 8);
}

static void store_u32(uint8_t *p, uint32_t v)
{
    store_u16(p, (uint16_t)v);
    store_u16(p + 2, (uint16_t)(v >> 16));
}

static uint64_t load_u64(const uint8_t *p)
{
    return (uint64_t)proto_load_u32(p) | (uint64_t)proto_load_u32(p + 4) << 32;
}

uint32_t binlog_crc32(const void *p, size_t n)
{
    const Bytef *b = p;
    uLong crc = crc32(0L, Z_NULL, 0);
    while (n > 0) {
        uInt chunk = n > 0x40000000u ? 0x40000000u : (uInt)n;
        crc = crc32(crc, b, chunk);
        b += chunk;
        n -= chunk;
    }
    return (uint32_t)crc;
}

bool binlog_crc_ok(const uint8_t *ev, size_t len)
{
    if (len < BINLOG_CHECKSUM_LEN)
        return false;
    size_t n = len - BINLOG_CHECKSUM_LEN;
    return binlog_crc32(ev, n) == proto_load_u32(ev + n);
}

void binlog_crc_store(uint8_t *ev, size_t len)
{
    if (len < BINLOG_CHECKSUM_LEN)
        return;
    size_t n = len - BINLOG_CHECKSUM_LEN;
    store_u32(ev + n, binlog_crc32(ev, n));
}

int binlog_header_decode(const uint8_t *p, size_t len, binlog_header *h)
{
    if (len < BINLOG_HEADER_LEN)
        return PROTO_NEED_MORE;
    h->timestamp = proto_load_u32(p);
    h->type = p[OFF_TYPE];
    h->server_id = proto_load_u32(p + 5);
    h->event_size = proto_load_u32(p + OFF_EVENT_SIZE);
    h->log_pos = proto_load_u32(p + OFF_LOG_POS);
    h->flags = proto_load_u16(p + OFF_FLAGS);
    return PROTO_OK;
}

void binlog_header_encode(uint8_t out[BINLOG_HEADER_LEN], const binlog_header *h)
{
    store_u32(out, h->timestamp);
    out[OFF_TYPE] = h->type;
    store_u32(out + 5, h->server_id);
    store_u32(out + OFF_EVENT_SIZE, h->event_size);
    store_u32(out + OFF_LOG_POS, h->log_pos);
    store_u16(out + OFF_FLAGS, h->flags);
}

int binlog_event_parse(const uint8_t *p, size_t avail, bool crc, binlog_event *ev)
{
    int rc = binlog_header_decode(p, avail, &ev->h);
    if (rc != PROTO_OK)
        return rc;
    bool trailer = crc || ev->h.type == BINLOG_FORMAT_DESCRIPTION_EVENT;
    size_t min = BINLOG_HEADER_LEN + (trailer ? BINLOG_CHECKSUM_LEN : 0);
    if (ev->h.event_size < min)
        return PROTO_BAD;
    if (ev->h.event_size > avail)
        return PROTO_NEED_MORE;
    ev->data = p;
    ev->body = p + BINLOG_HEADER_LEN;
    ev->body_len = ev->h.event_size - min;
    ev->has_crc = trailer;
    return PROTO_OK;
}

bool binlog_event_crc_ok(const binlog_event *ev)
{
    if (!ev->has_crc)
        return true;
    if (ev->h.type == BINLOG_FORMAT_DESCRIPTION_EVENT &&
        (ev->body_len == 0 || ev->body[ev->body_len - 1] != BINLOG_CHECKSUM_CRC32))
        return true;
    return binlog_crc_ok(ev->data, ev->h.event_size);
}

/* Stores the width-byte v at off in the header of a whole event; recomputes the CRC if crc. */
static void patch_header(uint8_t *ev, size_t len, size_t off, uint32_t v, size_t width, bool crc)
{
    if (len < BINLOG_HEADER_LEN)
        return;
    for (size_t i = 0; i < width; i++)
        ev[off + i] = (uint8_t)(v >> (8 * i));
    if (crc)
        binlog_crc_store(ev, len);
}

void binlog_event_set_log_pos(uint8_t *ev, size_t len, uint32_t log_pos, bool crc)
{
    patch_header(ev, len, OFF_LOG_POS, log_pos, 4, crc);
}

void binlog_event_set_flags(uint8_t *ev, size_t len, uint16_t flags, bool crc)
{
    patch_header(ev, len, OFF_FLAGS, flags, 2, crc);
}

/* ---- builder ---- */

size_t binlog_event_begin(proto_buf *b, const binlog_header *h, uint8_t type)
{
    binlog_header hh = *h;
    hh.type = type;
    hh.event_size = 0;
    size_t off = b->len;
    binlog_header_encode(proto_buf_reserve(b, BINLOG_HEADER_LEN), &hh);
    b->len += BINLOG_HEADER_LEN;
    return off;
}

void binlog_event_end(proto_buf *b, size_t off, bool crc)
{
    size_t size = b->len - off + (crc ? BINLOG_CHECKSUM_LEN : 0);
    store_u32(b->data + off + OFF_EVENT_SIZE, (uint32_t)size);
    if (crc)
        proto_put_u32(b, binlog_crc32(b->data + off, b->len - off));
}

/* A reader over the body of ev; one already bad (reads fail) if ev is not of the wanted type. */
static proto_rd body_reader(const binlog_event *ev, uint8_t type)
{
    proto_rd r = proto_rd_init(ev->body, ev->body_len);
    if (ev->h.type != type)
        proto_get_bytes(&r, ev->body_len + 1);
    return r;
}

static int rd_status(const proto_rd *r)
{
    return r->bad ? PROTO_BAD : PROTO_OK;
}

/* ---- FORMAT_DESCRIPTION ---- */

int binlog_fde_decode(const binlog_event *ev, binlog_fde *f)
{
    proto_rd r = body_reader(ev, BINLOG_FORMAT_DESCRIPTION_EVENT);
    f->binlog_version = proto_get_u16(&r);
    const uint8_t *ver = proto_get_bytes(&r, BINLOG_SERVER_VER_LEN);
    f->create_ts = proto_get_u32(&r);
    f->header_len = proto_get_u8(&r);
    size_t left = proto_rd_left(&r);
    f->n_post_header_len = left > 0 ? left - 1 : 0;
    f->post_header_len = proto_get_bytes(&r, f->n_post_header_len);
    f->checksum_alg = proto_get_u8(&r);
    if (r.bad || f->header_len != BINLOG_HEADER_LEN)
        return PROTO_BAD;
    memcpy(f->server_version, ver, BINLOG_SERVER_VER_LEN);
    f->server_version[BINLOG_SERVER_VER_LEN] = '\0';
    return PROTO_OK;
}

void binlog_fde_init(binlog_fde *f, const char *server_version, uint32_t create_ts,
                     uint8_t checksum_alg)
{
    f->binlog_version = 4;
    size_t n = strlen(server_version);
    memset(f->server_version, 0, sizeof f->server_version);
    memcpy(f->server_version, server_version,
           n < BINLOG_SERVER_VER_LEN ? n : BINLOG_SERVER_VER_LEN);
    f->create_ts = create_ts;
    f->header_len = BINLOG_HEADER_LEN;
    f->post_header_len = POST_HEADER_LEN_10_11;
    f->n_post_header_len = sizeof POST_HEADER_LEN_10_11;
    f->checksum_alg = checksum_alg;
}

void binlog_write_fde(proto_buf *b, const binlog_header *h, const binlog_fde *f)
{
    size_t off = binlog_event_begin(b, h, BINLOG_FORMAT_DESCRIPTION_EVENT);
    proto_put_u16(b, f->binlog_version);
    proto_put_bytes(b, f->server_version, BINLOG_SERVER_VER_LEN);
    proto_put_u32(b, f->create_ts);
    proto_put_u8(b, f->header_len);
    proto_put_bytes(b, f->post_header_len, f->n_post_header_len);
    proto_put_u8(b, f->checksum_alg);
    binlog_event_end(b, off, true);
}

/* ---- ROTATE ---- */

int binlog_rotate_decode(const binlog_event *ev, binlog_rotate *r)
{
    proto_rd rd = body_reader(ev, BINLOG_ROTATE_EVENT);
    r->pos = proto_get_u64(&rd);
    r->name = (const char *)proto_get_rest(&rd, &r->name_len);
    return rd_status(&rd);
}

void binlog_write_rotate(proto_buf *b, const binlog_header *h, uint64_t pos, const char *name,
                         size_t name_len, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_ROTATE_EVENT);
    proto_put_u64(b, pos);
    proto_put_bytes(b, name, name_len);
    binlog_event_end(b, off, crc);
}

/* ---- GTID ---- */

#define XA_PART_MAX 64 /* MariaDB's MAXGTRIDSIZE and MAXBQUALSIZE */

static void gtid_decode_xa(proto_rd *r, binlog_gtid *g)
{
    g->xa_format_id = proto_get_u32(r);
    g->xa_gtrid_len = proto_get_u8(r);
    g->xa_bqual_len = proto_get_u8(r);
    if (g->xa_gtrid_len > XA_PART_MAX || g->xa_bqual_len > XA_PART_MAX)
        proto_get_bytes(r, proto_rd_left(r) + 1);
    g->xa_data = proto_get_bytes(r, (size_t)g->xa_gtrid_len + g->xa_bqual_len);
}

/* The optional flags_extra byte (in the zero padding when nothing else is there). */
static void gtid_decode_extra(proto_rd *r, binlog_gtid *g)
{
    if (r->bad || proto_rd_left(r) == 0)
        return;
    g->flags_extra = proto_get_u8(r);
    if (g->flags_extra & BINLOG_FL_EXTRA_MULTI_ENGINE)
        g->extra_engines = proto_get_u8(r);
    if (g->flags_extra & (BINLOG_FL_COMMIT_ALTER | BINLOG_FL_ROLLBACK_ALTER))
        g->sa_seq_no = proto_get_u64(r);
}

int binlog_gtid_decode(const binlog_event *ev, binlog_gtid *g)
{
    memset(g, 0, sizeof *g);
    proto_rd r = body_reader(ev, BINLOG_GTID_EVENT);
    if (ev->body_len < BINLOG_GTID_HEADER_LEN)
        return PROTO_BAD;
    g->gtid.seq = proto_get_u64(&r);
    g->gtid.domain = proto_get_u32(&r);
    g->gtid.server_id = ev->h.server_id;
    g->flags2 = proto_get_u8(&r);
    if (g->flags2 & BINLOG_FL_GROUP_COMMIT_ID)
        g->commit_id = proto_get_u64(&r);
    if (g->flags2 & (BINLOG_FL_PREPARED_XA | BINLOG_FL_COMPLETED_XA))
        gtid_decode_xa(&r, g);
    gtid_decode_extra(&r, g);
    g->body_len = ev->body_len;
    return rd_status(&r);
}

void binlog_write_gtid(proto_buf *b, const binlog_header *h, const binlog_gtid *g, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_GTID_EVENT);
    proto_put_u64(b, g->gtid.seq);
    proto_put_u32(b, g->gtid.domain);
    proto_put_u8(b, g->flags2);
    if (g->flags2 & BINLOG_FL_GROUP_COMMIT_ID)
        proto_put_u64(b, g->commit_id);
    if (g->flags2 & (BINLOG_FL_PREPARED_XA | BINLOG_FL_COMPLETED_XA)) {
        proto_put_u32(b, g->xa_format_id);
        proto_put_u8(b, g->xa_gtrid_len);
        proto_put_u8(b, g->xa_bqual_len);
        proto_put_bytes(b, g->xa_data, (size_t)g->xa_gtrid_len + g->xa_bqual_len);
    }
    if (g->flags_extra) {
        proto_put_u8(b, g->flags_extra);
        if (g->flags_extra & BINLOG_FL_EXTRA_MULTI_ENGINE)
            proto_put_u8(b, g->extra_engines);
        if (g->flags_extra & (BINLOG_FL_COMMIT_ALTER | BINLOG_FL_ROLLBACK_ALTER))
            proto_put_u64(b, g->sa_seq_no);
    }
    size_t body = b->len - off - BINLOG_HEADER_LEN;
    if (body < BINLOG_GTID_HEADER_LEN)
        proto_put_zero(b, BINLOG_GTID_HEADER_LEN - body);
    binlog_event_end(b, off, crc);
}

/* ---- GTID_LIST ---- */

#define GTID_LIST_ENTRY_LEN 16

int binlog_gtid_list_decode(const binlog_event *ev, binlog_gtid_list *l)
{
    proto_rd r = body_reader(ev, BINLOG_GTID_LIST_EVENT);
    uint32_t v = proto_get_u32(&r);
    l->count = v & BINLOG_GTID_LIST_COUNT_MASK;
    l->flags = v & BINLOG_GTID_LIST_FLAG_MASK;
    l->list = NULL;
    if (l->count > proto_rd_left(&r) / GTID_LIST_ENTRY_LEN)
        return PROTO_BAD;
    l->list = proto_get_bytes(&r, (size_t)l->count * GTID_LIST_ENTRY_LEN);
    return rd_status(&r);
}

void binlog_gtid_list_at(const binlog_gtid_list *l, uint32_t i, gtid_t *g)
{
    const uint8_t *p = l->list + (size_t)i * GTID_LIST_ENTRY_LEN;
    g->domain = proto_load_u32(p);
    g->server_id = proto_load_u32(p + 4);
    g->seq = load_u64(p + 8);
}

int binlog_gtid_list_to_pos(const binlog_gtid_list *l, gtid_pos *p)
{
    gtid_pos_init(p);
    for (uint32_t i = 0; i < l->count; i++) {
        gtid_t g;
        binlog_gtid_list_at(l, i, &g);
        if (gtid_pos_set(p, &g) != PROTO_OK)
            return PROTO_BAD;
    }
    return PROTO_OK;
}

void binlog_write_gtid_list(proto_buf *b, const binlog_header *h, const gtid_t *list,
                            uint32_t count, uint32_t flags, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_GTID_LIST_EVENT);
    proto_put_u32(b, (count & BINLOG_GTID_LIST_COUNT_MASK) | (flags & BINLOG_GTID_LIST_FLAG_MASK));
    for (uint32_t i = 0; i < count; i++) {
        proto_put_u32(b, list[i].domain);
        proto_put_u32(b, list[i].server_id);
        proto_put_u64(b, list[i].seq);
    }
    binlog_event_end(b, off, crc);
}

/* ---- BINLOG_CHECKPOINT, HEARTBEAT ---- */

int binlog_checkpoint_decode(const binlog_event *ev, binlog_name *n)
{
    proto_rd r = body_reader(ev, BINLOG_CHECKPOINT_EVENT);
    n->name_len = proto_get_u32(&r);
    n->name = (const char *)proto_get_bytes(&r, n->name_len);
    if (r.bad)
        n->name_len = 0;
    return rd_status(&r);
}

void binlog_write_checkpoint(proto_buf *b, const binlog_header *h, const char *name,
                             size_t name_len, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_CHECKPOINT_EVENT);
    proto_put_u32(b, (uint32_t)name_len);
    proto_put_bytes(b, name, name_len);
    binlog_event_end(b, off, crc);
}

int binlog_heartbeat_decode(const binlog_event *ev, binlog_name *n)
{
    proto_rd r = body_reader(ev, BINLOG_HEARTBEAT_EVENT);
    n->name = (const char *)proto_get_rest(&r, &n->name_len);
    return rd_status(&r);
}

void binlog_write_heartbeat(proto_buf *b, const binlog_header *h, const char *name, size_t name_len,
                            bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_HEARTBEAT_EVENT);
    proto_put_bytes(b, name, name_len);
    binlog_event_end(b, off, crc);
}

/* ---- XID ---- */

int binlog_xid_decode(const binlog_event *ev, uint64_t *xid)
{
    proto_rd r = body_reader(ev, BINLOG_XID_EVENT);
    *xid = proto_get_u64(&r);
    return rd_status(&r);
}

void binlog_write_xid(proto_buf *b, const binlog_header *h, uint64_t xid, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_XID_EVENT);
    proto_put_u64(b, xid);
    binlog_event_end(b, off, crc);
}

/* ---- QUERY ---- */

int binlog_query_decode(const binlog_event *ev, binlog_query *q)
{
    q->compressed = ev->h.type == BINLOG_QUERY_COMPRESSED_EVENT;
    proto_rd r =
        body_reader(ev, q->compressed ? BINLOG_QUERY_COMPRESSED_EVENT : BINLOG_QUERY_EVENT);
    q->thread_id = proto_get_u32(&r);
    q->exec_time = proto_get_u32(&r);
    q->db_len = proto_get_u8(&r);
    q->error_code = proto_get_u16(&r);
    q->status_vars_len = proto_get_u16(&r);
    q->status_vars = proto_get_bytes(&r, q->status_vars_len);
    q->db = (const char *)proto_get_bytes(&r, q->db_len);
    proto_get_u8(&r); /* the db's NUL */
    q->query = (const char *)proto_get_rest(&r, &q->query_len);
    return rd_status(&r);
}

void binlog_write_query(proto_buf *b, const binlog_header *h, const binlog_query *q, bool crc)
{
    size_t off = binlog_event_begin(b, h, BINLOG_QUERY_EVENT);
    proto_put_u32(b, q->thread_id);
    proto_put_u32(b, q->exec_time);
    proto_put_u8(b, q->db_len);
    proto_put_u16(b, q->error_code);
    proto_put_u16(b, q->status_vars_len);
    proto_put_bytes(b, q->status_vars, q->status_vars_len);
    proto_put_bytes(b, q->db, q->db_len);
    proto_put_u8(b, 0);
    proto_put_bytes(b, q->query, q->query_len);
    binlog_event_end(b, off, crc);
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool is_word_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || c == '_';
}

/* The word (letters and '_') after blanks at *pos; *wlen 0 if none. Advances *pos past it. */
static const char *next_word(const char *q, size_t len, size_t *pos, size_t *wlen)
{
    size_t i = *pos;
    while (i < len && is_blank(q[i]))
        i++;
    size_t start = i;
    while (i < len && is_word_char(q[i]))
        i++;
    *wlen = i - start;
    *pos = i;
    return q + start;
}

static bool word_is(const char *w, size_t wlen, const char *kw)
{
    return wlen == strlen(kw) && strncasecmp(w, kw, wlen) == 0;
}

static bool only_blanks(const char *q, size_t len, size_t pos)
{
    while (pos < len && is_blank(q[pos]))
        pos++;
    return pos == len;
}

static bool is_ddl_word(const char *w, size_t n)
{
    static const char *const DDL[] = {"CREATE", "ALTER", "DROP", "RENAME", "TRUNCATE"};
    for (size_t i = 0; i < sizeof DDL / sizeof DDL[0]; i++)
        if (word_is(w, n, DDL[i]))
            return true;
    return false;
}

enum binlog_query_kind binlog_query_classify(const char *q, size_t len)
{
    size_t pos = 0, n1, n2;
    const char *w1 = next_word(q, len, &pos, &n1);
    if (n1 == 0)
        return BINLOG_QK_OTHER;
    if (only_blanks(q, len, pos)) {
        if (word_is(w1, n1, "BEGIN"))
            return BINLOG_QK_BEGIN;
        if (word_is(w1, n1, "COMMIT"))
            return BINLOG_QK_COMMIT;
        if (word_is(w1, n1, "ROLLBACK"))
            return BINLOG_QK_ROLLBACK;
    }
    if (word_is(w1, n1, "XA")) {
        const char *w2 = next_word(q, len, &pos, &n2);
        if (word_is(w2, n2, "COMMIT"))
            return BINLOG_QK_XA_COMMIT;
        if (word_is(w2, n2, "ROLLBACK"))
            return BINLOG_QK_XA_ROLLBACK;
    }
    return is_ddl_word(w1, n1) ? BINLOG_QK_DDL : BINLOG_QK_OTHER;
}

/* ---- event groups ---- */

enum { TRX_NONE, TRX_TRANSACTION, TRX_STANDALONE };

void binlog_trx_init(binlog_trx_tracker *t, bool crc)
{
    memset(t, 0, sizeof *t);
    t->mode = TRX_NONE;
    t->crc = crc;
}

bool binlog_trx_in_group(const binlog_trx_tracker *t)
{
    return t->mode != TRX_NONE;
}

/* Events that describe the stream, never part of a group. */
static bool is_control(uint8_t type)
{
    switch (type) {
    case BINLOG_START_EVENT_V3:
    case BINLOG_STOP_EVENT:
    case BINLOG_ROTATE_EVENT:
    case BINLOG_SLAVE_EVENT:
    case BINLOG_FORMAT_DESCRIPTION_EVENT:
    case BINLOG_INCIDENT_EVENT:
    case BINLOG_CHECKPOINT_EVENT:
    case BINLOG_GTID_LIST_EVENT:
    case BINLOG_START_ENCRYPTION_EVENT:
    case BINLOG_MYSQL_PREVIOUS_GTIDS_EVENT:
        return true;
    default:
        return false;
    }
}

static bool is_rows(uint8_t type)
{
    return (type >= BINLOG_PRE_GA_WRITE_ROWS_EVENT && type <= BINLOG_DELETE_ROWS_EVENT_V1) ||
           (type >= BINLOG_WRITE_ROWS_EVENT && type <= BINLOG_DELETE_ROWS_EVENT) ||
           (type >= BINLOG_WRITE_ROWS_COMPRESSED_EVENT_V1 &&
            type <= BINLOG_DELETE_ROWS_COMPRESSED_EVENT);
}

/* Events that lead up to the statement a standalone group ends with. */
static bool precedes_statement(const binlog_event *ev)
{
    switch (ev->h.type) {
    case BINLOG_INTVAR_EVENT:
    case BINLOG_RAND_EVENT:
    case BINLOG_USER_VAR_EVENT:
    case BINLOG_TABLE_MAP_EVENT:
    case BINLOG_ANNOTATE_ROWS_EVENT:
        return true;
    default:
        return is_rows(ev->h.type) && ev->body_len >= ROWS_FLAGS_OFF + 2 &&
               !(proto_load_u16(ev->body + ROWS_FLAGS_OFF) & ROWS_STMT_END_F);
    }
}

static bool ends_transaction(uint8_t type, enum binlog_query_kind kind)
{
    return type == BINLOG_XID_EVENT || type == BINLOG_XA_PREPARE_EVENT ||
           kind == BINLOG_QK_COMMIT || kind == BINLOG_QK_ROLLBACK || kind == BINLOG_QK_XA_COMMIT ||
           kind == BINLOG_QK_XA_ROLLBACK;
}

static void open_group(binlog_trx_tracker *t, int mode, const binlog_gtid *g)
{
    t->mode = mode;
    t->events = 1;
    t->has_gtid = g != NULL;
    if (g)
        t->gtid = *g;
    else
        memset(&t->gtid, 0, sizeof t->gtid);
    t->gtid.xa_data = NULL;
}

static enum binlog_trx_result feed_outside(binlog_trx_tracker *t, const binlog_event *ev,
                                           enum binlog_query_kind kind)
{
    if (kind == BINLOG_QK_BEGIN) {
        open_group(t, TRX_TRANSACTION, NULL);
        return BINLOG_TRX_IN_GROUP;
    }
    if (ends_transaction(ev->h.type, kind)) {
        t->has_gtid = false; /* the end of a group whose start was never seen */
        return BINLOG_TRX_BROKEN;
    }
    open_group(t, TRX_STANDALONE, NULL);
    if (precedes_statement(ev))
        return BINLOG_TRX_IN_GROUP;
    t->mode = TRX_NONE; /* a lone statement is a group of its own */
    return BINLOG_TRX_GROUP_END;
}

static enum binlog_trx_result feed_transaction(binlog_trx_tracker *t, const binlog_event *ev,
                                               enum binlog_query_kind kind)
{
    t->events++;
    if (kind == BINLOG_QK_BEGIN) {
        if (t->has_gtid && t->events == 2)
            return BINLOG_TRX_IN_GROUP; /* BEGIN right after its GTID */
        open_group(t, TRX_TRANSACTION, NULL);
        return BINLOG_TRX_BROKEN;
    }
    if (ends_transaction(ev->h.type, kind)) {
        t->mode = TRX_NONE;
        return BINLOG_TRX_GROUP_END;
    }
    return BINLOG_TRX_IN_GROUP;
}

static enum binlog_trx_result feed_standalone(binlog_trx_tracker *t, const binlog_event *ev)
{
    t->events++;
    if (precedes_statement(ev))
        return BINLOG_TRX_IN_GROUP;
    t->mode = TRX_NONE;
    return BINLOG_TRX_GROUP_END;
}

/* GTID, FDE and other control events. */
static enum binlog_trx_result feed_boundary(binlog_trx_tracker *t, const binlog_event *ev)
{
    bool was_open = binlog_trx_in_group(t);
    if (ev->h.type == BINLOG_GTID_EVENT) {
        binlog_gtid g;
        if (binlog_gtid_decode(ev, &g) != PROTO_OK)
            return BINLOG_TRX_BAD;
        open_group(t, g.flags2 & BINLOG_FL_STANDALONE ? TRX_STANDALONE : TRX_TRANSACTION, &g);
        return was_open ? BINLOG_TRX_BROKEN : BINLOG_TRX_IN_GROUP;
    }
    if (ev->h.type == BINLOG_FORMAT_DESCRIPTION_EVENT) {
        binlog_fde f;
        if (binlog_fde_decode(ev, &f) != PROTO_OK)
            return BINLOG_TRX_BAD;
        t->crc = f.checksum_alg == BINLOG_CHECKSUM_CRC32;
    }
    t->mode = TRX_NONE;
    return was_open ? BINLOG_TRX_BROKEN : BINLOG_TRX_OUTSIDE;
}

enum binlog_trx_result binlog_trx_feed(binlog_trx_tracker *t, const uint8_t *p, size_t len)
{
    binlog_event ev;
    if (binlog_event_parse(p, len, t->crc, &ev) != PROTO_OK || ev.h.event_size != len)
        return BINLOG_TRX_BAD;
    if (ev.h.type == BINLOG_HEARTBEAT_EVENT)
        return BINLOG_TRX_OUTSIDE;
    if (ev.h.type == BINLOG_GTID_EVENT || is_control(ev.h.type))
        return feed_boundary(t, &ev);
    enum binlog_query_kind kind = BINLOG_QK_OTHER;
    if (ev.h.type == BINLOG_QUERY_EVENT) {
        binlog_query q;
        if (binlog_query_decode(&ev, &q) != PROTO_OK)
            return BINLOG_TRX_BAD;
        kind = binlog_query_classify(q.query, q.query_len);
    }
    switch (t->mode) {
    case TRX_NONE:
        return feed_outside(t, &ev, kind);
    case TRX_TRANSACTION:
        return feed_transaction(t, &ev, kind);
    default:
        return feed_standalone(t, &ev);
    }
}
