/*
 * test_users.c: unit tests of the account cache's pure parts: host pattern
 * matching, the specificity order of accounts, and the proxy's
 * mysql_native_password round trip (client answer -> SHA1(password) ->
 * answer to a backend's different scramble).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "protocol/auth.h"
#include "server/users.h"

/* SHA1(SHA1("app_pw")) as mysql.user stores it, and SHA1("app_pw"). */
#define APP_PW_HASH "*95BE1A04B76EE9AB97CEE8436421F2D15539B738"
static const uint8_t APP_PW_SHA1[PROTO_SHA1_LEN] = {0x47, 0x8f, 0x03, 0x6c, 0xc2, 0x36, 0x81,
                                                    0x87, 0xbe, 0x39, 0x46, 0x1c, 0x73, 0x6d,
                                                    0x70, 0xbe, 0x6a, 0x84, 0xf1, 0xef};

static void host_patterns(void **state)
{
    assert_true(users_host_match("%", "10.1.2.3"));
    assert_true(users_host_match("10.1.%", "10.1.2.3"));
    assert_false(users_host_match("10.1.%", "10.12.2.3"));
    assert_true(users_host_match("10.1.2._", "10.1.2.3"));
    assert_false(users_host_match("10.1.2._", "10.1.2.33"));
    assert_true(users_host_match("10.1.0.0/255.255.0.0", "10.1.200.3"));
    assert_false(users_host_match("10.1.0.0/255.255.0.0", "10.2.0.3"));
    assert_true(users_host_match("localhost", "127.0.0.1"));
    assert_true(users_host_match("localhost", "::1"));
    assert_false(users_host_match("localhost", "10.0.0.1"));
    assert_true(users_host_match("127.0.0.1", "::ffff:127.0.0.1"));
    assert_false(users_host_match("10.9.9.9", "127.0.0.1"));
}

static void most_specific_first(void **state)
{
    char *rows[][USERS_NCOLS] = {
        {"app", "%", "*AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", "mysql_native_password", "", "Y"},
        {"app", "127.0.0.1", "*BBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBBB", "", "", "N"},
        {"app", "127.0.%", "*CCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCCC", "", "", "N"},
        {"", "%", "", "", "", "N"}, /* anonymous: ignored */
        {"ed", "%", "", "ed25519", "xyz", "N"},
    };
    users_table *t = users_table_build((char *const(*)[USERS_NCOLS])rows, 5);
    assert_non_null(t);
    assert_int_equal(t->n, 4);
    const user_account *a = users_match(t, "app", "127.0.0.1");
    assert_string_equal(a->host, "127.0.0.1");
    assert_false(a->repl_slave);
    a = users_match(t, "app", "127.0.0.9");
    assert_string_equal(a->host, "127.0.%");
    a = users_match(t, "app", "192.168.1.1");
    assert_string_equal(a->host, "%");
    assert_true(a->native && a->has_hash && a->repl_slave);
    a = users_match(t, "ed", "1.2.3.4");
    assert_non_null(a);
    assert_false(a->native);
    assert_null(users_match(t, "nobody", "127.0.0.1"));
    assert_null(users_match(t, "", "127.0.0.1"));
    users_unref(t);
}

static void proxy_native_round_trip(void **state)
{
    uint8_t s1[PROTO_SCRAMBLE_LEN], s2[PROTO_SCRAMBLE_LEN];
    uint8_t client[PROTO_SHA1_LEN], direct[PROTO_SHA1_LEN], proxied[PROTO_SHA1_LEN];
    uint8_t stored[PROTO_SHA1_LEN], sha1_pw[PROTO_SHA1_LEN];
    size_t n = 0;
    proto_scramble_new(s1);
    proto_scramble_new(s2);
    assert_memory_not_equal(s1, s2, sizeof(s1));
    assert_true(proto_native_hash_parse(APP_PW_HASH, stored));

    /* The client answers Ferry's scramble; Ferry recovers SHA1(password)... */
    proto_native_reply_from_password("app_pw", s1, client, &n);
    assert_int_equal(n, PROTO_SHA1_LEN);
    assert_true(proto_native_check(client, n, s1, stored, sha1_pw));
    assert_memory_equal(sha1_pw, APP_PW_SHA1, PROTO_SHA1_LEN);

    /* ...and answers the backend's scramble exactly as the client would have. */
    proto_native_reply(sha1_pw, s2, proxied);
    proto_native_reply_from_password("app_pw", s2, direct, &n);
    assert_memory_equal(proxied, direct, PROTO_SHA1_LEN);

    /* A wrong password, or an answer to another scramble, is refused. */
    proto_native_reply_from_password("app_pw2", s1, client, &n);
    assert_false(proto_native_check(client, n, s1, stored, sha1_pw));
    proto_native_reply_from_password("app_pw", s2, client, &n);
    assert_false(proto_native_check(client, n, s1, stored, sha1_pw));
    assert_false(proto_native_check(client, 19, s1, stored, sha1_pw));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(host_patterns),
        cmocka_unit_test(most_specific_first),
        cmocka_unit_test(proxy_native_round_trip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
