/*
 * test_proto_handshake.c: the connection phase against real MariaDB 10.11
 * bytes (captures in /work/shared/reference): the greeting, the handshake
 * responses of libmysql and libmariadb, SSL_REQUEST, auth switch and
 * COM_CHANGE_USER, with round trips and truncated/over-long inputs.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/handshake.h"
#include "protocol/packet.h"

/* Greeting of 5.5.5-10.11.19-MariaDB-0+deb12u1-log (01-replica-start-slave-g2, seq 0). */
static const char GREETING_HEX[] =
    "0a352e352e352d31302e31312e31392d4d6172696144422d302b646562313275312d6c6f67002a00000048534b5b"
    "687a4c4d00fef72d0200ff81150000000000001d0000007c4b3e383b5f4d444c335842006d7973716c5f6e61746976"
    "655f70617373776f726400";
/* The replica's (libmysql) answer to it: caps 0x8038a205, password repl_pw. */
static const char RESPONSE_LIBMYSQL_HEX[] =
    "05a238807b0300402d00000000000000000000000000000000000000000000007265706c0014ff289895bf08d63add"
    "a7101afe6eba971bb0c7da6d7973716c5f6e61746976655f70617373776f72640077035f6f731064656269616e2d6c"
    "696e75782d676e750c5f636c69656e745f6e616d65086c69626d7973716c045f7069640532373539310f5f636c6965"
    "6e745f76657273696f6e0831302e31312e31390c5f7365727665725f686f7374093132372e302e302e31095f706c61"
    "74666f726d067838365f3634";
/* mariadb-binlog (libmariadb 3.3.20): caps 0x00bea284, ext caps 0x1d in the filler. */
static const char RESPONSE_LIBMARIADB_HEX[] =
    "84a2be00000010002d000000000000000000000000000000000000001d0000007265706c0014f8f4b9051c844ec5c6"
    "8a7d143571570a7ae255ea6d7973716c5f6e61746976655f70617373776f72640085035f6f73054c696e75780c5f63"
    "6c69656e745f6e616d650a6c69626d617269616462045f7069640532383332330f5f636c69656e745f76657273696f"
    "6e06332e332e3230095f706c6174666f726d067838365f36340c70726f6772616d5f6e616d650b6d7973716c62696e"
    "6c6f670c5f7365727665725f686f7374093132372e302e302e31";

static const uint64_t SERVER_CAPS = 0x1dull << 32 | 0x81fff7feull;

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

static void test_greeting_parse_real(void **state)
{
    (void)state;
    uint8_t p[256];
    size_t len = unhex(GREETING_HEX, p);
    proto_greeting g;
    assert_int_equal(proto_greeting_parse(p, len, &g), PROTO_OK);
    assert_int_equal(g.protocol, 10);
    assert_string_equal(g.version, "5.5.5-10.11.19-MariaDB-0+deb12u1-log");
    assert_int_equal(g.conn_id, 42);
    assert_memory_equal(g.scramble, "HSK[hzLM|K>8;_MDL3XB", PROTO_SCRAMBLE_LEN);
    assert_int_equal(g.caps, SERVER_CAPS);
    assert_int_equal(g.charset, 45);
    assert_int_equal(g.status, SERVER_STATUS_AUTOCOMMIT);
    assert_string_equal(g.plugin, PROTO_NATIVE_PLUGIN);
}

static void test_greeting_write_matches_server(void **state)
{
    (void)state;
    uint8_t p[256];
    size_t len = unhex(GREETING_HEX, p);
    proto_greeting g;
    assert_int_equal(proto_greeting_parse(p, len, &g), PROTO_OK);
    proto_buf b;
    proto_buf_init(&b);
    proto_greeting_write(&b, &g);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, p, len);
    proto_buf_free(&b);
}

