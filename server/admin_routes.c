/*
 * admin_routes.c: the admin API's resources: one table from method and path
 * pattern to handler, and the matcher admin.c dispatches with. A '*' in a
 * pattern matches one path segment, which reaches the handler URL-decoded.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/admin_api.h"

#define GET EVHTTP_REQ_GET
#define PUT EVHTTP_REQ_PUT
#define DEL EVHTTP_REQ_DELETE

const admin_route ADMIN_ROUTES[] = {
    {GET, "/v1", admin_get_root},
    {GET, "/v1/servers", admin_get_servers},
    {GET, "/v1/servers/*", admin_get_server},
    {PUT, "/v1/servers/*/maintenance", admin_set_maintenance},
    {DEL, "/v1/servers/*/maintenance", admin_clear_maintenance},
    {PUT, "/v1/servers/*/drain", admin_set_drain},
    {DEL, "/v1/servers/*/drain", admin_clear_drain},
    {PUT, "/v1/servers/*/priority", admin_set_priority},
    {GET, "/v1/monitors", admin_get_monitors},
    {GET, "/v1/monitors/*", admin_get_monitor},
    {EVHTTP_REQ_POST, "/v1/monitors/*/switchover", admin_switchover},
    {GET, "/v1/services", admin_get_services},
    {GET, "/v1/services/*", admin_get_service},
    {GET, "/v1/listeners", admin_get_listeners},
    {GET, "/v1/listeners/*", admin_get_listener},
    {GET, "/v1/sessions", admin_get_sessions},
    {GET, "/v1/sessions/*", admin_get_session},
    {DEL, "/v1/sessions/*", admin_kill_session},
    {EVHTTP_REQ_POST, "/v1/rotate-logs", admin_rotate_logs},
    {EVHTTP_REQ_POST, "/v1/reload", admin_reload},
    {GET, "/metrics", admin_get_metrics},
    {0, NULL, NULL},
};

/* The next segment of *p (after any '/'), as [start, *p). */
static const char *segment(const char **p, size_t *len)
{
    while (**p == '/')
        (*p)++;
    const char *start = *p;
    *len = strcspn(start, "/");
    *p += *len;
    return start;
}

static bool capture(admin_req *r, const char *seg, size_t len)
{
    if (r->nargs >= ADMIN_ARGS_MAX || len >= ADMIN_ARG_LEN)
        return false;
    char raw[ADMIN_ARG_LEN];
    memcpy(raw, seg, len);
    raw[len] = '\0';
    size_t out_len = 0;
    char *decoded = evhttp_uridecode(raw, 0, &out_len);
    bool ok = decoded && out_len < ADMIN_ARG_LEN && strlen(decoded) == out_len;
    if (ok)
        memcpy(r->args[r->nargs++], decoded, out_len + 1);
    free(decoded);
    return ok;
}

bool admin_route_match(const char *pattern, const char *path, admin_req *r)
{
    r->nargs = 0;
    for (;;) {
        size_t plen, slen;
        const char *pseg = segment(&pattern, &plen);
        const char *sseg = segment(&path, &slen);
        if (plen == 0 || slen == 0)
            return plen == 0 && slen == 0;
        if (plen == 1 && *pseg == '*') {
            if (!capture(r, sseg, slen))
                return false;
        } else if (plen != slen || memcmp(pseg, sseg, plen) != 0) {
            return false;
        }
    }
}

const admin_route *admin_route_find(int method, const char *path, admin_req *r, int *status)
{
    *status = 404;
    for (const admin_route *rt = ADMIN_ROUTES; rt->pattern; rt++) {
        if (!admin_route_match(rt->pattern, path, r))
            continue;
        if (rt->method == method)
            return rt;
        *status = 405;
    }
    return NULL;
}
