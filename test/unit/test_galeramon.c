/*
 * test_galeramon.c: unit tests for galeramon's pure decisions: node states
 * from wsrep facts, the majority cluster, the election (priorities,
 * failback, root_node_as_master, maintenance), the whole verdict (never two
 * masters), and the inbound channel's plan and gtid_slave_pos.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/galeramon.h"
#include "monitor/snapshot.h"

#define N              4
#define UUID           "fb943b37-e574-11f1-843b-a31f96bfd809"
#define SYNCED_RUNNING (SRV_SYNCED | SRV_RUNNING)

typedef struct cluster {
    gal_facts f[N];
    uint32_t states[N];
    gal_policy p;
} cluster;

/* n Synced nodes of one Primary component; local index = config order. */
static void cluster_init(cluster *c, size_t n)
{
    memset(c, 0, sizeof(*c));
    for (size_t i = 0; i < n; i++) {
        gal_facts *f = &c->f[i];
        f->running = f->vars_ok = f->wsrep = f->primary = f->ready = true;
        f->local_state = 4;
        f->local_index = (int)i;
        snprintf(f->cluster_uuid, sizeof(f->cluster_uuid), "%s", UUID);
    }
}

static void priorities(cluster *c, int a, int b, int d)
{
    c->f[0].priority = a;
    c->f[1].priority = b;
    c->f[2].priority = d;
    c->p.use_priority = true;
}

static int verdict(cluster *c, size_t n, int current)
{
    return galeramon_verdict(c->f, n, &c->p, current, c->states);
}

static uint32_t state_of(const gal_facts *f)
{
    return galeramon_node_state(f, UUID, false);
}

/* ---- states ----------------------------------------------------------- */

static void test_synced_node(void **state)
{
    cluster c;
    cluster_init(&c, 1);
    assert_int_equal(state_of(&c.f[0]), SYNCED_RUNNING);
}

static void test_down_and_plain_server(void **state)
{
    cluster c;
    cluster_init(&c, 2);
    c.f[0].running = false;
    c.f[1].wsrep = false;
    assert_int_equal(state_of(&c.f[0]), 0);
    assert_int_equal(state_of(&c.f[1]), SRV_RUNNING);
}

static void test_not_usable(void **state)
{
    cluster c;
    for (int why = 0; why < 7; why++) {
        cluster_init(&c, 1);
        gal_facts *f = &c.f[0];
        switch (why) {
        case 0:
            f->primary = false; /* non-Primary component */
            break;
        case 1:
            f->desync = true;
            break;
        case 2:
            f->ready = false;
            break;
        case 3:
            f->reject_queries = true;
            break;
        case 4:
            snprintf(f->cluster_uuid, sizeof(f->cluster_uuid), "another-cluster");
            break;
        case 5:
            f->vars_ok = false; /* desync and reject_queries unknown */
            break;
        default:
            f->local_state = 0; /* Initialized */
            break;
        }
        assert_int_equal(state_of(f), SRV_RUNNING);
    }
}

static void test_joining_and_joined(void **state)
{
    cluster c;
    cluster_init(&c, 1);
    c.f[0].local_state = 1;
    assert_int_equal(state_of(&c.f[0]), SRV_JOINING | SRV_RUNNING);
    c.f[0].local_state = 3;
    assert_int_equal(state_of(&c.f[0]), SRV_JOINING | SRV_RUNNING);
}

static void test_donor(void **state)
{
    cluster c;
    cluster_init(&c, 1);
    gal_facts *f = &c.f[0];
    f->local_state = 2;
    assert_int_equal(galeramon_node_state(f, UUID, true), SRV_DONOR | SRV_RUNNING);
    f->donor_serves = true;
    assert_int_equal(galeramon_node_state(f, UUID, false), SRV_DONOR | SRV_RUNNING);
    assert_int_equal(galeramon_node_state(f, UUID, true), SRV_DONOR | SYNCED_RUNNING);
    /* SET GLOBAL wsrep_desync=ON also shows state 2: desynced, not a donor, never usable */
    f->desync = true;
    assert_int_equal(galeramon_node_state(f, UUID, true), SRV_RUNNING);
}

static void test_donor_serves(void **state)
{
    assert_true(galeramon_donor_serves("mariabackup", false));
    assert_true(galeramon_donor_serves("xtrabackup-v2", false));
    assert_false(galeramon_donor_serves("mariabackup", true));
    assert_false(galeramon_donor_serves("rsync", false));
    assert_false(galeramon_donor_serves("mysqldump", false));
    assert_false(galeramon_donor_serves(NULL, false));
}

/* ---- majority cluster ------------------------------------------------- */