static void test_greeting_mysql_caps(void **state)
{
    (void)state;
    proto_greeting g = {.protocol = 10, .conn_id = 7, .charset = 33, .status = 2};
    strcpy(g.version, "8.0.36");
    memcpy(g.scramble, "abcdefghijklmnopqrst", PROTO_SCRAMBLE_LEN);
    strcpy(g.plugin, "caching_sha2_password");
    g.caps = CLIENT_MYSQL | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH |
             MARIADB_CLIENT_PROGRESS;
    proto_buf b;
    proto_buf_init(&b);
    proto_greeting_write(&b, &g);
    /* 1 + 7 + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 6 = 35: the 4 extended-caps bytes are zero */
    static const uint8_t zero4[4];
    assert_memory_equal(b.data + 35, zero4, 4);
    assert_int_equal(b.data[28], PROTO_SCRAMBLE_LEN + 1);
    proto_greeting back;
    assert_int_equal(proto_greeting_parse(b.data, b.len, &back), PROTO_OK);
    assert_int_equal(back.caps, g.caps & 0xffffffffu);
    assert_memory_equal(back.scramble, g.scramble, PROTO_SCRAMBLE_LEN);
    assert_string_equal(back.plugin, "caching_sha2_password");
    assert_string_equal(back.version, "8.0.36");
    proto_buf_free(&b);
}

static void test_greeting_rejects(void **state)
{
    (void)state;
    uint8_t p[256];
    size_t len = unhex(GREETING_HEX, p);
    proto_greeting g;
    for (size_t i = 0; i < len; i++) {
        uint8_t *copy = malloc(i ? i : 1);
        memcpy(copy, p, i);
        assert_int_equal(proto_greeting_parse(copy, i, &g), PROTO_BAD);
        free(copy);
    }
    static const uint8_t err[] = {0xff, 0x10, 0x04, 'T', 'o', 'o', ' ', 'm', 'a', 'n', 'y'};
    assert_int_equal(proto_greeting_parse(err, sizeof err, &g), PROTO_BAD);
    p[0] = 9;
    assert_int_equal(proto_greeting_parse(p, len, &g), PROTO_BAD);
}

static void test_greeting_long_version_truncated(void **state)
{
    (void)state;
    proto_greeting g = {.caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION};
    memset(g.version, 'v', sizeof g.version - 1);
    proto_buf b;
    proto_buf_init(&b);
    proto_greeting_write(&b, &g);
    /* make the version 100 bytes long by splicing in more 'v's */
    proto_buf big;
    proto_buf_init(&big);
    proto_put_u8(&big, 10);
    for (int i = 0; i < 100; i++)
        proto_put_u8(&big, 'v');
    proto_put_bytes(&big, b.data + 1 + PROTO_VERSION_MAX - 1, b.len - PROTO_VERSION_MAX);
    proto_greeting back;
    assert_int_equal(proto_greeting_parse(big.data, big.len, &back), PROTO_OK);
    assert_int_equal(strlen(back.version), PROTO_VERSION_MAX - 1);
    proto_buf_free(&b);
    proto_buf_free(&big);
}

static void check_round_trip(const uint8_t *p, size_t len, uint64_t server_caps)
{
    proto_hs_response r;
    assert_int_equal(proto_hs_response_parse(p, len, server_caps, &r), PROTO_OK);
    proto_buf b;
    proto_buf_init(&b);
    proto_hs_response_write(&b, &r);
    assert_int_equal(b.len, len);
    assert_memory_equal(b.data, p, len);
    proto_buf_free(&b);
}

