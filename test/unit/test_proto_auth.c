/*
 * test_proto_auth.c: mysql_native_password against a real exchange (the
 * replica's answer for "repl_pw" in 01-replica-start-slave-g2) and vectors
 * computed with Python's hashlib; recovery of SHA1(password); hash parsing;
 * the scramble alphabet.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "protocol/auth.h"

static const uint8_t *SCRAMBLE = (const uint8_t *)"HSK[hzLM|K>8;_MDL3XB";
/* The replica's answer to SCRAMBLE, password "repl_pw". */
static const uint8_t REPLY[20] = {0xff, 0x28, 0x98, 0x95, 0xbf, 0x08, 0xd6, 0x3a, 0xdd, 0xa7,
                                  0x10, 0x1a, 0xfe, 0x6e, 0xba, 0x97, 0x1b, 0xb0, 0xc7, 0xda};
/* SHA1("repl_pw") */
static const uint8_t SHA1_PW[20] = {0x80, 0xf1, 0xc9, 0x1b, 0x29, 0xdc, 0xdf, 0xe1, 0x8d, 0x99,
                                    0xcc, 0xa5, 0x4f, 0x70, 0x9c, 0x27, 0xd9, 0x6f, 0xc0, 0x22};
static const char STORED_TEXT[] = "*7BA71F4456F64C9BFA8698DA98EC839BB5D15EF3";

static void test_reply_from_password(void **state)
{
    (void)state;
    uint8_t out[20];
    size_t n = 0;
    proto_native_reply_from_password("repl_pw", SCRAMBLE, out, &n);
    assert_int_equal(n, 20);
    assert_memory_equal(out, REPLY, 20);

    /* hashlib: password "secret", scramble bytes 1..20 */
    static const uint8_t want[20] = {0xb3, 0x2b, 0xb3, 0xa5, 0x83, 0xe1, 0x34, 0x0c, 0x0a, 0x11,
                                     0x08, 0xd5, 0x8b, 0x1b, 0xe4, 0x97, 0x81, 0xad, 0x8c, 0x2f};
    uint8_t scr[20];
    for (int i = 0; i < 20; i++)
        scr[i] = (uint8_t)(i + 1);
    proto_native_reply_from_password("secret", scr, out, &n);
    assert_int_equal(n, 20);
    assert_memory_equal(out, want, 20);

    n = 99;
    proto_native_reply_from_password("", scr, out, &n);
    assert_int_equal(n, 0);
}

static void test_reply_from_sha1(void **state)
{
    (void)state;
    uint8_t out[20];
    proto_native_reply(SHA1_PW, SCRAMBLE, out);
    assert_memory_equal(out, REPLY, 20);
}

static void test_check_and_recover(void **state)
{
    (void)state;
    uint8_t stored[20], sha1_pw[20];
    assert_true(proto_native_hash_parse(STORED_TEXT, stored));
    assert_true(proto_native_check(REPLY, 20, SCRAMBLE, stored, sha1_pw));
    assert_memory_equal(sha1_pw, SHA1_PW, 20);

    /* the proxy answers a backend's different scramble with what it recovered */
    uint8_t backend[20], via_proxy[20], direct[20];
    size_t n;
    memcpy(backend, "abcdefghijklmnopqrst", 20);
    proto_native_reply(sha1_pw, backend, via_proxy);
    proto_native_reply_from_password("repl_pw", backend, direct, &n);
    assert_memory_equal(via_proxy, direct, 20);
}

static void test_check_rejects(void **state)
{
    (void)state;
    uint8_t stored[20], sha1_pw[20], bad[20];
    assert_true(proto_native_hash_parse(STORED_TEXT, stored));
    memset(sha1_pw, 0x77, 20);
    memcpy(bad, REPLY, 20);
    bad[7] ^= 1;
    assert_false(proto_native_check(bad, 20, SCRAMBLE, stored, sha1_pw));
    assert_false(proto_native_check(REPLY, 19, SCRAMBLE, stored, sha1_pw));
    assert_false(proto_native_check(REPLY, 0, SCRAMBLE, stored, sha1_pw));
    uint8_t other[20];
    memcpy(other, SCRAMBLE, 20);
    other[0] = 'x';
    assert_false(proto_native_check(REPLY, 20, other, stored, sha1_pw));
    for (int i = 0; i < 20; i++)
        assert_int_equal(sha1_pw[i], 0x77); /* untouched on failure */
}

static void test_hash_parse(void **state)
{
    (void)state;
    uint8_t out[20], lower[20];
    assert_true(proto_native_hash_parse(STORED_TEXT, out));
    assert_int_equal(out[0], 0x7b);
    assert_int_equal(out[19], 0xf3);
    assert_true(proto_native_hash_parse("*7ba71f4456f64c9bfa8698da98ec839bb5d15ef3", lower));
    assert_memory_equal(out, lower, 20);
    assert_false(proto_native_hash_parse("7BA71F4456F64C9BFA8698DA98EC839BB5D15EF3", out));
    assert_false(proto_native_hash_parse("*7BA71F4456F64C9BFA8698DA98EC839BB5D15EF", out));
    assert_false(proto_native_hash_parse("*7BA71F4456F64C9BFA8698DA98EC839BB5D15EF33", out));
    assert_false(proto_native_hash_parse("*7BA71F4456F64C9BFA8698DA98EC839BB5D15EG3", out));
    assert_false(proto_native_hash_parse("", out));
    assert_false(proto_native_hash_parse(NULL, out));
}

static void test_scramble_alphabet(void **state)
{
    (void)state;
    bool seen[256] = {false};
    uint8_t a[20], b[20];
    for (int round = 0; round < 2000; round++) {
        proto_scramble_new(a);
        for (int i = 0; i < 20; i++) {
            assert_in_range(a[i], 33, 126);
            assert_int_not_equal(a[i], '$');
            seen[a[i]] = true;
        }
    }
    for (int c = 33; c <= 126; c++)
        if (c != '$')
            assert_true(seen[c]); /* 40000 draws cover all 93 values */
    proto_scramble_new(a);
    proto_scramble_new(b);
    assert_memory_not_equal(a, b, 20);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_reply_from_password), cmocka_unit_test(test_reply_from_sha1),
        cmocka_unit_test(test_check_and_recover),   cmocka_unit_test(test_check_rejects),
        cmocka_unit_test(test_hash_parse),          cmocka_unit_test(test_scramble_alphabet),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