static void set_uuid(cluster *c, size_t i, const char *uuid)
{
    snprintf(c->f[i].cluster_uuid, sizeof(c->f[i].cluster_uuid), "%s", uuid);
}

static void test_majority(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    set_uuid(&c, 0, "other");
    int ref = galeramon_majority(c.f, 3, -1);
    assert_string_equal(c.f[ref].cluster_uuid, UUID);
    assert_int_equal(verdict(&c, 3, -1), 1);
    assert_int_equal(c.states[0], SRV_RUNNING); /* not in the majority's cluster */
}

static void test_majority_ties(void **state)
{
    cluster c;
    cluster_init(&c, 2);
    set_uuid(&c, 0, "a");
    set_uuid(&c, 1, "b");
    assert_int_equal(galeramon_majority(c.f, 2, -1), 0); /* config order */
    assert_int_equal(galeramon_majority(c.f, 2, 1), 1);  /* the current master's */
    c.f[0].primary = false;
    assert_int_equal(galeramon_majority(c.f, 2, -1), 1); /* the Primary one */
}

static void test_majority_ignores_unreachable(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    set_uuid(&c, 1, "old");
    set_uuid(&c, 2, "old");
    c.f[1].running = c.f[2].running = false;
    assert_int_equal(galeramon_majority(c.f, 3, -1), 0);
    set_uuid(&c, 0, "00000000-0000-0000-0000-000000000000");
    assert_int_equal(galeramon_majority(c.f, 3, -1), -1);
}

/* ---- election --------------------------------------------------------- */

static void test_priority_wins(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 3, 1, 2);
    assert_int_equal(verdict(&c, 3, -1), 1);
    priorities(&c, 1, 2, 3);
    assert_int_equal(verdict(&c, 3, -1), 0);
}

static void test_switchover_target_wins_while_usable(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 1, 2, 3);
    c.f[2].preferred = true;
    assert_int_equal(verdict(&c, 3, 0), 2);
    c.p.disable_master_failback = true; /* an operator's choice beats stickiness */
    assert_int_equal(verdict(&c, 3, 0), 2);
    c.f[2].admin_bits = SRV_DRAINING; /* not usable: the usual election */
    assert_int_equal(verdict(&c, 3, 0), 0);
    c.f[2].admin_bits = 0;
    c.f[2].local_state = 2; /* desynced donor */
    c.p.disable_master_failback = false;
    assert_int_equal(verdict(&c, 3, 1), 0);
}

static void test_failover_and_failback(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 1, 2, 3);
    c.f[0].running = false; /* kill -9 node 1 */
    int m = verdict(&c, 3, 0);
    assert_int_equal(m, 1);
    c.f[0].running = true; /* it rejoins */
    c.p.disable_master_failback = true;
    assert_int_equal(verdict(&c, 3, m), 1);
    c.p.disable_master_failback = false;
    assert_int_equal(verdict(&c, 3, m), 0);
}

static void test_failback_disabled_without_master(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 1, 2, 3);
    c.p.disable_master_failback = true;
    assert_int_equal(verdict(&c, 3, -1), 0); /* first election: by priority */
    c.f[2].desync = true;
    assert_int_equal(verdict(&c, 3, 2), 0); /* the current one is not usable */
}

static void test_negative_priority_never_master(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, -1, -1, -5);
    assert_int_equal(verdict(&c, 3, -1), -1);
    assert_int_equal(c.states[0], SRV_SLAVE | SYNCED_RUNNING);
    c.p.use_priority = false;
    assert_int_equal(verdict(&c, 3, -1), -1);
    c.p.disable_master_failback = true;
    assert_int_equal(verdict(&c, 3, 0), -1);
}

static void test_zero_priority_falls_back_to_local_index(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 0, 0, 0);
    c.f[0].local_index = 2;
    c.f[1].local_index = 0;
    c.f[2].local_index = 1;
    assert_int_equal(verdict(&c, 3, -1), 1);
    c.f[0].priority = 7; /* any positive priority beats 0 */
    assert_int_equal(verdict(&c, 3, -1), 0);
    c.f[0].running = false;
    assert_int_equal(verdict(&c, 3, 0), 1);
}

static void test_without_priorities(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    c.f[0].priority = 1;
    c.f[0].local_index = 2;
    c.f[2].local_index = 0;
    assert_int_equal(verdict(&c, 3, -1), 2); /* use_priority = false: local index only */
}

static void test_ties_by_config_order(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 2, 1, 1);
    assert_int_equal(verdict(&c, 3, -1), 1);
}