static void test_response_libmysql(void **state)
{
    (void)state;
    uint8_t p[512];
    size_t len = unhex(RESPONSE_LIBMYSQL_HEX, p);
    proto_hs_response r;
    assert_int_equal(proto_hs_response_parse(p, len, SERVER_CAPS, &r), PROTO_OK);
    assert_int_equal(r.caps, 0x8038a205);
    assert_int_equal(r.max_packet, 1073742715);
    assert_int_equal(r.charset, 45);
    assert_string_equal(r.user, "repl");
    assert_int_equal(r.auth_len, 20);
    static const uint8_t auth[] = {0xff, 0x28, 0x98, 0x95, 0xbf, 0x08, 0xd6, 0x3a, 0xdd, 0xa7,
                                   0x10, 0x1a, 0xfe, 0x6e, 0xba, 0x97, 0x1b, 0xb0, 0xc7, 0xda};
    assert_memory_equal(r.auth, auth, 20);
    assert_string_equal(r.db, "");
    assert_string_equal(r.plugin, PROTO_NATIVE_PLUGIN);
    assert_int_equal(r.attrs_len, 0x77);
    assert_ptr_equal(r.attrs, p + len - 0x77);
    assert_memory_equal(r.attrs,
                        "\x03_os\x10"
                        "debian-linux-gnu",
                        21);
    check_round_trip(p, len, SERVER_CAPS);

    /* the answer is the native-password reply to the greeting's scramble for "repl_pw" */
    uint8_t g[256], sha1_pw[PROTO_SHA1_LEN], stored[PROTO_SHA1_LEN];
    proto_greeting greet;
    assert_int_equal(proto_greeting_parse(g, unhex(GREETING_HEX, g), &greet), PROTO_OK);
    assert_true(proto_native_hash_parse("*7BA71F4456F64C9BFA8698DA98EC839BB5D15EF3", stored));
    assert_true(proto_native_check(r.auth, r.auth_len, greet.scramble, stored, sha1_pw));
}

static void test_response_libmariadb(void **state)
{
    (void)state;
    uint8_t p[512];
    size_t len = unhex(RESPONSE_LIBMARIADB_HEX, p);
    proto_hs_response r;
    assert_int_equal(proto_hs_response_parse(p, len, SERVER_CAPS, &r), PROTO_OK);
    assert_int_equal(r.caps, 0x1dull << 32 | 0x00bea284);
    assert_int_equal(r.max_packet, 1048576);
    assert_string_equal(r.user, "repl");
    assert_int_equal(r.auth_len, 20);
    assert_string_equal(r.plugin, PROTO_NATIVE_PLUGIN);
    assert_int_equal(r.attrs_len, 0x85);
    check_round_trip(p, len, SERVER_CAPS);
    /* a server that says CLIENT_MYSQL does not read extended caps from the filler */
    assert_int_equal(proto_hs_response_parse(p, len, CLIENT_MYSQL | 0x81fff7fe, &r), PROTO_OK);
    assert_int_equal(r.caps, 0x00bea284);
}

static void test_response_prefixes_rejected(void **state)
{
    (void)state;
    const char *fixtures[] = {RESPONSE_LIBMYSQL_HEX, RESPONSE_LIBMARIADB_HEX};
    for (size_t f = 0; f < 2; f++) {
        uint8_t p[512];
        size_t len = unhex(fixtures[f], p);
        for (size_t i = 0; i < len; i++) {
            uint8_t *copy = malloc(i ? i : 1); /* exact size, so ASan sees any overread */
            memcpy(copy, p, i);
            proto_hs_response r;
            int rc = proto_hs_response_parse(copy, i, SERVER_CAPS, &r);
            assert_int_equal(rc, PROTO_BAD); /* neither sets CLIENT_SSL, so never NEED_MORE */
            free(copy);
        }
    }
}

static void test_ssl_request(void **state)
{
    (void)state;
    proto_buf b;
    proto_buf_init(&b);
    uint64_t caps = 0x1dull << 32 | CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION;
    proto_ssl_request_write(&b, caps, 16777216, 45);
    assert_int_equal(b.len, PROTO_SSL_REQUEST_LEN);
    proto_hs_response r;
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &r), PROTO_NEED_MORE);
    assert_int_equal(r.caps, caps | CLIENT_SSL);
    assert_int_equal(r.max_packet, 16777216);
    assert_int_equal(r.charset, 45);
    b.data[1] &= (uint8_t) ~(CLIENT_SSL >> 8); /* 32 bytes without CLIENT_SSL */
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &r), PROTO_BAD);
    proto_buf_free(&b);
}

