/*
 * test_proto_gtid.c: MariaDB GTID positions: text parse and format round
 * trips (incl. the values seen in the lab captures), whitespace, the error
 * cases, the 256-domain bound, per-domain get/set/update/remove and the
 * comparisons the binlog relay uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "protocol/gtid.h"
#include "protocol/packet.h"

static int parse(gtid_pos *p, const char *s, const char **why)
{
    return gtid_pos_parse(p, s, strlen(s), why);
}

/* Parses s, formats it and checks the text is want. */
static void check_round_trip(const char *s, const char *want)
{
    gtid_pos p;
    const char *why = "unset";
    assert_int_equal(parse(&p, s, &why), PROTO_OK);
    assert_null(why);
    char out[GTID_POS_TEXT_MAX];
    size_t n = gtid_pos_format(&p, out, sizeof out);
    assert_string_equal(out, want);
    assert_int_equal(n, strlen(want));
    gtid_pos again;
    assert_int_equal(parse(&again, out, NULL), PROTO_OK);
    assert_true(gtid_pos_equal(&p, &again));
}

static void test_round_trips(void **state)
{
    (void)state;
    check_round_trip("70-7000-24", "70-7000-24");
    check_round_trip("70-7000-24,72-7000-1", "70-7000-24,72-7000-1");
    check_round_trip("72-7000-1,70-7000-29", "70-7000-29,72-7000-1"); /* sorted by domain */
    check_round_trip("  70 - 7000 - 24 ,\t72-7000-1\r\n", "70-7000-24,72-7000-1");
    check_round_trip("", "");
    check_round_trip(" \t\n", "");
    check_round_trip("0-0-0", "0-0-0");
    check_round_trip("007-08-09", "7-8-9");
    check_round_trip("4294967295-4294967295-18446744073709551615",
                     "4294967295-4294967295-18446744073709551615");
    check_round_trip("80-8000-3,70-7000-27,71-7000-2,73-7000-9",
                     "70-7000-27,71-7000-2,73-7000-9,80-8000-3");
}

static void check_bad(const char *s)
{
    gtid_pos p;
    assert_int_equal(parse(&p, "1-1-1", NULL), PROTO_OK);
    const char *why = NULL;
    assert_int_equal(parse(&p, s, &why), PROTO_BAD);
    assert_non_null(why);
    assert_int_equal(p.n, 0); /* left empty */
}

static void test_parse_errors(void **state)
{
    (void)state;
    static const char *const BAD[] = {
        "70",
        "70-7000",
        "70-7000-",
        "70-7000-24,",
        ",70-7000-24",
        "70-7000-24,,72-7000-1",
        "70-7000-24;72-7000-1",
        "70-7000-24 72-7000-1",
        "70-7000-24-5",
        "a-1-1",
        "-1-1-1",
        "+1-1-1",
        "1--1-1",
        "1-1-1x",
        "1-1-0x10",
        "4294967296-1-1",
        "1-4294967296-1",
        "1-1-18446744073709551616",
        "1-1-99999999999999999999",
        "70-7000-24,70-7001-25",
        "70-7000-24, 71-1-1, 70-7000-24",
        "'70-7000-24'",
        "NULL",
    };
    for (size_t i = 0; i < sizeof BAD / sizeof BAD[0]; i++)
        check_bad(BAD[i]);

    const char *why = NULL;
    gtid_pos p;
    assert_int_equal(parse(&p, "70-7000-24,70-7000-25", &why), PROTO_BAD);
    assert_non_null(strstr(why, "more than once"));
    /* An embedded NUL inside the given length is junk. */
    assert_int_equal(gtid_pos_parse(&p, "1-1-1\0", 6, &why), PROTO_BAD);
    /* The length bounds the input: the text after it is not read. */
    assert_int_equal(gtid_pos_parse(&p, "1-1-1,junk", 5, &why), PROTO_OK);
    assert_int_equal(p.n, 1);
}

static void test_single_gtid(void **state)
{
    (void)state;
    gtid_t g;
    assert_int_equal(gtid_parse(" 70-7000-24 ", 12, &g), PROTO_OK);
    assert_int_equal(g.domain, 70);
    assert_int_equal(g.server_id, 7000);
    assert_int_equal(g.seq, 24);
    assert_int_equal(gtid_parse("70-7000-24,1-1-1", 16, &g), PROTO_BAD);
    assert_int_equal(gtid_parse("", 0, &g), PROTO_BAD);
    char out[GTID_TEXT_MAX + 1];
    gtid_t max = {UINT32_MAX, UINT32_MAX, UINT64_MAX};
    assert_int_equal(gtid_format(&max, out, sizeof out), GTID_TEXT_MAX);
    assert_string_equal(out, "4294967295-4294967295-18446744073709551615");
}

static void test_capacity(void **state)
{
    (void)state;
    static char text[GTID_POS_TEXT_MAX + 64];
    size_t n = 0;
    for (unsigned d = 0; d < GTID_POS_MAX; d++)
        n += (size_t)sprintf(text + n, "%s%u-4294967295-18446744073709551615", d ? "," : "",
                             4294967295u - d);
    gtid_pos p;
    assert_int_equal(gtid_pos_parse(&p, text, n, NULL), PROTO_OK);
    assert_int_equal(p.n, GTID_POS_MAX);
    for (uint32_t i = 1; i < p.n; i++)
        assert_true(p.v[i - 1].domain < p.v[i].domain);
    char out[GTID_POS_TEXT_MAX];
    assert_true(gtid_pos_format(&p, out, sizeof out) < sizeof out);

    gtid_t extra = {5, 1, 1};
    assert_int_equal(gtid_pos_set(&p, &extra), PROTO_BAD);
    assert_int_equal(gtid_pos_update(&p, &extra), PROTO_BAD);
    assert_int_equal(p.n, GTID_POS_MAX);
    extra.domain = 4294967295u; /* an existing domain still updates */
    assert_int_equal(gtid_pos_set(&p, &extra), PROTO_OK);

    const char *why = NULL;
    n += (size_t)sprintf(text + n, ",1-1-1");
    assert_int_equal(gtid_pos_parse(&p, text, n, &why), PROTO_BAD);
    assert_non_null(strstr(why, "too many"));
}

