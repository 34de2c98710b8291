/*
 * test_snapshot_json.c: unit tests for snapshot_to_json (the admin socket's
 * view of a cluster): the exact text for a small cluster, escaping, and a
 * snapshot without a master.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "monitor/snapshot.h"
#include "server/srv.h"

static ferry_server SRV[2] = {
    {.name = "g1", .address = "127.0.0.1", .port = 3311, .priority = 1},
    {.name = "g2", .address = "127.0.0.1", .port = 3312, .priority = 2},
};

static cluster_snapshot *make_snapshot(void)
{
    cluster_snapshot *s = snapshot_new(2);
    s->monitor = "galera";
    s->seq = 7;
    s->taken_ms = 1000;
    for (int i = 0; i < 2; i++) {
        s->servers[i].srv = &SRV[i];
        s->servers[i].priority = SRV[i].priority;
    }
    snap_server *g2 = &s->servers[1];
    g2->state = SRV_MASTER | SRV_SYNCED | SRV_RUNNING;
    g2->server_id = 7000;
    snprintf(g2->version, sizeof(g2->version), "10.11.19-MariaDB");
    snprintf(g2->gtid_current_pos, sizeof(g2->gtid_current_pos), "70-7000-25");
    snprintf(g2->gtid_binlog_pos, sizeof(g2->gtid_binlog_pos), "70-7000-25");
    g2->gtid_domain_id = 72;
    g2->wsrep = true;
    g2->wsrep_local_state = 4;
    snprintf(g2->wsrep_state_comment, sizeof(g2->wsrep_state_comment), "Synced");
    snprintf(g2->cluster_status, sizeof(g2->cluster_status), "Primary");
    snprintf(g2->cluster_uuid, sizeof(g2->cluster_uuid), "u-1");
    g2->cluster_size = 2;
    g2->local_index = 1;
    g2->ready = true;
    g2->wsrep_gtid_domain_id = 70;
    snprintf(s->servers[0].last_error, sizeof(s->servers[0].last_error),
             "Can't connect: \"refused\"\n");
    s->master = 1;
    return s;
}

static void test_json(void **state)
{
    cluster_snapshot *s = make_snapshot();
    char *json = snapshot_to_json(s);
    assert_non_null(json);
    assert_string_equal(
        json,
        "{\"monitor\":\"galera\",\"seq\":7,\"taken_ms\":1000,\"master\":\"g2\","
        "\"cluster_uuid\":\"u-1\",\"cluster_size\":2,\"servers\":["
        "{\"name\":\"g1\",\"address\":\"127.0.0.1\",\"port\":3311,\"state\":[\"Down\"],"
        "\"priority\":1,\"last_error\":\"Can't connect: \\\"refused\\\"\\n\"},"
        "{\"name\":\"g2\",\"address\":\"127.0.0.1\",\"port\":3312,"
        "\"state\":[\"Master\",\"Synced\",\"Running\"],\"priority\":2,\"last_error\":\"\","
        "\"server_id\":7000,\"read_only\":false,\"version\":\"10.11.19-MariaDB\","
        "\"gtid_current_pos\":\"70-7000-25\",\"gtid_binlog_pos\":\"70-7000-25\","
        "\"gtid_domain_id\":72,\"wsrep\":{\"local_state\":4,\"local_state_comment\":\"Synced\","
        "\"cluster_status\":\"Primary\",\"cluster_uuid\":\"u-1\",\"cluster_size\":2,"
        "\"local_index\":1,\"desync\":false,\"ready\":true,\"recv_queue\":0,"
        "\"gtid_domain_id\":70},\"replicates_from\":null,\"inbound\":null}]}");
    free(json);
    snapshot_unref(s);
}

static void test_json_without_master(void **state)
{
    cluster_snapshot *s = make_snapshot();
    s->master = -1;
    s->servers[1].state = SRV_RUNNING | SRV_MAINT;
    s->servers[1].wsrep = false;
    snprintf(s->servers[1].inbound, sizeof(s->servers[1].inbound), "DR: IO Yes, SQL Yes");
    char *json = snapshot_to_json(s);
    assert_non_null(strstr(json, "\"master\":null,\"cluster_uuid\":null,\"cluster_size\":0"));
    assert_non_null(strstr(json, "\"state\":[\"Maintenance\",\"Running\"]"));
    assert_non_null(strstr(json, "\"wsrep\":null"));
    assert_non_null(strstr(json, "\"inbound\":\"DR: IO Yes, SQL Yes\""));
    free(json);
    snapshot_unref(s);
}

static void test_control_characters(void **state)
{
    cluster_snapshot *s = make_snapshot();
    snprintf(s->servers[0].last_error, sizeof(s->servers[0].last_error), "a\x01\tb\\");
    char *json = snapshot_to_json(s);
    assert_non_null(strstr(json, "\"last_error\":\"a\\u0001\\tb\\\\\""));
    free(json);
    snapshot_unref(s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_json),
        cmocka_unit_test(test_json_without_master),
        cmocka_unit_test(test_control_characters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