static proto_hs_response sample_response(uint64_t caps)
{
    proto_hs_response r = {.caps = caps, .max_packet = 1 << 24, .charset = 33};
    strcpy(r.user, "app");
    memcpy(r.auth, "0123456789abcdefghij", 20);
    r.auth_len = 20;
    strcpy(r.db, "shop");
    strcpy(r.plugin, PROTO_NATIVE_PLUGIN);
    r.attrs = (const uint8_t *)"\x04_pid\x03"
                               "123";
    r.attrs_len = 9;
    return r;
}

static void test_response_auth_forms(void **state)
{
    (void)state;
    const uint64_t base =
        CLIENT_PROTOCOL_41 | CLIENT_CONNECT_WITH_DB | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS;
    const uint64_t forms[] = {base | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH_LENENC_DATA,
                              base | CLIENT_SECURE_CONNECTION, base};
    for (size_t i = 0; i < 3; i++) {
        proto_hs_response in = sample_response(forms[i]), out;
        proto_buf b;
        proto_buf_init(&b);
        proto_hs_response_write(&b, &in);
        assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &out), PROTO_OK);
        assert_int_equal(out.caps, in.caps);
        assert_string_equal(out.user, "app");
        assert_int_equal(out.auth_len, 20);
        assert_memory_equal(out.auth, in.auth, 20);
        assert_string_equal(out.db, "shop");
        assert_string_equal(out.plugin, PROTO_NATIVE_PLUGIN);
        assert_int_equal(out.attrs_len, 9);
        assert_memory_equal(out.attrs, in.attrs, 9);
        /* the auth field sits right after "app\0" at offset 36 */
        uint8_t expect_first = i == 2 ? '0' : 20;
        assert_int_equal(b.data[36], expect_first);
        proto_buf_free(&b);
    }
}

static void test_response_limits(void **state)
{
    (void)state;
    const uint64_t caps = CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION |
                          CLIENT_PLUGIN_AUTH_LENENC_DATA | CLIENT_CONNECT_WITH_DB;
    proto_hs_response in = sample_response(caps), out;
    proto_buf b;
    proto_buf_init(&b);

    memset(in.user, 'u', PROTO_NAME_MAX);
    in.user[PROTO_NAME_MAX] = '\0';
    proto_hs_response_write(&b, &in);
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &out), PROTO_OK);
    assert_int_equal(strlen(out.user), PROTO_NAME_MAX);

    /* one byte more: build it by hand since the struct cannot hold it */
    proto_buf_reset(&b);
    proto_ssl_request_write(&b, caps, 0, 33);
    b.data[1] &= (uint8_t) ~(CLIENT_SSL >> 8);
    for (int i = 0; i < PROTO_NAME_MAX + 1; i++)
        proto_put_u8(&b, 'u');
    proto_put_u8(&b, 0);
    proto_put_lenenc_str(&b, "", 0);
    proto_put_nulstr(&b, "db");
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &out), PROTO_BAD);

    /* auth longer than PROTO_AUTH_MAX */
    proto_buf_reset(&b);
    proto_ssl_request_write(&b, caps, 0, 33);
    b.data[1] &= (uint8_t) ~(CLIENT_SSL >> 8);
    proto_put_nulstr(&b, "u");
    uint8_t big[PROTO_AUTH_MAX + 1] = {0};
    proto_put_lenenc_str(&b, big, sizeof big);
    proto_put_nulstr(&b, "db");
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &out), PROTO_BAD);

    /* db not NUL-terminated inside the payload */
    proto_buf_reset(&b);
    in = sample_response(caps);
    proto_hs_response_write(&b, &in);
    assert_int_equal(proto_hs_response_parse(b.data, b.len - 1, SERVER_CAPS, &out), PROTO_BAD);

    /* no CLIENT_PROTOCOL_41 */
    proto_buf_reset(&b);
    in = sample_response(caps & ~CLIENT_PROTOCOL_41);
    proto_hs_response_write(&b, &in);
    assert_int_equal(proto_hs_response_parse(b.data, b.len, SERVER_CAPS, &out), PROTO_BAD);
    proto_buf_free(&b);
}

