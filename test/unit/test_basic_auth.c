/*
 * test_basic_auth.c: HTTP Basic credentials (server/basic_auth.c): headers
 * that ferryctl builds parse back; other schemes, bad Base64, a missing ':',
 * NUL bytes and oversized parts are refused.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "server/basic_auth.h"

static char user[BASIC_USER_MAX], password[BASIC_PASSWORD_MAX];

static int parse(const char *header)
{
    return basic_auth_parse(header, user, password);
}

static void test_round_trip(void **state)
{
    const char *cases[][2] = {
        {"ops", "s3cret"}, {"a", ""}, {"ops", "with:colon and space"}, {"\xc3\xa4", "p\xc3\xa4ss"}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *h = basic_auth_header(cases[i][0], cases[i][1]);
        assert_non_null(h);
        assert_int_equal(parse(h), 0);
        assert_string_equal(user, cases[i][0]);
        assert_string_equal(password, cases[i][1]);
        free(h);
    }
}

static void test_known_headers(void **state)
{
    assert_int_equal(parse("Basic b3BzOnMzY3JldA=="), 0); /* ops:s3cret */
    assert_string_equal(user, "ops");
    assert_string_equal(password, "s3cret");
    assert_int_equal(parse("basic   b3BzOnMzY3JldA==  "), 0);
    assert_string_equal(password, "s3cret");
    assert_int_equal(parse("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="), 0);
    assert_string_equal(user, "Aladdin");
    assert_string_equal(password, "open sesame");
}

static void test_refused(void **state)
{
    const char *bad[] = {
        NULL,
        "",
        "Basic",
        "Basic ",
        "Bearer b3BzOnMzY3JldA==",
        "Basicb3BzOnMzY3JldA==",
        "Basic b3BzOnMzY3JldA== extra",
        "Basic b3BzOnMzY3JldA=",   /* length not a multiple of 4 */
        "Basic b3Bz*nMzY3JldA==",  /* not Base64 */
        "Basic b3Bz",              /* "ops": no ':' */
        "Basic OnMzY3JldA==",      /* ":s3cret": no user */
        "Basic b3AAczpwdw==",      /* "op\0s:pw" */
        "Basic b3BzOnB3AA==",      /* "ops:pw\0" */
        "Basic b3Bz=OnMzY3JldA==", /* '=' inside */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        if (parse(bad[i]) != -1)
            fail_msg("accepted '%s'", bad[i] ? bad[i] : "(null)");
}

static void test_limits(void **state)
{
    char long_user[BASIC_USER_MAX + 1], long_pw[BASIC_PASSWORD_MAX + 1];
    memset(long_user, 'u', sizeof long_user - 1);
    long_user[sizeof long_user - 1] = '\0';
    memset(long_pw, 'p', sizeof long_pw - 1);
    long_pw[sizeof long_pw - 1] = '\0';
    char *h = basic_auth_header(long_user, "pw");
    assert_int_equal(parse(h), -1);
    free(h);
    h = basic_auth_header("ops", long_pw);
    assert_int_equal(parse(h), -1);
    free(h);
    long_user[BASIC_USER_MAX - 1] = '\0';
    long_pw[BASIC_PASSWORD_MAX - 1] = '\0';
    h = basic_auth_header(long_user, long_pw);
    assert_int_equal(parse(h), 0);
    assert_string_equal(password, long_pw);
    free(h);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_known_headers),
        cmocka_unit_test(test_refused),
        cmocka_unit_test(test_limits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