static void test_format_truncation(void **state)
{
    (void)state;
    gtid_pos p;
    assert_int_equal(parse(&p, "70-7000-24,72-7000-1", NULL), PROTO_OK);
    char out[16];
    memset(out, 'x', sizeof out);
    assert_int_equal(gtid_pos_format(&p, out, sizeof out), 20);
    assert_string_equal(out, "70-7000-24"); /* the GTIDs that fit */
    assert_int_equal(gtid_pos_format(&p, out, 0), 20);
    assert_int_equal(gtid_pos_format(&p, out, 1), 20);
    assert_string_equal(out, "");
}

static void test_get_set_update(void **state)
{
    (void)state;
    gtid_pos p;
    gtid_pos_init(&p);
    assert_null(gtid_pos_get(&p, 70));
    gtid_t a = {70, 7000, 24}, b = {72, 7000, 1}, c = {71, 7000, 5};
    assert_int_equal(gtid_pos_set(&p, &a), PROTO_OK);
    assert_int_equal(gtid_pos_set(&p, &b), PROTO_OK);
    assert_int_equal(gtid_pos_set(&p, &c), PROTO_OK);
    assert_int_equal(p.n, 3);
    assert_int_equal(p.v[1].domain, 71);
    assert_int_equal(gtid_pos_get(&p, 72)->seq, 1);

    gtid_t older = {70, 7001, 20}, newer = {70, 7001, 25};
    assert_int_equal(gtid_pos_update(&p, &older), 0);
    assert_int_equal(gtid_pos_get(&p, 70)->server_id, 7000);
    assert_int_equal(gtid_pos_update(&p, &newer), 1);
    assert_int_equal(gtid_pos_get(&p, 70)->server_id, 7001);
    assert_int_equal(gtid_pos_set(&p, &older), PROTO_OK); /* set moves backwards too */
    assert_int_equal(gtid_pos_get(&p, 70)->seq, 20);
    gtid_t fresh = {80, 8000, 3};
    assert_int_equal(gtid_pos_update(&p, &fresh), 1);

    assert_true(gtid_pos_remove(&p, 71));
    assert_false(gtid_pos_remove(&p, 71));
    char out[128];
    gtid_pos_format(&p, out, sizeof out);
    assert_string_equal(out, "70-7001-20,72-7000-1,80-8000-3");

    gtid_pos q;
    gtid_pos_copy(&q, &p);
    assert_true(gtid_pos_equal(&p, &q));
    q.v[0].server_id = 1;
    assert_false(gtid_pos_equal(&p, &q));
    gtid_pos_copy(&q, &q);
}

static void test_comparisons(void **state)
{
    (void)state;
    gtid_pos relay, replica;
    assert_int_equal(parse(&relay, "70-7000-29,72-7000-1", NULL), PROTO_OK);

    gtid_t g25 = {70, 7000, 25}, g29 = {70, 1, 29}, g30 = {70, 7000, 30}, g73 = {73, 7000, 1};
    assert_true(gtid_pos_contains(&relay, &g25));
    assert_true(gtid_pos_contains(&relay, &g29)); /* seq decides, not server_id */
    assert_false(gtid_pos_contains(&relay, &g30));
    assert_false(gtid_pos_contains(&relay, &g73));

    /* A replica behind the relay: nothing ahead. */
    assert_int_equal(parse(&replica, "70-7000-24", NULL), PROTO_OK);
    assert_null(gtid_pos_first_ahead(&replica, &relay));
    assert_int_equal(gtid_pos_cmp_domain(&replica, &relay, 70), -1);
    assert_int_equal(gtid_pos_cmp_domain(&replica, &relay, 72), -1);
    assert_int_equal(gtid_pos_cmp_domain(&relay, &replica, 72), 1);
    assert_int_equal(gtid_pos_cmp_domain(&replica, &relay, 99), 0);
    assert_non_null(gtid_pos_first_ahead(&relay, &replica));

    /* Ahead in one domain, and a domain the relay never saw (capture notes: 72-7000-2). */
    assert_int_equal(parse(&replica, "70-7000-29,72-7000-2", NULL), PROTO_OK);
    const gtid_t *ahead = gtid_pos_first_ahead(&replica, &relay);
    assert_non_null(ahead);
    assert_int_equal(ahead->domain, 72);
    assert_int_equal(gtid_pos_cmp_domain(&replica, &relay, 70), 0);
    assert_int_equal(gtid_pos_cmp_domain(&replica, &relay, 72), 1);
    assert_int_equal(parse(&replica, "70-7000-29,81-8000-1", NULL), PROTO_OK);
    assert_int_equal(gtid_pos_first_ahead(&replica, &relay)->domain, 81);

    gtid_pos empty;
    gtid_pos_init(&empty);
    assert_null(gtid_pos_first_ahead(&empty, &relay));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trips),       cmocka_unit_test(test_parse_errors),
        cmocka_unit_test(test_single_gtid),       cmocka_unit_test(test_capacity),
        cmocka_unit_test(test_format_truncation), cmocka_unit_test(test_get_set_update),
        cmocka_unit_test(test_comparisons),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
