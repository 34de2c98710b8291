/*
 * admin_handlers.c: the admin API's handlers for servers and monitors and
 * the operator actions: maintenance, drain and priority (through the
 * monitor, which logs them; answered once the monitor has published a view
 * with the change, so that a following GET shows it), log rotation, and the index at /v1.
 */
#include <errno.h>
#include <event2/event.h>
#include <stdlib.h>
#include <string.h>

#include "server/admin_api.h"
#include "server/log.h"
#include "server/srv.h"

#define TICK_POLL_MS  50
#define TICK_WAIT_MAX 200 /* polls: 10 seconds */
#define PRIORITY_MAX  1000000

void admin_get_root(const admin_req *r)
{
    json_t *routes = json_array();
    static const struct {
        int method;
        const char *name;
    } METHODS[] = {{EVHTTP_REQ_GET, "GET"},
                   {EVHTTP_REQ_PUT, "PUT"},
                   {EVHTTP_REQ_DELETE, "DELETE"},
                   {EVHTTP_REQ_POST, "POST"}};
    for (const admin_route *rt = ADMIN_ROUTES; rt->pattern; rt++)
        for (size_t i = 0; i < sizeof METHODS / sizeof METHODS[0]; i++)
            if (METHODS[i].method == rt->method)
                json_array_append_new(routes, json_sprintf("%s %s", METHODS[i].name, rt->pattern));
    admin_reply_json(r->req, 200,
                     json_pack("{s:s, s:o}", "version", FERRY_VERSION, "resources", routes));
}

/* ---- servers ---- */

static json_t *server_json(const ferry_server *srv, bool detail)
{
    cluster_snapshot *snap;
    const snap_server *ss;
    monitor *m = admin_monitor_of(srv, &snap, &ss);
    json_t *o = admin_server_json(srv, m, ss, detail);
    snapshot_unref(snap);
    return o;
}

void admin_get_servers(const admin_req *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < srv_count(); i++)
        json_array_append_new(a, server_json(srv_at(i), false));
    admin_reply_json(r->req, 200, a);
}

/* The server named by the first path argument, with its monitor; replies an
 * error and returns NULL when there is none. */
static ferry_server *find_server(const admin_req *r, monitor **m)
{
    ferry_server *srv = srv_find(r->args[0]);
    if (!srv) {
        admin_reply_error(r->req, 404, "no server named '%s'", r->args[0]);
        return NULL;
    }
    cluster_snapshot *snap;
    const snap_server *ss;
    *m = admin_monitor_of(srv, &snap, &ss);
    snapshot_unref(snap);
    return srv;
}

void admin_get_server(const admin_req *r)
{
    monitor *m;
    ferry_server *srv = find_server(r, &m);
    if (srv)
        admin_reply_json(r->req, 200, server_json(srv, true));
}

/* ---- waiting for the monitor's next view ---- */

typedef struct tick_wait {
    admin_pending p; /* first: the pending list holds &p */
    struct evhttp_request *req;
    monitor *m;
    const ferry_server *srv;
    uint64_t seq;
    int polls;
    struct event *timer;
} tick_wait;

static uint64_t latest_seq(monitor *m)
{
    cluster_snapshot *s = monitor_latest(m);
    uint64_t seq = s ? s->seq : 0;
    snapshot_unref(s);
    return seq;
}

static void tick_wait_free(admin_pending *p)
{
    tick_wait *t = (tick_wait *)p;
    event_free(t->timer);
    free(t);
}

static void tick_wait_poll(evutil_socket_t fd, short what, void *arg)
{
    tick_wait *t = arg;
    bool ticked = latest_seq(t->m) > t->seq;
    if (!ticked && ++t->polls < TICK_WAIT_MAX) {
        struct timeval tv = {0, TICK_POLL_MS * 1000};
        evtimer_add(t->timer, &tv);
        return;
    }
    json_t *o = server_json(t->srv, false);
    if (!ticked)
        json_object_set_new(o, "message",
                            json_string("accepted; the monitor has not published a new view yet"));
    admin_reply_json(t->req, ticked ? 200 : 202, o);
    admin_pending_remove(&t->p);
    tick_wait_free(&t->p);
}

/* Replies with the server once m has published a view newer than now. */
static void reply_after_tick(struct evhttp_request *req, monitor *m, const ferry_server *srv)
{
    tick_wait *t = calloc(1, sizeof *t);
    if (t) {
        *t = (tick_wait){
            .p.cancel = tick_wait_free, .req = req, .m = m, .srv = srv, .seq = latest_seq(m)};
        t->timer = evtimer_new(admin_base(), tick_wait_poll, t);
    }
    if (!t || !t->timer) {
        free(t);
        admin_reply_json(req, 202, server_json(srv, false));
        return;
    }
    admin_pending_add(&t->p);
    tick_wait_poll(-1, 0, t);
}

/* ---- operator actions ---- */

static void set_bits(const admin_req *r, uint32_t bits, bool on)
{
    monitor *m;
    ferry_server *srv = find_server(r, &m);
    if (!srv)
        return;
    if (!m || monitor_set_admin_bits(m, srv->name, bits, on) < 0) {
        admin_reply_error(r->req, 409, "server '%s' is not watched by any monitor", srv->name);
        return;
    }
    reply_after_tick(r->req, m, srv);
}

void admin_set_maintenance(const admin_req *r)
{
    set_bits(r, SRV_MAINT, true);
}

void admin_clear_maintenance(const admin_req *r)
{
    set_bits(r, SRV_MAINT, false);
}

void admin_set_drain(const admin_req *r)
{
    set_bits(r, SRV_DRAINING, true);
}

void admin_clear_drain(const admin_req *r)
{
    set_bits(r, SRV_DRAINING, false);
}

void admin_set_priority(const admin_req *r)
{
    monitor *m;
    ferry_server *srv = find_server(r, &m);
    json_t *body = srv ? admin_body_json(r->req) : NULL;
    if (!body)
        return;
    json_t *p = json_object_get(body, "priority");
    bool ok = json_is_integer(p) && llabs(json_integer_value(p)) <= PRIORITY_MAX;
    int prio = ok ? (int)json_integer_value(p) : 0;
    json_decref(body);
    if (!ok) {
        admin_reply_error(r->req, 400, "expected {\"priority\": N} with N in -%d..%d", PRIORITY_MAX,
                          PRIORITY_MAX);
        return;
    }
    if (!m || monitor_set_priority(m, srv->name, prio) < 0) {
        admin_reply_error(r->req, 409, "server '%s' is not watched by any monitor", srv->name);
        return;
    }
    reply_after_tick(r->req, m, srv);
}

/* ---- monitors and the log ---- */

void admin_get_monitors(const admin_req *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < monitors_count(); i++)
        json_array_append_new(a, admin_monitor_json(monitor_at(i), false));
    admin_reply_json(r->req, 200, a);
}

void admin_get_monitor(const admin_req *r)
{
    monitor *m = monitor_find(r->args[0]);
    if (!m) {
        admin_reply_error(r->req, 404, "no monitor named '%s'", r->args[0]);
        return;
    }
    admin_reply_json(r->req, 200, admin_monitor_json(m, true));
}

void admin_rotate_logs(const admin_req *r)
{
    if (log_reopen() < 0) {
        admin_reply_error(r->req, 500, "cannot reopen the log file: %s", strerror(errno));
        return;
    }
    log_notice("log file reopened (admin request)");
    admin_reply_json(r->req, 200, json_pack("{s:b}", "rotated", 1));
}