static void test_auth_switch(void **state)
{
    (void)state;
    const uint8_t *scr = (const uint8_t *)"HSK[hzLM|K>8;_MDL3XB";
    proto_buf b;
    proto_buf_init(&b);
    proto_auth_switch_write(&b, PROTO_NATIVE_PLUGIN, scr, 20);
    assert_int_equal(b.len, 1 + sizeof PROTO_NATIVE_PLUGIN + 20 + 1);
    assert_int_equal(b.data[0], 0xfe);
    assert_int_equal(b.data[b.len - 1], 0);
    char plugin[PROTO_PLUGIN_MAX];
    uint8_t data[64];
    size_t n;
    assert_int_equal(proto_auth_switch_parse(b.data, b.len, plugin, data, &n, sizeof data),
                     PROTO_OK);
    assert_string_equal(plugin, PROTO_NATIVE_PLUGIN);
    assert_int_equal(n, 20);
    assert_memory_equal(data, scr, 20);
    assert_int_equal(proto_auth_switch_parse(b.data, b.len, plugin, data, &n, 19), PROTO_BAD);
    for (size_t i = 0; i < 1 + sizeof PROTO_NATIVE_PLUGIN; i++)
        assert_int_equal(proto_auth_switch_parse(b.data, i, plugin, data, &n, 64), PROTO_BAD);

    /* other plugins' data passes untouched, trailing zero included */
    static const uint8_t nonce[4] = {1, 2, 3, 0};
    proto_buf_reset(&b);
    proto_auth_switch_write(&b, "client_ed25519", nonce, 4);
    assert_int_equal(b.len, 1 + 15 + 4);
    assert_int_equal(proto_auth_switch_parse(b.data, b.len, plugin, data, &n, 64), PROTO_OK);
    assert_string_equal(plugin, "client_ed25519");
    assert_int_equal(n, 4);
    assert_memory_equal(data, nonce, 4);

    b.data[0] = 0x01;
    assert_int_equal(proto_auth_switch_parse(b.data, b.len, plugin, data, &n, 64), PROTO_BAD);
    proto_buf_free(&b);
}

static const uint64_t CU_CAPS =
    CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS;

/* Hand-built COM_CHANGE_USER, independent of the writer. */
static const uint8_t CHANGE_USER[] = {
    0x11, 'b',  'o',  'b',  0, /* user */
    3,    0xaa, 0xbb, 0xcc,    /* auth, 1-byte length */
    'd',  'b',  0,             /* db */
    0x21, 0x00,                /* charset 33 */
    'm',  'y',  's',  'q',  'l', '_', 'n', 'a', 't', 'i', 'v', 'e', '_', 'p',
    'a',  's',  's',  'w',  'o', 'r', 'd', 0,   5,   2,   'k', 'x', 1,   'v', /* attrs: lenenc 5 */
};
#define CU_AFTER_DB 12

static void test_change_user_parse(void **state)
{
    (void)state;
    proto_change_user c;
    assert_int_equal(proto_change_user_parse(CHANGE_USER, sizeof CHANGE_USER, CU_CAPS, &c),
                     PROTO_OK);
    assert_string_equal(c.user, "bob");
    assert_int_equal(c.auth_len, 3);
    assert_memory_equal(c.auth, "\xaa\xbb\xcc", 3);
    assert_string_equal(c.db, "db");
    assert_int_equal(c.charset, 33);
    assert_string_equal(c.plugin, PROTO_NATIVE_PLUGIN);
    assert_int_equal(c.attrs_len, 5);
    assert_ptr_equal(c.attrs, CHANGE_USER + sizeof CHANGE_USER - 5);

    proto_buf b;
    proto_buf_init(&b);
    proto_change_user_write(&b, CU_CAPS, &c);
    assert_int_equal(b.len, sizeof CHANGE_USER);
    assert_memory_equal(b.data, CHANGE_USER, sizeof CHANGE_USER);
    proto_buf_free(&b);
}

