/*
 * fuzz_handshake.c: libFuzzer target for the decoders a peer controls before
 * and after authentication: greeting, handshake response (under MariaDB and
 * MySQL server capabilities), COM_CHANGE_USER, auth switch, OK/ERR/EOF,
 * logical packet framing, compressed frames and the command decoders. Each
 * input is copied to an exactly-sized buffer so any overread is caught, and
 * whatever decodes is re-encoded to exercise the writers too.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/command.h"
#include "protocol/compress.h"
#include "protocol/handshake.h"
#include "protocol/packet.h"
#include "protocol/response.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint64_t SERVER_CAPS[] = {
    0x1dull << 32 | 0x81fff7feull,                 /* MariaDB 10.11 */
    CLIENT_MYSQL | 0x81fff7feull,                  /* a MySQL-flavoured server */
    CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION, /* minimal */
};

static void fuzz_connection_phase(const uint8_t *p, size_t len, proto_buf *out)
{
    proto_greeting g;
    if (proto_greeting_parse(p, len, &g) == PROTO_OK)
        proto_greeting_write(out, &g);

    for (size_t i = 0; i < sizeof SERVER_CAPS / sizeof SERVER_CAPS[0]; i++) {
        proto_hs_response r;
        if (proto_hs_response_parse(p, len, SERVER_CAPS[i], &r) == PROTO_OK)
            proto_hs_response_write(out, &r);
        proto_change_user c;
        if (proto_change_user_parse(p, len, SERVER_CAPS[i], &c) == PROTO_OK)
            proto_change_user_write(out, SERVER_CAPS[i], &c);
    }

    char plugin[PROTO_PLUGIN_MAX];
    uint8_t auth[PROTO_AUTH_MAX];
    size_t auth_len;
    if (proto_auth_switch_parse(p, len, plugin, auth, &auth_len, sizeof auth) == PROTO_OK)
        proto_auth_switch_write(out, plugin, auth, auth_len);
}

static void fuzz_responses(const uint8_t *p, size_t len, proto_buf *out)
{
    proto_ok ok;
    if (proto_ok_parse(p, len, &ok) == PROTO_OK)
        proto_ok_write(out, &ok);
    proto_err err;
    if (proto_err_parse(p, len, &err) == PROTO_OK && err.msg_len < 4096) {
        char msg[4096];
        memcpy(msg, err.msg, err.msg_len);
        msg[err.msg_len] = '\0';
        proto_err_write(out, err.code, err.sqlstate, msg);
    }
    uint16_t warnings, status;
    proto_eof_parse(p, len, &warnings, &status);
}

static void fuzz_framing(const uint8_t *p, size_t len, proto_buf *out)
{
    size_t wire, payload;
    uint8_t seq;
    if (proto_logical_peek(p, len, &wire, &payload, &seq) == PROTO_OK) {
        size_t before = out->len;
        proto_logical_copy(p, wire, out);
        if (out->len - before != payload)
            abort();
    }
    size_t used;
    if (proto_zunframe(p, len, &used, &seq, out) == PROTO_OK && used > len)
        abort();
}

static void fuzz_commands(const uint8_t *p, size_t len)
{
    proto_register_slave rs;
    proto_register_slave_parse(p, len, &rs);
    proto_binlog_dump d;
    proto_binlog_dump_parse(p, len, &d);
    proto_binlog_dump_gtid dg;
    if (proto_binlog_dump_gtid_parse(p, len, &dg) == PROTO_OK && dg.gtid_data &&
        (dg.gtid_data < p || dg.gtid_data + dg.gtid_len > p + len))
        abort();
    uint32_t id;
    proto_stmt_id_parse(p, len, &id);
    if (len > 0)
        (void)proto_com_name(p[0]);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    uint8_t *p = malloc(size ? size : 1);
    if (!p)
        return 0;
    memcpy(p, data, size);
    proto_buf out;
    proto_buf_init(&out);
    fuzz_connection_phase(p, size, &out);
    fuzz_responses(p, size, &out);
    fuzz_framing(p, size, &out);
    fuzz_commands(p, size);
    proto_buf_free(&out);
    free(p);
    return 0;
}
