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

#define PRIORITY_MAX 1000000

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

void admin_get_servers(const admin_req *r)
{
    json_t *a = json_array();
    for (size_t i = 0; i < srv_count(); i++)
        json_array_append_new(a, admin_server_json_of(srv_at(i), false));
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
        admin_reply_json(r->req, 200, admin_server_json_of(srv, true));
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
    admin_reply_after_tick(r->req, m, srv, false);
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
    admin_reply_after_tick(r->req, m, srv, false);
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

/* The best usable server other than the master: the lowest positive
 * priority, else the first in the monitor's order; NULL when there is none. */
static const snap_server *switchover_candidate(const cluster_snapshot *s)
{
    const snap_server *best = NULL;
    for (size_t i = 0; i < s->nservers; i++) {
        const snap_server *c = &s->servers[i];
        if (!(c->state & SRV_SLAVE) || (c->state & (SRV_MAINT | SRV_DRAINING)) || c->priority < 0)
            continue;
        if (!best || (c->priority > 0 && (best->priority == 0 || c->priority < best->priority)))
            best = c;
    }
    return best;
}

/* Why target cannot become the master, or NULL when it can. */
static const char *not_usable(const cluster_snapshot *s, const snap_server *target)
{
    if (s->master >= 0 && &s->servers[s->master] == target)
        return "it is already the master";
    if (target->state & (SRV_MAINT | SRV_DRAINING))
        return "it is in maintenance or draining";
    if (!(target->state & SRV_SLAVE))
        return "it is not a usable member of the cluster";
    if (target->priority < 0)
        return "its priority is negative (never a master)";
    return NULL;
}

static const snap_server *find_target(const cluster_snapshot *s, const char *name)
{
    for (size_t i = 0; i < s->nservers; i++)
        if (strcmp(s->servers[i].srv->name, name) == 0)
            return &s->servers[i];
    return NULL;
}

/* POST /v1/monitors/NAME/switchover[?to=SERVER] */
void admin_switchover(const admin_req *r)
{
    monitor *m = monitor_find(r->args[0]);
    if (!m) {
        admin_reply_error(r->req, 404, "no monitor named '%s'", r->args[0]);
        return;
    }
    if (!m->ops->switchover) {
        admin_reply_error(r->req, 409, "monitor '%s' (%s) cannot switch over", m->name,
                          m->ops->name);
        return;
    }
    char to[ADMIN_ARG_LEN];
    if (admin_query_param(r->req, "to", to, sizeof to) < 0) {
        admin_reply_error(r->req, 400, "bad query string");
        return;
    }
    cluster_snapshot *s = monitor_latest(m);
    const snap_server *target = !s ? NULL : to[0] ? find_target(s, to) : switchover_candidate(s);
    const char *why = target ? not_usable(s, target) : NULL;
    if (!target && to[0])
        admin_reply_error(r->req, 404, "monitor '%s' watches no server named '%s'", m->name, to);
    else if (!target)
        admin_reply_error(r->req, 409, "monitor '%s' has no usable server to switch over to",
                          m->name);
    else if (why)
        admin_reply_error(r->req, 409, "cannot switch over to '%s': %s", target->srv->name, why);
    else if (monitor_switchover(m, target->srv->name) == 0)
        admin_reply_after_tick(r->req, m, target->srv, true);
    snapshot_unref(s);
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
