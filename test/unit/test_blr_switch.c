/*
 * test_blr_switch.c: the GTID state the relay asks a new master for, on the
 * cases found in the lab (router/blr_switch.h).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "router/blr_switch.h"

static gtid_pos pos(const char *text)
{
    gtid_pos p;
    assert_int_equal(gtid_pos_parse(&p, text, strlen(text), NULL), 0);
    return p;
}

static void expect(const char *committed, const char *master, const char *want)
{
    gtid_pos c = pos(committed), m = pos(master), out;
    char why[256] = "", text[1024];
    assert_int_equal(blr_switch_state(&c, &m, true, 70, &out, why, sizeof(why)), BLR_SWITCH_OK);
    gtid_pos_format(&out, text, sizeof(text));
    assert_string_equal(text, want);
}

static void wsrep_domain_exactly_ours(void **state)
{
    /* The new master is ahead in the cluster domain: ask for exactly our GTID. */
    expect("70-7000-24", "70-7000-27", "70-7000-24");
    expect("70-7000-24", "70-7000-24", "70-7000-24");
}

static void wait_until_master_reaches_us(void **state)
{
    gtid_pos c = pos("70-7000-24"), m = pos("70-7000-23"), out;
    char why[256] = "";
    assert_int_equal(blr_switch_state(&c, &m, true, 70, &out, why, sizeof(why)), BLR_SWITCH_WAIT);
    assert_non_null(strstr(why, "70-7000-24"));
    gtid_pos none = pos("");
    assert_int_equal(blr_switch_state(&c, &none, true, 70, &out, why, sizeof(why)),
                     BLR_SWITCH_WAIT);
}

static void node_local_domains(void **state)
{
    /* g2's local domain 72 that g3 only inherited: ask g3 for its own GTID (lab note 7). */
    expect("70-7000-29,72-7000-2", "70-7000-30,72-7000-1", "70-7000-29,72-7000-1");
    /* The master never saw our domain 72: leave it out. */
    expect("70-7000-29,72-7000-2", "70-7000-30", "70-7000-29");
    /* The master has a local domain 73 we never had: start it at the master's GTID. */
    expect("70-7000-29", "70-7000-30,73-7000-5", "70-7000-29,73-7000-5");
    /* The master is ahead in our domain 72: ask for ours. */
    expect("70-7000-29,72-7000-2", "70-7000-30,72-7000-9", "70-7000-29,72-7000-2");
}

static void empty_relay_wants_everything(void **state)
{
    expect("", "70-7000-30,73-7000-5", "");
}

static void without_galera_every_domain_is_local(void **state)
{
    gtid_pos c = pos("80-8000-10"), m = pos("80-8000-5"), out;
    char why[256] = "", text[256];
    assert_int_equal(blr_switch_state(&c, &m, false, 0, &out, why, sizeof(why)), BLR_SWITCH_OK);
    gtid_pos_format(&out, text, sizeof(text));
    assert_string_equal(text, "80-8000-5");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(wsrep_domain_exactly_ours),
        cmocka_unit_test(wait_until_master_reaches_us),
        cmocka_unit_test(node_local_domains),
        cmocka_unit_test(empty_relay_wants_everything),
        cmocka_unit_test(without_galera_every_domain_is_local),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
