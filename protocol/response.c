/*
 * response.c: the generic server responses OK, ERR and EOF: encoders for
 * Ferry's own answers and decoders for what backends send. Payloads only,
 * except proto_err_packet / proto_ok_packet, which frame a whole packet.
 */
#include "protocol/response.h"
#include "protocol/packet.h"

#include <string.h>

#define SQLSTATE_LEN 5

void proto_ok_write(proto_buf *out, const proto_ok *ok)
{
    proto_put_u8(out, PROTO_OK_BYTE);
    proto_put_lenenc(out, ok->affected_rows);
    proto_put_lenenc(out, ok->insert_id);
    proto_put_u16(out, ok->status);
    proto_put_u16(out, ok->warnings);
    if (ok->info)
        proto_put_bytes(out, ok->info, ok->info_len);
}

/* A missing or malformed SQLSTATE becomes the generic "HY000". */
void proto_err_write(proto_buf *out, uint16_t code, const char *sqlstate, const char *msg)
{
    if (!sqlstate || strlen(sqlstate) != SQLSTATE_LEN)
        sqlstate = "HY000";
    proto_put_u8(out, PROTO_ERR_BYTE);
    proto_put_u16(out, code);
    proto_put_u8(out, '#');
    proto_put_bytes(out, sqlstate, SQLSTATE_LEN);
    if (msg)
        proto_put_bytes(out, msg, strlen(msg));
}

void proto_eof_write(proto_buf *out, uint16_t warnings, uint16_t status)
{
    proto_put_u8(out, PROTO_EOF_BYTE);
    proto_put_u16(out, warnings);
    proto_put_u16(out, status);
}

/*
 * Accepts 0x00, and 0xfe for the OK that ends a result set under
 * CLIENT_DEPRECATE_EOF. With CLIENT_SESSION_TRACK the info is a lenenc string
 * followed by state changes; it is exposed raw as everything after warnings.
 */
int proto_ok_parse(const uint8_t *p, size_t len, proto_ok *ok)
{
    memset(ok, 0, sizeof *ok);
    if (len < 7 || (p[0] != PROTO_OK_BYTE && p[0] != PROTO_EOF_BYTE))
        return PROTO_BAD;
    proto_rd r = proto_rd_init(p + 1, len - 1);
    ok->affected_rows = proto_get_lenenc(&r, NULL);
    ok->insert_id = proto_get_lenenc(&r, NULL);
    ok->status = proto_get_u16(&r);
    ok->warnings = proto_get_u16(&r);
    ok->info = (const char *)proto_get_rest(&r, &ok->info_len);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

/* An ERR sent before the client said PROTOCOL_41 has no '#' + SQLSTATE: "HY000" then. */
int proto_err_parse(const uint8_t *p, size_t len, proto_err *err)
{
    memset(err, 0, sizeof *err);
    proto_rd r = proto_rd_init(p, len);
    if (proto_get_u8(&r) != PROTO_ERR_BYTE)
        return PROTO_BAD;
    err->code = proto_get_u16(&r);
    const uint8_t *state = NULL;
    if (proto_rd_left(&r) > 0 && r.p[r.pos] == '#') {
        proto_get_u8(&r);
        state = proto_get_bytes(&r, SQLSTATE_LEN);
    }
    memcpy(err->sqlstate, state ? (const char *)state : "HY000", SQLSTATE_LEN);
    err->msg = (const char *)proto_get_rest(&r, &err->msg_len);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

int proto_eof_parse(const uint8_t *p, size_t len, uint16_t *warnings, uint16_t *status)
{
    if (!proto_is_eof(p, len) || len < 5)
        return PROTO_BAD;
    *warnings = proto_load_u16(p + 1);
    *status = proto_load_u16(p + 3);
    return PROTO_OK;
}

void proto_err_packet(proto_buf *out, uint8_t seq, uint16_t code, const char *sqlstate,
                      const char *msg)
{
    size_t off = proto_pkt_begin(out);
    proto_err_write(out, code, sqlstate, msg);
    proto_pkt_end(out, off, seq);
}

void proto_ok_packet(proto_buf *out, uint8_t seq, uint16_t status)
{
    proto_ok ok = {.status = status};
    size_t off = proto_pkt_begin(out);
    proto_ok_write(out, &ok);
    proto_pkt_end(out, off, seq);
}
