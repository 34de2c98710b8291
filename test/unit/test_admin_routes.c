/*
 * test_admin_routes.c: the admin API's route table (server/admin_routes.c):
 * patterns with '*' segments, URL-decoded arguments, 404 versus 405, and
 * that every route is unique.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <string.h>

#include "server/admin_api.h"

static void test_match(void **state)
{
    admin_req r;
    assert_true(admin_route_match("/v1/servers", "/v1/servers", &r));
    assert_int_equal(r.nargs, 0);
    assert_true(admin_route_match("/v1/servers", "/v1/servers/", &r));
    assert_false(admin_route_match("/v1/servers", "/v1/server", &r));
    assert_false(admin_route_match("/v1/servers", "/v1/servers/x", &r));
    assert_false(admin_route_match("/v1/servers/*", "/v1/servers", &r));
    assert_true(admin_route_match("/v1/servers/*/drain", "/v1/servers/galera-71/drain", &r));
    assert_int_equal(r.nargs, 1);
    assert_string_equal(r.args[0], "galera-71");
    assert_true(admin_route_match("/v1/servers/*", "/v1/servers/a%20b%2Fc", &r));
    assert_string_equal(r.args[0], "a b/c");
    assert_false(admin_route_match("/v1/servers/*", "/v1/servers/a%00b", &r)); /* NUL inside */
}

static void test_find(void **state)
{
    admin_req r;
    int status = 0;
    const admin_route *rt = admin_route_find(EVHTTP_REQ_GET, "/v1/servers/s1", &r, &status);
    assert_non_null(rt);
    assert_ptr_equal(rt->fn, admin_get_server);
    rt = admin_route_find(EVHTTP_REQ_DELETE, "/v1/sessions/42", &r, &status);
    assert_ptr_equal(rt->fn, admin_kill_session);
    assert_string_equal(r.args[0], "42");
    rt = admin_route_find(EVHTTP_REQ_PUT, "/v1/servers/s1/maintenance", &r, &status);
    assert_ptr_equal(rt->fn, admin_set_maintenance);
    rt = admin_route_find(EVHTTP_REQ_DELETE, "/v1/servers/s1/maintenance", &r, &status);
    assert_ptr_equal(rt->fn, admin_clear_maintenance);
    assert_null(admin_route_find(EVHTTP_REQ_POST, "/v1/servers", &r, &status));
    assert_int_equal(status, 405);
    assert_null(admin_route_find(EVHTTP_REQ_GET, "/v1/nothing", &r, &status));
    assert_int_equal(status, 404);
    rt = admin_route_find(EVHTTP_REQ_GET, "/metrics", &r, &status);
    assert_ptr_equal(rt->fn, admin_get_metrics);
}

static void test_unique(void **state)
{
    for (const admin_route *a = ADMIN_ROUTES; a->pattern; a++) {
        assert_int_equal(a->pattern[0], '/');
        for (const admin_route *b = a + 1; b->pattern; b++)
            assert_false(a->method == b->method && strcmp(a->pattern, b->pattern) == 0);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_match),
        cmocka_unit_test(test_find),
        cmocka_unit_test(test_unique),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