static void test_maintenance_and_draining(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 1, 2, 3);
    c.f[0].admin_bits = SRV_MAINT;
    assert_int_equal(verdict(&c, 3, 0), 1);
    assert_int_equal(c.states[0], SYNCED_RUNNING); /* no role in maintenance */
    c.f[0].admin_bits = 0;
    c.f[1].admin_bits = SRV_DRAINING;
    c.f[0].running = false;
    assert_int_equal(verdict(&c, 3, 1), 2);
    assert_int_equal(c.states[1], SRV_SLAVE | SYNCED_RUNNING); /* a draining node may serve reads */
    c.p.disable_master_failback = true;
    assert_int_equal(verdict(&c, 3, 1), 2); /* not even the current master stays */
}

static void test_root_node_as_master(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    c.p.root_node_as_master = true;
    assert_int_equal(verdict(&c, 3, -1), 0);
    c.f[0].running = false; /* index 0 exists but Ferry cannot use it */
    assert_int_equal(verdict(&c, 3, 0), -1);
    assert_int_equal(c.states[1], SRV_SLAVE | SYNCED_RUNNING);
    c.f[2].local_index = 0; /* the cluster renumbered without it */
    c.f[1].local_index = 1;
    assert_int_equal(verdict(&c, 3, -1), 2);
    c.f[2].running = false;
    c.p.disable_master_failback = true; /* MaxScale ignores it then */
    assert_int_equal(verdict(&c, 3, -1), 1);
    c.p.disable_master_failback = false;
    c.f[1].priority = 1;
    c.p.use_priority = true; /* a positive priority decides, not the index */
    assert_int_equal(verdict(&c, 3, -1), 1);
}

static void test_isolated_master_is_replaced(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    priorities(&c, 1, 2, 3);
    c.f[0].primary = false; /* gmcast.isolate=1 */
    c.f[0].local_state = 0;
    assert_int_equal(verdict(&c, 3, 0), 1);
    assert_int_equal(c.states[0], SRV_RUNNING);
    assert_int_equal(c.states[1], SRV_MASTER | SYNCED_RUNNING);
    assert_int_equal(c.states[2], SRV_SLAVE | SYNCED_RUNNING);
}

static void test_nothing_usable(void **state)
{
    cluster c;
    cluster_init(&c, 3);
    for (size_t i = 0; i < 3; i++)
        c.f[i].primary = false;
    assert_int_equal(verdict(&c, 3, 0), -1);
    for (size_t i = 0; i < 3; i++)
        assert_int_equal(c.states[i], SRV_RUNNING);
}

/* Random clusters: at most one Master, and it is the returned index. */
static void test_never_two_masters(void **state)
{
    srand(7);
    for (int round = 0; round < 20000; round++) {
        cluster c;
        cluster_init(&c, N);
        c.p = (gal_policy){rand() % 2, rand() % 2, rand() % 2, rand() % 2};
        for (size_t i = 0; i < N; i++) {
            gal_facts *f = &c.f[i];
            f->running = rand() % 5 != 0;
            f->primary = rand() % 4 != 0;
            f->desync = rand() % 6 == 0;
            f->local_state = 1 + rand() % 4;
            f->donor_serves = rand() % 2;
            f->local_index = rand() % N;
            f->priority = rand() % 5 - 1;
            f->admin_bits = rand() % 6 == 0 ? SRV_MAINT : rand() % 6 == 0 ? SRV_DRAINING : 0;
            set_uuid(&c, i, rand() % 5 == 0 ? "other" : UUID);
        }
        int m = verdict(&c, N, rand() % (N + 1) - 1);
        int masters = 0;
        for (size_t i = 0; i < N; i++) {
            masters += (c.states[i] & SRV_MASTER) != 0;
            if (c.states[i] & SRV_MASTER) {
                assert_int_equal((int)i, m);
                assert_true(c.states[i] & SRV_SYNCED);
                assert_true(c.f[i].primary);
                assert_true(c.f[i].priority >= 0);
            }
        }
        assert_true(masters == (m >= 0));
    }
}

/* ---- the inbound channel ---------------------------------------------- */

static const gal_channel RUNNING_OK = {true, true, true, true, true};

static void test_channel_plan(void **state)
{
    gal_channel c[3] = {RUNNING_OK, {.known = true}, {.known = true}};
    gal_action a[3];
    galeramon_channel_plan(c, 3, 1, a); /* node 1 became master */
    assert_int_equal(a[0], GAL_REMOVE);
    assert_int_equal(a[1], GAL_CREATE);
    assert_int_equal(a[2], GAL_KEEP);
    galeramon_channel_plan(c, 3, 0, a);
    assert_int_equal(a[0], GAL_KEEP);
    assert_int_equal(a[1], GAL_KEEP);
    c[0].sql_running = false; /* stopped by an error */
    galeramon_channel_plan(c, 3, 0, a);
    assert_int_equal(a[0], GAL_START);
    c[0].matches = false; /* host changed in the config */
    galeramon_channel_plan(c, 3, 0, a);
    assert_int_equal(a[0], GAL_CREATE);
}

