/*
 * resultset.c: text-protocol result sets for Ferry's own answers (the binlog
 * relay's admin SQL, the queries a replica sends before COM_BINLOG_DUMP).
 * Every call appends whole packets and returns the next sequence number.
 */
#include "protocol/resultset.h"
#include "protocol/packet.h"
#include "protocol/response.h"

#include <string.h>

#define CHARSET_UTF8     33
#define CHARSET_BINARY   63
#define BINARY_FLAG      0x0080
#define NUM_FLAG         0x8000
#define COLDEF_FIXED_LEN 0x0c
#define NULL_VALUE       0xfb

static void put_str(proto_buf *out, const char *s)
{
    proto_put_lenenc_str(out, s, strlen(s));
}

static void put_column(proto_buf *out, const proto_column *col)
{
    bool num = col->type == PROTO_TYPE_LONGLONG;
    put_str(out, "def"); /* catalog */
    put_str(out, "");    /* schema */
    put_str(out, "");    /* table */
    put_str(out, "");    /* org_table */
    put_str(out, col->name);
    put_str(out, col->name); /* org_name */
    proto_put_lenenc(out, COLDEF_FIXED_LEN);
    proto_put_u16(out, num ? CHARSET_BINARY : CHARSET_UTF8);
    proto_put_u32(out, num ? 21 : 255 * 3); /* display length */
    proto_put_u8(out, col->type);
    proto_put_u16(out, num ? BINARY_FLAG | NUM_FLAG : 0);
    proto_put_u8(out, 0); /* decimals */
    proto_put_zero(out, 2);
}

static uint8_t put_eof_packet(proto_buf *out, uint8_t seq, uint16_t status)
{
    size_t off = proto_pkt_begin(out);
    proto_eof_write(out, 0, status);
    proto_pkt_end(out, off, seq);
    return (uint8_t)(seq + 1);
}

uint8_t proto_rs_begin(proto_buf *out, uint8_t seq, const proto_column *cols, size_t ncols,
                       bool deprecate_eof)
{
    size_t off = proto_pkt_begin(out);
    proto_put_lenenc(out, ncols);
    proto_pkt_end(out, off, seq++);
    for (size_t i = 0; i < ncols; i++) {
        off = proto_pkt_begin(out);
        put_column(out, &cols[i]);
        proto_pkt_end(out, off, seq++);
    }
    return deprecate_eof ? seq : put_eof_packet(out, seq, 0);
}

uint8_t proto_rs_row(proto_buf *out, uint8_t seq, const char *const *values, size_t ncols)
{
    size_t off = proto_pkt_begin(out);
    for (size_t i = 0; i < ncols; i++) {
        if (values[i])
            put_str(out, values[i]);
        else
            proto_put_u8(out, NULL_VALUE);
    }
    proto_pkt_end(out, off, seq);
    return (uint8_t)(seq + 1);
}

/* Under DEPRECATE_EOF the set ends with an OK packet whose header byte is 0xfe. */
uint8_t proto_rs_end(proto_buf *out, uint8_t seq, uint16_t status, bool deprecate_eof)
{
    if (!deprecate_eof)
        return put_eof_packet(out, seq, status);
    proto_ok ok = {.status = status};
    size_t off = proto_pkt_begin(out);
    proto_ok_write(out, &ok);
    out->data[off + PROTO_HEADER_LEN] = PROTO_EOF_BYTE;
    proto_pkt_end(out, off, seq);
    return (uint8_t)(seq + 1);
}