static void test_change_user_prefixes(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof CHANGE_USER; i++) {
        uint8_t *copy = malloc(i ? i : 1);
        memcpy(copy, CHANGE_USER, i);
        proto_change_user c;
        int rc = proto_change_user_parse(copy, i, CU_CAPS, &c);
        if (i == CU_AFTER_DB) { /* an old client's whole packet */
            assert_int_equal(rc, PROTO_OK);
            assert_string_equal(c.db, "db");
            assert_int_equal(c.charset, 0);
            assert_null(c.attrs);
        } else {
            assert_int_equal(rc, PROTO_BAD);
        }
        free(copy);
    }
}

static void test_change_user_forms(void **state)
{
    (void)state;
    proto_change_user in = {.charset = 45}, out;
    strcpy(in.user, "carol");
    memcpy(in.auth, "12345678901234567890", 20);
    in.auth_len = 20;
    strcpy(in.db, "");
    proto_buf b;
    proto_buf_init(&b);
    /* no SECURE_CONNECTION: NUL-terminated auth, no plugin, no attrs */
    proto_change_user_write(&b, CLIENT_PROTOCOL_41, &in);
    assert_int_equal(b.len, 1 + 6 + 21 + 1 + 2);
    assert_int_equal(proto_change_user_parse(b.data, b.len, CLIENT_PROTOCOL_41, &out), PROTO_OK);
    assert_string_equal(out.user, "carol");
    assert_int_equal(out.auth_len, 20);
    assert_memory_equal(out.auth, in.auth, 20);
    assert_int_equal(out.charset, 45);
    assert_null(out.attrs);

    /* attrs NULL is written as an empty set */
    proto_buf_reset(&b);
    proto_change_user_write(&b, CU_CAPS, &in);
    assert_int_equal(proto_change_user_parse(b.data, b.len, CU_CAPS, &out), PROTO_OK);
    assert_non_null(out.attrs);
    assert_int_equal(out.attrs_len, 0);

    /* a 1-byte length holds at most 255 bytes of auth data */
    proto_buf_reset(&b);
    memset(in.auth, 'a', PROTO_AUTH_MAX);
    in.auth_len = PROTO_AUTH_MAX;
    proto_change_user_write(&b, CU_CAPS, &in);
    assert_int_equal(proto_change_user_parse(b.data, b.len, CU_CAPS, &out), PROTO_OK);
    assert_int_equal(out.auth_len, 255);

    /* wrong command byte, over-long user */
    b.data[0] = 0x03;
    assert_int_equal(proto_change_user_parse(b.data, b.len, CU_CAPS, &out), PROTO_BAD);
    proto_buf_reset(&b);
    proto_put_u8(&b, 0x11);
    for (int i = 0; i <= PROTO_NAME_MAX; i++)
        proto_put_u8(&b, 'x');
    proto_put_u8(&b, 0);
    proto_put_u8(&b, 0);
    proto_put_u8(&b, 0);
    assert_int_equal(proto_change_user_parse(b.data, b.len, CU_CAPS, &out), PROTO_BAD);
    proto_buf_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_greeting_parse_real),
        cmocka_unit_test(test_greeting_write_matches_server),
        cmocka_unit_test(test_greeting_mysql_caps),
        cmocka_unit_test(test_greeting_rejects),
        cmocka_unit_test(test_greeting_long_version_truncated),
        cmocka_unit_test(test_response_libmysql),
        cmocka_unit_test(test_response_libmariadb),
        cmocka_unit_test(test_response_prefixes_rejected),
        cmocka_unit_test(test_ssl_request),
        cmocka_unit_test(test_response_auth_forms),
        cmocka_unit_test(test_response_limits),
        cmocka_unit_test(test_auth_switch),
        cmocka_unit_test(test_change_user_parse),
        cmocka_unit_test(test_change_user_prefixes),
        cmocka_unit_test(test_change_user_forms),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