static void test_channel_plan_unknown_and_no_master(void **state)
{
    gal_channel c[3] = {{.known = false}, RUNNING_OK, RUNNING_OK};
    gal_action a[3];
    galeramon_channel_plan(c, 3, 0, a); /* the master did not answer */
    assert_int_equal(a[0], GAL_KEEP);
    assert_int_equal(a[1], GAL_REMOVE);
    assert_int_equal(a[2], GAL_REMOVE);
    galeramon_channel_plan(c, 3, -1, a); /* no master: runs nowhere */
    assert_int_equal(a[1], GAL_REMOVE);
}

static const uint32_t LOCAL[] = {70, 71, 72, 73};

static bool slave_pos(const char *pos, const char *a, const char *b, char *out)
{
    const char *lists[2] = {a, b};
    return galeramon_inbound_slave_pos(pos, lists, 2, LOCAL, 4, out, SNAP_GTID_MAX);
}

static void test_slave_pos_already_right(void **state)
{
    char out[SNAP_GTID_MAX];
    assert_false(slave_pos("80-8000-3", "70-7000-25,80-8000-3", "", out));
    assert_string_equal(out, "80-8000-3");
}

static void test_slave_pos_behind_binlog(void **state)
{
    char out[SNAP_GTID_MAX];
    /* SST joiner: its in-memory slave_pos is empty, its binlog has domain 80 */
    assert_true(slave_pos("", "70-7000-30,72-7000-1,80-8000-9", "", out));
    assert_string_equal(out, "80-8000-9");
    assert_true(slave_pos("80-8000-3,90-9000-1", "70-7000-30,80-8000-9", NULL, out));
    assert_string_equal(out, "80-8000-9,90-9000-1");
}

static void test_slave_pos_from_old_master(void **state)
{
    char out[SNAP_GTID_MAX];
    /* the old master applied 80-8000-12 that this node has not binlogged yet */
    assert_true(slave_pos("80-8000-9", "70-7000-30,80-8000-9", "80-8000-12", out));
    assert_string_equal(out, "80-8000-12");
    assert_false(slave_pos("80-8000-12", "80-8000-9", "80-8000-11", out)); /* never backwards */
    assert_string_equal(out, "80-8000-12");
}

static void test_slave_pos_keeps_local_domains_out(void **state)
{
    char out[SNAP_GTID_MAX];
    assert_false(slave_pos("", "70-7000-30,71-7000-2,73-7000-1", "", out));
    assert_string_equal(out, "");
    assert_false(slave_pos("70-7000-3", "70-7000-30", "", out)); /* left as it is */
    assert_string_equal(out, "70-7000-3");
    assert_false(slave_pos("", "garbage,,", "", out));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_synced_node),
        cmocka_unit_test(test_down_and_plain_server),
        cmocka_unit_test(test_not_usable),
        cmocka_unit_test(test_joining_and_joined),
        cmocka_unit_test(test_donor),
        cmocka_unit_test(test_donor_serves),
        cmocka_unit_test(test_majority),
        cmocka_unit_test(test_majority_ties),
        cmocka_unit_test(test_majority_ignores_unreachable),
        cmocka_unit_test(test_priority_wins),
        cmocka_unit_test(test_switchover_target_wins_while_usable),
        cmocka_unit_test(test_failover_and_failback),
        cmocka_unit_test(test_failback_disabled_without_master),
        cmocka_unit_test(test_negative_priority_never_master),
        cmocka_unit_test(test_zero_priority_falls_back_to_local_index),
        cmocka_unit_test(test_without_priorities),
        cmocka_unit_test(test_ties_by_config_order),
        cmocka_unit_test(test_maintenance_and_draining),
        cmocka_unit_test(test_root_node_as_master),
        cmocka_unit_test(test_isolated_master_is_replaced),
        cmocka_unit_test(test_nothing_usable),
        cmocka_unit_test(test_never_two_masters),
        cmocka_unit_test(test_channel_plan),
        cmocka_unit_test(test_channel_plan_unknown_and_no_master),
        cmocka_unit_test(test_slave_pos_already_right),
        cmocka_unit_test(test_slave_pos_behind_binlog),
        cmocka_unit_test(test_slave_pos_from_old_master),
        cmocka_unit_test(test_slave_pos_keeps_local_domains_out),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
