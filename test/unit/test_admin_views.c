/*
 * test_admin_views.c: the admin API's JSON views and the Prometheus text
 * (server/admin_views.c, admin_sessions.c, metrics.c) over a real config's
 * servers and services, without sockets: parameters without passwords,
 * state arrays, a session's object, label escaping, and every /metrics
 * line well formed with the expected samples.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "server/admin_api.h"
#include "server/metrics.h"
#include "server/registry.h"
#include "server/service.h"
#include "server/srv.h"

static ferry_config cfg;

static const char TEST_CONF[] =
    "servers = ( { name = \"s1\"; address = \"127.0.0.1\"; port = 3331; priority = 3; },\n"
    "            { name = \"we\\\"ird\"; address = \"127.0.0.1\"; } );\n"
    "monitors = ( { name = \"mon\"; module = \"mariadbmon\"; servers = [ \"s1\", \"we\\\"ird\" ];\n"
    "  user = \"maxmon\"; password = \"hidden_pw\"; } );\n"
    "services = ( { name = \"conn\"; router = \"readconnroute\"; cluster = \"mon\";\n"
    "  user = \"maxscale\"; password = \"hidden_pw\"; } );\n";

static int setup(void **state)
{
    char path[] = "/tmp/ferry-test-views-XXXXXX", err[1024];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, TEST_CONF, strlen(TEST_CONF)), (ssize_t)strlen(TEST_CONF));
    close(fd);
    modules_register_all();
    int rc = config_load(path, &cfg, err, sizeof err);
    unlink(path);
    if (rc != 0)
        fail_msg("%s", err);
    if (srv_init_all(&cfg, err, sizeof err) != 0 || services_init(&cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    return 0;
}

static int teardown(void **state)
{
    services_free();
    srv_free_all();
    config_free(&cfg);
    return 0;
}

static void test_params_hide_passwords(void **state)
{
    json_t *p = admin_params_json(&cfg.monitors[0]);
    char *text = json_dumps(p, JSON_COMPACT);
    assert_null(strstr(text, "hidden_pw"));
    assert_null(json_object_get(p, "password"));
    assert_string_equal(json_string_value(json_object_get(p, "user")), "maxmon");
    assert_int_equal(json_integer_value(json_object_get(p, "interval_ms")), 2000);
    assert_int_equal(json_array_size(json_object_get(p, "servers")), 2);
    free(text);
    json_decref(p);
}

static void test_state_array(void **state)
{
    json_t *a = admin_state_array(SRV_MASTER | SRV_SYNCED | SRV_RUNNING);
    char *text = json_dumps(a, JSON_COMPACT);
    assert_string_equal(text, "[\"Master\",\"Synced\",\"Running\"]");
    free(text);
    json_decref(a);
    a = admin_state_array(SRV_MAINT);
    assert_string_equal(json_string_value(json_array_get(a, json_array_size(a) - 1)), "Down");
    json_decref(a);
}

static void test_server_without_view(void **state)
{
    /* No monitor has ticked: the bare object still has the columns ferryctl shows. */
    json_t *o = admin_server_json(srv_find("s1"), NULL, NULL, true);
    assert_string_equal(json_string_value(json_object_get(o, "name")), "s1");
    assert_int_equal(json_integer_value(json_object_get(o, "port")), 3331);
    assert_int_equal(json_integer_value(json_object_get(o, "connections")), 0);
    assert_int_equal(json_integer_value(json_object_get(o, "priority")), 3);
    assert_true(json_is_array(json_object_get(o, "state")));
    assert_string_equal(json_string_value(json_object_get(o, "gtid")), "");
    assert_true(json_is_null(json_object_get(o, "monitor")));
    json_decref(o);
}

static admin_sess fake_session(uint64_t id, const char *listener)
{
    admin_sess s = {.id = id,
                    .svc = service_find("conn"),
                    .listener = listener,
                    .client_port = 5000 + (int)id,
                    .state = 4,
                    .started_ms = 1000,
                    .bytes_in = 10,
                    .bytes_out = 20};
    strcpy(s.client_ip, "10.0.0.1");
    strcpy(s.user, "app");
    return s;
}

static void test_session_json(void **state)
{
    admin_sess s = fake_session(7, "l1");
    json_t *o = admin_session_json(&s, 4500);
    assert_int_equal(json_integer_value(json_object_get(o, "id")), 7);
    assert_string_equal(json_string_value(json_object_get(o, "service")), "conn");
    assert_string_equal(json_string_value(json_object_get(o, "state")), "Routing");
    assert_int_equal(json_integer_value(json_object_get(o, "age_ms")), 3500);
    assert_int_equal(json_integer_value(json_object_get(o, "bytes_out")), 20);
    json_decref(o);
    s.started_ms = 0;
    o = admin_session_json(&s, 4500);
    assert_true(json_is_null(json_object_get(o, "age_ms")));
    json_decref(o);
}

static void test_count_sessions(void **state)
{
    admin_sess v[3] = {fake_session(1, "l1"), fake_session(2, "l2"), fake_session(3, "l1")};
    admin_sessions all = {.v = v, .n = 3};
    assert_int_equal(admin_count_sessions(&all, "conn", NULL), 3);
    assert_int_equal(admin_count_sessions(&all, NULL, "l1"), 2);
    assert_int_equal(admin_count_sessions(&all, "other", NULL), 0);
    json_t *o = admin_service_json(service_find("conn"), &all, true);
    assert_int_equal(json_integer_value(json_object_get(o, "connections")), 3);
    assert_null(json_object_get(json_object_get(o, "parameters"), "password"));
    json_decref(o);
}

static void test_escape(void **state)
{
    char out[64];
    metrics_escape(out, sizeof out, "a\"b\\c\nd");
    assert_string_equal(out, "a\\\"b\\\\c\\nd");
    metrics_escape(out, 6, "abcdefgh");
    assert_true(strlen(out) < 6);
}

/* Every line is a comment or `name{labels} value`. */
static void check_line(const char *line)
{
    if (line[0] == '#') {
        assert_true(strncmp(line, "# HELP ", 7) == 0 || strncmp(line, "# TYPE ", 7) == 0);
        return;
    }
    size_t name = strspn(line, "abcdefghijklmnopqrstuvwxyz_");
    assert_true(name > 0);
    const char *value = strrchr(line, ' ');
    assert_non_null(value);
    char *end;
    strtod(value + 1, &end);
    assert_true(*end == '\0');
}

static void test_metrics_render(void **state)
{
    admin_sess v[2] = {fake_session(1, "l1"), fake_session(2, "l1")};
    admin_sessions all = {.v = v, .n = 2};
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    metrics_render(out, &all);
    fclose(out);
    assert_non_null(strstr(text, "ferry_server_priority{server=\"s1\"} 3\n"));
    assert_non_null(strstr(text, "ferry_server_up{server=\"we\\\"ird\"} 0\n"));
    assert_non_null(strstr(text, "ferry_service_sessions{service=\"conn\"} 2\n"));
    assert_non_null(strstr(text, "# TYPE ferry_sessions_accepted_total counter\n"));
    assert_non_null(strstr(text, "process_resident_memory_bytes "));
    char *save = NULL;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save))
        check_line(line);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_params_hide_passwords), cmocka_unit_test(test_state_array),
        cmocka_unit_test(test_server_without_view),   cmocka_unit_test(test_session_json),
        cmocka_unit_test(test_count_sessions),        cmocka_unit_test(test_escape),
        cmocka_unit_test(test_metrics_render),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
