/*
 * admin_views.c: JSON views of servers and monitors for the admin API. A
 * server's object is its entry in its monitor's latest snapshot, rendered by
 * the monitor's own snapshot_to_json, plus what only the core knows (its
 * monitor, current connections, the GTID to show); the generic parameter
 * view serves every kind's "show".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/admin_api.h"
#include "server/clock.h"
#include "server/srv.h"

monitor *admin_monitor_of(const ferry_server *srv, cluster_snapshot **snap, const snap_server **ss)
{
    *snap = NULL;
    *ss = NULL;
    for (size_t i = 0; i < monitors_count(); i++) {
        monitor *m = monitor_at(i);
        for (size_t k = 0; k < m->nservers; k++) {
            if (m->servers[k].srv != srv)
                continue;
            *snap = monitor_latest(m);
            *ss = snapshot_find(*snap, srv);
            return m;
        }
    }
    return NULL;
}

json_t *admin_state_array(uint32_t state)
{
    json_t *a = json_array();
    size_t i = 0;
    const char *name;
    while ((name = snapshot_state_name(state, &i)))
        json_array_append_new(a, json_string(name));
    return a;
}

/* The monitor's latest snapshot as parsed JSON (snapshot_to_json), or NULL. */
static json_t *snapshot_json(monitor *m)
{
    cluster_snapshot *s = m ? monitor_latest(m) : NULL;
    char *text = s ? snapshot_to_json(s) : NULL;
    snapshot_unref(s);
    json_t *v = text ? json_loads(text, 0, NULL) : NULL;
    free(text);
    return v;
}

/* The server's object in a parsed snapshot (borrowed), or NULL. */
static json_t *snapshot_server(json_t *snap, const char *name)
{
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(snap, "servers"), i, e)
    {
        if (json_is_string(json_object_get(e, "name")) &&
            strcmp(json_string_value(json_object_get(e, "name")), name) == 0)
            return e;
    }
    return NULL;
}

/* Before a monitor has ticked, or for a server no monitor watches. */
static json_t *bare_server(const ferry_server *srv)
{
    return json_pack("{s:s, s:s, s:i, s:[], s:i}", "name", srv->name, "address", srv->address,
                     "port", srv->port, "state", "priority", srv->priority);
}

json_t *admin_server_json(const ferry_server *srv, monitor *m, const snap_server *ss, bool detail)
{
    json_t *snap = snapshot_json(m);
    json_t *e = snapshot_server(snap, srv->name);
    json_t *o = e ? json_incref(e) : bare_server(srv);
    json_decref(snap);
    const char *gtid = ss && ss->gtid_current_pos[0] ? ss->gtid_current_pos
                       : ss                          ? ss->gtid_binlog_pos
                                                     : "";
    json_object_set_new(o, "monitor", m ? json_string(m->name) : json_null());
    json_object_set_new(o, "connections", json_integer(atomic_load(&srv->connections)));
    json_object_set_new(o, "gtid", json_string(gtid));
    if (detail)
        json_object_set_new(o, "parameters", admin_params_json(srv->cfg));
    return o;
}

json_t *admin_server_json_of(const ferry_server *srv, bool detail)
{
    cluster_snapshot *snap;
    const snap_server *ss;
    monitor *m = admin_monitor_of(srv, &snap, &ss);
    json_t *o = admin_server_json(srv, m, ss, detail);
    snapshot_unref(snap);
    return o;
}

json_t *admin_servers_of_monitor(const char *monitor_name)
{
    json_t *a = json_array();
    monitor *m = monitor_find(monitor_name);
    for (size_t i = 0; m && i < m->nservers; i++)
        json_array_append_new(a, json_string(m->servers[i].srv->name));
    return a;
}

json_t *admin_monitor_json(monitor *m, bool detail)
{
    json_t *snap = snapshot_json(m);
    json_t *o = json_pack("{s:s, s:s, s:o, s:I}", "name", m->name, "module", m->ops->name,
                          "servers", admin_servers_of_monitor(m->name), "interval_ms",
                          (json_int_t)cfg_int(m->cfg, "interval_ms"));
    const char *copy[] = {"master", "seq", "taken_ms", "cluster_uuid", "cluster_size"};
    for (size_t i = 0; i < sizeof copy / sizeof copy[0]; i++) {
        json_t *v = json_object_get(snap, copy[i]);
        json_object_set(o, copy[i], v ? v : json_null());
    }
    int target = monitor_preferred(m);
    json_object_set_new(o, "switchover_target",
                        target >= 0 ? json_string(m->servers[target].srv->name) : json_null());
    json_t *taken = json_object_get(snap, "taken_ms");
    json_object_set_new(o, "last_tick_age_ms",
                        taken ? json_integer(clock_now_ms() - json_integer_value(taken))
                              : json_null());
    if (detail) {
        json_object_set_new(o, "parameters", admin_params_json(m->cfg));
        json_object_set(o, "snapshot", snap ? snap : json_null());
    }
    json_decref(snap);
    return o;
}

/* ---- parameters of any config object ---- */

static json_t *value_json(const cfg_param *p, const cfg_value *v)
{
    switch (p->type) {
    case CFG_INT:
        return json_integer(v->num);
    case CFG_BOOL:
        return json_boolean(v->flag);
    case CFG_STRLIST: {
        json_t *a = json_array();
        for (size_t i = 0; i < v->nlist; i++)
            json_array_append_new(a, json_string(v->list[i]));
        return a;
    }
    case CFG_GROUP:
        return v->group ? admin_params_json(v->group) : json_null();
    default:
        return v->str ? json_string(v->str) : json_null();
    }
}

json_t *admin_params_json(const cfg_object *o)
{
    json_t *obj = json_object();
    for (size_t i = 0; o && o->params[i].name; i++) {
        const cfg_param *p = &o->params[i];
        if (cfg_is_password(p) || strcmp(p->name, "name") == 0)
            continue;
        json_object_set_new(obj, p->name, value_json(p, &o->values[i]));
    }
    return obj;
}
