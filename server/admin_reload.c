/*
 * admin_reload.c: POST /v1/reload. Reads the configuration file again and
 * checks it whole, as at startup; a file with an error changes nothing and
 * the reply carries the error. Otherwise it compares the file with the
 * running configuration, object by object and parameter by parameter: what
 * can change at runtime is applied (ferry.log_level, a server's priority)
 * and adopted into the running configuration, so that it is shown and
 * compared from then on; every other difference is listed as needing a
 * restart, and every service reloads its user accounts from the backends.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "server/admin_api.h"
#include "server/log.h"
#include "server/service.h"
#include "server/users.h"

typedef struct reload_diff {
    json_t *applied, *restart;
} reload_diff;

/* Priority of server name in every monitor that watches it. */
static void apply_priority(const char *server, int priority)
{
    for (size_t i = 0; i < monitors_count(); i++)
        monitor_set_priority(monitor_at(i), server, priority);
}

/* Applies one changed parameter if it can change at runtime; true if so. */
static bool apply(const char *kind, const char *name, const char *param, json_t *value)
{
    if (strcmp(kind, "ferry") == 0 && strcmp(param, "log_level") == 0) {
        log_set_level((log_level)log_level_parse(json_string_value(value)));
        return true;
    }
    if (strcmp(kind, "servers") == 0 && strcmp(param, "priority") == 0) {
        apply_priority(name, (int)json_integer_value(value));
        return true;
    }
    return false;
}

/* where: "ferry" or "servers.NAME", for the lists. */
static void compare_object(reload_diff *d, const char *kind, cfg_object *was, const cfg_object *now)
{
    char where[256];
    if (strcmp(kind, "ferry") == 0)
        snprintf(where, sizeof where, "ferry");
    else
        snprintf(where, sizeof where, "%s.%s", kind, now->name);
    json_t *a = admin_params_json(was), *b = admin_params_json(now);
    const char *param;
    json_t *v;
    json_object_foreach(b, param, v)
    {
        if (json_equal(json_object_get(a, param), v))
            continue;
        char *old = json_dumps(json_object_get(a, param), JSON_ENCODE_ANY | JSON_COMPACT);
        char *new = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
        bool done = apply(kind, now->name, param, v);
        if (done)
            cfg_adopt(was, now, param);
        json_array_append_new(done ? d->applied : d->restart,
                              json_sprintf("%s.%s: %s -> %s", where, param, old, new));
        free(old);
        free(new);
    }
    json_decref(a);
    json_decref(b);
}

static cfg_object *find(cfg_object *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return &v[i];
    return NULL;
}

/* One kind of object (servers, ...): changed, added and removed ones. */
static void compare_kind(reload_diff *d, const char *kind, cfg_object *was, size_t nwas,
                         cfg_object *now, size_t nnow)
{
    for (size_t i = 0; i < nnow; i++) {
        cfg_object *old = find(was, nwas, now[i].name);
        if (old)
            compare_object(d, kind, old, &now[i]);
        else
            json_array_append_new(d->restart, json_sprintf("%s.%s: added", kind, now[i].name));
    }
    for (size_t i = 0; i < nwas; i++)
        if (!find(now, nnow, was[i].name))
            json_array_append_new(d->restart, json_sprintf("%s.%s: removed", kind, was[i].name));
}

static json_t *reload_users(void)
{
    json_t *a = json_array();
    for (size_t i = 0; i < services_count(); i++) {
        users_request_reload(service_at(i)->users);
        json_array_append_new(a, json_string(service_at(i)->name));
    }
    return a;
}

void admin_reload(const admin_req *r)
{
    ferry_config *cur = admin_config();
    ferry_config next;
    char err[1024];
    if (config_load(cur->path, &next, err, sizeof err) < 0) {
        log_warning("reload refused, the running configuration is unchanged: %s", err);
        admin_reply_error(r->req, 400, "not reloaded (nothing changed): %s", err);
        return;
    }
    reload_diff d = {json_array(), json_array()};
    compare_object(&d, "ferry", &cur->global, &next.global);
    compare_kind(&d, "servers", cur->servers, cur->nservers, next.servers, next.nservers);
    compare_kind(&d, "monitors", cur->monitors, cur->nmonitors, next.monitors, next.nmonitors);
    compare_kind(&d, "services", cur->services, cur->nservices, next.services, next.nservices);
    compare_kind(&d, "listeners", cur->listeners, cur->nlisteners, next.listeners, next.nlisteners);
    config_free(&next);
    log_notice("configuration reloaded from %s: %zu change(s) applied, %zu need a restart",
               cur->path, json_array_size(d.applied), json_array_size(d.restart));
    for (size_t i = 0; i < json_array_size(d.restart); i++)
        log_warning("reload: needs a restart to take effect: %s",
                    json_string_value(json_array_get(d.restart, i)));
    admin_reply_json(r->req, 200,
                     json_pack("{s:o, s:o, s:o}", "applied", d.applied, "restart_required",
                               d.restart, "users_reloaded", reload_users()));
}
