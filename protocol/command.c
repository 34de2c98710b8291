/*
 * command.c: client commands in the command phase: their names (for logs and
 * errors), whether the server answers them, and decoders for the fields the
 * routers and the binlog relay need (COM_REGISTER_SLAVE, COM_BINLOG_DUMP,
 * COM_BINLOG_DUMP_GTID, statement ids). Strings are copied NUL-terminated
 * into fixed arrays; one that does not fit or holds a NUL is PROTO_BAD.
 */
#include "protocol/command.h"
#include "protocol/packet.h"

#include <string.h>

#define BINLOG_THROUGH_GTID 0x0004 /* COM_BINLOG_DUMP_GTID: a GTID set follows */

static const char *const com_names[] = {
    [COM_SLEEP] = "COM_SLEEP",
    [COM_QUIT] = "COM_QUIT",
    [COM_INIT_DB] = "COM_INIT_DB",
    [COM_QUERY] = "COM_QUERY",
    [COM_FIELD_LIST] = "COM_FIELD_LIST",
    [COM_CREATE_DB] = "COM_CREATE_DB",
    [COM_DROP_DB] = "COM_DROP_DB",
    [COM_REFRESH] = "COM_REFRESH",
    [COM_SHUTDOWN] = "COM_SHUTDOWN",
    [COM_STATISTICS] = "COM_STATISTICS",
    [COM_PROCESS_INFO] = "COM_PROCESS_INFO",
    [COM_CONNECT] = "COM_CONNECT",
    [COM_PROCESS_KILL] = "COM_PROCESS_KILL",
    [COM_DEBUG] = "COM_DEBUG",
    [COM_PING] = "COM_PING",
    [COM_TIME] = "COM_TIME",
    [COM_DELAYED_INSERT] = "COM_DELAYED_INSERT",
    [COM_CHANGE_USER] = "COM_CHANGE_USER",
    [COM_BINLOG_DUMP] = "COM_BINLOG_DUMP",
    [COM_TABLE_DUMP] = "COM_TABLE_DUMP",
    [COM_CONNECT_OUT] = "COM_CONNECT_OUT",
    [COM_REGISTER_SLAVE] = "COM_REGISTER_SLAVE",
    [COM_STMT_PREPARE] = "COM_STMT_PREPARE",
    [COM_STMT_EXECUTE] = "COM_STMT_EXECUTE",
    [COM_STMT_SEND_LONG_DATA] = "COM_STMT_SEND_LONG_DATA",
    [COM_STMT_CLOSE] = "COM_STMT_CLOSE",
    [COM_STMT_RESET] = "COM_STMT_RESET",
    [COM_SET_OPTION] = "COM_SET_OPTION",
    [COM_STMT_FETCH] = "COM_STMT_FETCH",
    [COM_DAEMON] = "COM_DAEMON",
    [COM_BINLOG_DUMP_GTID] = "COM_BINLOG_DUMP_GTID",
    [COM_RESET_CONNECTION] = "COM_RESET_CONNECTION",
    [COM_STMT_BULK_EXECUTE] = "COM_STMT_BULK_EXECUTE",
};

const char *proto_com_name(uint8_t com)
{
    const char *name = com < sizeof com_names / sizeof com_names[0] ? com_names[com] : NULL;
    return name ? name : "COM_UNKNOWN";
}

int proto_com_has_reply(uint8_t com)
{
    return com != COM_QUIT && com != COM_STMT_CLOSE && com != COM_STMT_SEND_LONG_DATA;
}

/* Copies n bytes of s as a C string into dst (cap bytes); too long or with a NUL is bad. */
static void copy_str(proto_rd *r, char *dst, size_t cap, const uint8_t *s, size_t n)
{
    dst[0] = '\0';
    if (!s || n >= cap || memchr(s, 0, n)) {
        r->bad = true;
        return;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* A string with a 1-byte length, as in COM_REGISTER_SLAVE. */
static void get_str8(proto_rd *r, char *dst, size_t cap)
{
    size_t n = proto_get_u8(r);
    copy_str(r, dst, cap, proto_get_bytes(r, n), n);
}

/* Starts a decoder after checking the command byte. */
static proto_rd begin(const uint8_t *p, size_t len, uint8_t com)
{
    proto_rd r = proto_rd_init(p, len);
    if (proto_get_u8(&r) != com)
        r.bad = true;
    return r;
}

/* rank and master_id are read when present; a replica that stops after the port is accepted. */
int proto_register_slave_parse(const uint8_t *p, size_t len, proto_register_slave *s)
{
    memset(s, 0, sizeof *s);
    proto_rd r = begin(p, len, COM_REGISTER_SLAVE);
    s->server_id = proto_get_u32(&r);
    get_str8(&r, s->host, sizeof s->host);
    get_str8(&r, s->user, sizeof s->user);
    get_str8(&r, s->password, sizeof s->password);
    s->port = proto_get_u16(&r);
    if (proto_rd_left(&r) >= 4)
        s->rank = proto_get_u32(&r);
    if (proto_rd_left(&r) >= 4)
        s->master_id = proto_get_u32(&r);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

int proto_binlog_dump_parse(const uint8_t *p, size_t len, proto_binlog_dump *d)
{
    memset(d, 0, sizeof *d);
    proto_rd r = begin(p, len, COM_BINLOG_DUMP);
    d->pos = proto_get_u32(&r);
    d->flags = proto_get_u16(&r);
    d->server_id = proto_get_u32(&r);
    size_t n;
    const uint8_t *file = proto_get_rest(&r, &n); /* not NUL-terminated, may be empty */
    if (!r.bad)
        copy_str(&r, d->file, sizeof d->file, file, n);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

int proto_binlog_dump_gtid_parse(const uint8_t *p, size_t len, proto_binlog_dump_gtid *d)
{
    memset(d, 0, sizeof *d);
    proto_rd r = begin(p, len, COM_BINLOG_DUMP_GTID);
    d->flags = proto_get_u16(&r);
    d->server_id = proto_get_u32(&r);
    uint32_t name_len = proto_get_u32(&r);
    copy_str(&r, d->file, sizeof d->file, proto_get_bytes(&r, name_len), name_len);
    d->pos = proto_get_u64(&r);
    if (d->flags & BINLOG_THROUGH_GTID) {
        uint32_t data_len = proto_get_u32(&r);
        d->gtid_data = proto_get_bytes(&r, data_len);
        d->gtid_len = d->gtid_data ? data_len : 0;
    }
    return r.bad ? PROTO_BAD : PROTO_OK;
}

/* COM_STMT_BULK_EXECUTE (MariaDB) also starts with the statement id. */
int proto_stmt_id_parse(const uint8_t *p, size_t len, uint32_t *stmt_id)
{
    if (len < 5)
        return PROTO_BAD;
    switch (p[0]) {
    case COM_STMT_EXECUTE:
    case COM_STMT_CLOSE:
    case COM_STMT_RESET:
    case COM_STMT_FETCH:
    case COM_STMT_SEND_LONG_DATA:
    case COM_STMT_BULK_EXECUTE:
        *stmt_id = proto_load_u32(p + 1);
        return PROTO_OK;
    default:
        return PROTO_BAD;
    }
}
