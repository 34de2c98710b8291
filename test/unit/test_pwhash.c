/*
 * test_pwhash.c: the admin users' password hashes (server/pwhash.c): made
 * hashes parse and verify, wrong passwords do not, each salt is new, and
 * plaintext, malformed or out-of-range values are refused with a message
 * that does not repeat them.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/pwhash.h"

/* "s3cret" with 1000 iterations and salt "0123456789abcdef" (from Python's hashlib). */
#define SALT  "MDEyMzQ1Njc4OWFiY2RlZg=="
#define HASH  "Pz0s4HPO+TyHnyTxIR8Lx+fEZojc3Lc26DQkf4ZOWCk="
#define KNOWN "pbkdf2-sha256$1000$" SALT "$" HASH

static void parse_ok(const char *text, pwhash *h)
{
    char err[256];
    if (pwhash_parse(text, h, err, sizeof err) != 0)
        fail_msg("%s: %s", text, err);
}

static void test_make_and_verify(void **state)
{
    char *a = pwhash_make("p\xc3\xa4ss:word", PWHASH_ITERATIONS);
    char *b = pwhash_make("p\xc3\xa4ss:word", PWHASH_ITERATIONS);
    assert_non_null(a);
    assert_non_null(b);
    assert_string_not_equal(a, b); /* a new salt each time */
    assert_int_equal(strncmp(a, "pbkdf2-sha256$20000$", 20), 0);
    pwhash h;
    parse_ok(a, &h);
    assert_int_equal(h.iterations, PWHASH_ITERATIONS);
    assert_int_equal(h.salt_len, PWHASH_SALT_LEN);
    const char *pw = "p\xc3\xa4ss:word";
    assert_true(pwhash_verify(&h, pw, strlen(pw)));
    assert_false(pwhash_verify(&h, pw, strlen(pw) - 1));
    assert_false(pwhash_verify(&h, "p\xc3\xa4ss:worD", strlen(pw)));
    assert_false(pwhash_verify(&h, "", 0));
    free(a);
    free(b);
}

static void test_known_value(void **state)
{
    pwhash h;
    parse_ok(KNOWN, &h);
    assert_int_equal(h.iterations, 1000);
    assert_memory_equal(h.salt, "0123456789abcdef", 16);
    assert_true(pwhash_verify(&h, "s3cret", 6));
    assert_false(pwhash_verify(&h, "s3cret ", 7));
}

static void refused(const char *text, const char *why)
{
    pwhash h;
    char err[256] = "";
    assert_int_equal(pwhash_check(text, err, sizeof err), -1);
    if (!strstr(err, why))
        fail_msg("%s: expected '%s' in '%s'", text, why, err);
    if (*text && strstr(err, text))
        fail_msg("the message repeats the value: %s", err);
    assert_int_equal(pwhash_parse(text, &h, err, sizeof err), -1);
}

static void test_refused(void **state)
{
    refused("ops_password", "a plaintext password?");
    refused("", "not a password hash");
    refused("pbkdf2-sha1$1000$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$-5$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$0$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$1000x$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$99999999999999999999999$" SALT "$" HASH, "not a password hash");
    refused("pbkdf2-sha256$1000$" SALT, "malformed");
    refused("pbkdf2-sha256$1000$" SALT "$AAAA", "malformed"); /* short hash */
    refused("pbkdf2-sha256$1000$MDEy$" HASH, "malformed");    /* short salt */
    refused("pbkdf2-sha256$1000$" SALT "$" HASH " ", "malformed");
    refused("pbkdf2-sha256$1000$MDEyMzQ1Njc4OWFi*2RlZg==$" HASH, "malformed");
    refused("pbkdf2-sha256$999$" SALT "$" HASH, "iterations must be 1000..100000");
    refused("pbkdf2-sha256$100001$" SALT "$" HASH, "iterations must be");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_make_and_verify),
        cmocka_unit_test(test_known_value),
        cmocka_unit_test(test_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
