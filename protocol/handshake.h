/*
 * handshake.h: the connection phase. The server's initial handshake (v10, with
 * MariaDB's extended capabilities), the client's handshake response and
 * SSL_REQUEST, auth switch requests, and COM_CHANGE_USER. Capabilities are
 * carried as 64 bits: the low 32 are the classic CLIENT_* flags, the high 32
 * are MariaDB's extended flags (sent in the filler when CLIENT_MYSQL is clear).
 */
#ifndef FERRY_PROTOCOL_HANDSHAKE_H
#define FERRY_PROTOCOL_HANDSHAKE_H

#include "protocol/buf.h"
#include "protocol/auth.h"

#define CLIENT_MYSQL                        (1ull << 0)
#define CLIENT_FOUND_ROWS                   (1ull << 1)
#define CLIENT_LONG_FLAG                    (1ull << 2)
#define CLIENT_CONNECT_WITH_DB              (1ull << 3)
#define CLIENT_NO_SCHEMA                    (1ull << 4)
#define CLIENT_COMPRESS                     (1ull << 5)
#define CLIENT_ODBC                         (1ull << 6)
#define CLIENT_LOCAL_FILES                  (1ull << 7)
#define CLIENT_IGNORE_SPACE                 (1ull << 8)
#define CLIENT_PROTOCOL_41                  (1ull << 9)
#define CLIENT_INTERACTIVE                  (1ull << 10)
#define CLIENT_SSL                          (1ull << 11)
#define CLIENT_IGNORE_SIGPIPE               (1ull << 12)
#define CLIENT_TRANSACTIONS                 (1ull << 13)
#define CLIENT_RESERVED                     (1ull << 14)
#define CLIENT_SECURE_CONNECTION            (1ull << 15)
#define CLIENT_MULTI_STATEMENTS             (1ull << 16)
#define CLIENT_MULTI_RESULTS                (1ull << 17)
#define CLIENT_PS_MULTI_RESULTS             (1ull << 18)
#define CLIENT_PLUGIN_AUTH                  (1ull << 19)
#define CLIENT_CONNECT_ATTRS                (1ull << 20)
#define CLIENT_PLUGIN_AUTH_LENENC_DATA      (1ull << 21)
#define CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS (1ull << 22)
#define CLIENT_SESSION_TRACK                (1ull << 23)
#define CLIENT_DEPRECATE_EOF                (1ull << 24)
#define CLIENT_SSL_VERIFY_SERVER_CERT       (1ull << 30)
#define CLIENT_REMEMBER_OPTIONS             (1ull << 31)
/* MariaDB extended capabilities (high 32 bits). */
#define MARIADB_CLIENT_PROGRESS             (1ull << 32)
#define MARIADB_CLIENT_COM_MULTI            (1ull << 33)
#define MARIADB_CLIENT_STMT_BULK_OPERATIONS (1ull << 34)
#define MARIADB_CLIENT_EXTENDED_METADATA    (1ull << 35)
#define MARIADB_CLIENT_CACHE_METADATA       (1ull << 36)

/* Server status flags (OK, EOF). */
#define SERVER_STATUS_IN_TRANS          0x0001
#define SERVER_STATUS_AUTOCOMMIT        0x0002
#define SERVER_MORE_RESULTS_EXIST       0x0008
#define SERVER_STATUS_IN_TRANS_READONLY 0x2000
#define SERVER_SESSION_STATE_CHANGED    0x4000

#define PROTO_NAME_MAX        384 /* user and database names, bytes */
#define PROTO_AUTH_MAX        256
#define PROTO_PLUGIN_MAX      64
#define PROTO_VERSION_MAX     64
#define PROTO_SSL_REQUEST_LEN 32

typedef struct proto_greeting {
    uint8_t protocol; /* always 10 */
    char version[PROTO_VERSION_MAX];
    uint32_t conn_id;
    uint8_t scramble[PROTO_SCRAMBLE_LEN];
    uint64_t caps;
    uint8_t charset;
    uint16_t status;
    char plugin[PROTO_PLUGIN_MAX];
} proto_greeting;

/* Encodes the payload of an initial handshake packet. */
void proto_greeting_write(proto_buf *out, const proto_greeting *g);
/* Decodes one; PROTO_OK or PROTO_BAD (an ERR packet from the server is PROTO_BAD). */
int proto_greeting_parse(const uint8_t *p, size_t len, proto_greeting *g);

typedef struct proto_hs_response {
    uint64_t caps;
    uint32_t max_packet;
    uint8_t charset;
    char user[PROTO_NAME_MAX + 1];
    uint8_t auth[PROTO_AUTH_MAX];
    size_t auth_len;
    char db[PROTO_NAME_MAX + 1]; /* "" when CLIENT_CONNECT_WITH_DB is clear */
    char plugin[PROTO_PLUGIN_MAX];
    const uint8_t *attrs; /* connection attributes as sent (points into the input), or NULL */
    size_t attrs_len;
} proto_hs_response;

/*
 * Decodes a client's handshake response. server_caps are the capabilities the
 * server offered (they decide where MariaDB's extended flags are). Returns
 * PROTO_OK, PROTO_BAD, or PROTO_NEED_MORE for a 32-byte SSL_REQUEST (then
 * only caps, max_packet and charset are set).
 */
int proto_hs_response_parse(const uint8_t *p, size_t len, uint64_t server_caps,
                            proto_hs_response *r);
/* Encodes a handshake response payload (attributes copied from r->attrs). */
void proto_hs_response_write(proto_buf *out, const proto_hs_response *r);
/* Encodes an SSL_REQUEST payload. */
void proto_ssl_request_write(proto_buf *out, uint64_t caps, uint32_t max_packet, uint8_t charset);

/* Auth switch request (0xfe, plugin name, data) sent by a server. */
void proto_auth_switch_write(proto_buf *out, const char *plugin, const uint8_t *data, size_t len);
int proto_auth_switch_parse(const uint8_t *p, size_t len, char plugin[PROTO_PLUGIN_MAX],
                            uint8_t *data, size_t *data_len, size_t data_max);

typedef struct proto_change_user {
    char user[PROTO_NAME_MAX + 1];
    uint8_t auth[PROTO_AUTH_MAX];
    size_t auth_len;
    char db[PROTO_NAME_MAX + 1];
    uint16_t charset;
    char plugin[PROTO_PLUGIN_MAX];
    const uint8_t *attrs;
    size_t attrs_len;
} proto_change_user;

/* COM_CHANGE_USER payload including its 0x11 command byte. */
int proto_change_user_parse(const uint8_t *p, size_t len, uint64_t caps, proto_change_user *c);
void proto_change_user_write(proto_buf *out, uint64_t caps, const proto_change_user *c);

#endif
