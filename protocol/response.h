/*
 * response.h: the generic server responses OK, ERR and EOF, and the error
 * numbers Ferry itself sends. Encoders write a payload (no header); decoders
 * take a payload.
 */
#ifndef FERRY_PROTOCOL_RESPONSE_H
#define FERRY_PROTOCOL_RESPONSE_H

#include "protocol/buf.h"

#define PROTO_OK_BYTE  0x00
#define PROTO_EOF_BYTE 0xfe
#define PROTO_ERR_BYTE 0xff

/* Error numbers Ferry sends, with MariaDB's meaning. */
#define ER_CON_COUNT_ERROR                   1040
#define ER_HANDSHAKE_ERROR                   1043
#define ER_DBACCESS_DENIED_ERROR             1044
#define ER_ACCESS_DENIED_ERROR               1045
#define ER_ACCESS_DENIED_NO_PASSWORD_ERROR   1698
#define ER_UNKNOWN_COM_ERROR                 1047
#define ER_NOT_SUPPORTED_AUTH_MODE           1251
#define ER_MASTER_FATAL_ERROR_READING_BINLOG 1236
#define ER_NET_PACKET_TOO_LARGE              1153
#define ER_NET_PACKETS_OUT_OF_ORDER          1156
#define ER_NOT_SUPPORTED_YET                 1235
#define ER_SPECIFIC_ACCESS_DENIED            1227
#define ER_CONNECTION_KILLED                 1927
#define ER_OPTION_PREVENTS_STATEMENT         1290
#define ER_SECURE_TRANSPORT_REQUIRED         3159
#define ER_SERVER_SHUTDOWN                   1053
/* No usable backend, or a backend refused Ferry's login: MariaDB's generic
 * server error (codes 2000-2999 are client-side; libmariadb rejects them). */
#define ER_NO_SERVER 1105

typedef struct proto_ok {
    uint64_t affected_rows;
    uint64_t insert_id;
    uint16_t status;
    uint16_t warnings;
    const char *info; /* points into the input; not NUL-terminated */
    size_t info_len;
} proto_ok;

typedef struct proto_err {
    uint16_t code;
    char sqlstate[6];
    const char *msg; /* points into the input; not NUL-terminated */
    size_t msg_len;
} proto_err;

void proto_ok_write(proto_buf *out, const proto_ok *ok);
void proto_err_write(proto_buf *out, uint16_t code, const char *sqlstate, const char *msg);
void proto_eof_write(proto_buf *out, uint16_t warnings, uint16_t status);

int proto_ok_parse(const uint8_t *p, size_t len, proto_ok *ok);
int proto_err_parse(const uint8_t *p, size_t len, proto_err *err);
/* An EOF packet is 0xfe with a payload shorter than 9 bytes. */
int proto_eof_parse(const uint8_t *p, size_t len, uint16_t *warnings, uint16_t *status);

static inline int proto_is_err(const uint8_t *p, size_t len)
{
    return len > 0 && p[0] == PROTO_ERR_BYTE;
}
static inline int proto_is_ok(const uint8_t *p, size_t len)
{
    return len >= 7 && p[0] == PROTO_OK_BYTE;
}
static inline int proto_is_eof(const uint8_t *p, size_t len)
{
    return len > 0 && len < 9 && p[0] == PROTO_EOF_BYTE;
}

/* A whole ERR packet (header included) with the given sequence number. */
void proto_err_packet(proto_buf *out, uint8_t seq, uint16_t code, const char *sqlstate,
                      const char *msg);
/* A whole OK packet with no rows, no id and the given status. */
void proto_ok_packet(proto_buf *out, uint8_t seq, uint16_t status);

#endif
