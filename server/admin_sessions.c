/*
 * admin_sessions.c: sessions, services and listeners in the admin API.
 * Sessions live on the workers, so admin_gather posts a job to every worker
 * that copies its sessions (and closes the one being killed) and the last
 * worker to answer wakes the main thread, which renders the reply. No worker
 * waits for anything.
 */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/admin_api.h"
#include "server/clock.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/service.h"
#include "server/session.h"
#include "server/worker.h"

/* ---- gathering from the workers ---- */

typedef struct gather {
    admin_pending p; /* first: the pending list holds &p */
    struct evhttp_request *req;
    admin_gather_done done;
    char key[ADMIN_ARG_LEN];
    uint64_t kill_id;
    struct event *wake; /* on the main base, activated by the last worker */
    atomic_int left;
    int nworkers;
    admin_sessions *per; /* one per worker, written by that worker only */
} gather;

static void copy_session(const session *s, void *arg)
{
    admin_sessions *out = arg;
    if (out->n == out->cap) {
        size_t cap = out->cap ? out->cap * 2 : 64;
        admin_sess *v = realloc(out->v, cap * sizeof *v);
        if (!v)
            return;
        out->v = v;
        out->cap = cap;
    }
    admin_sess *e = &out->v[out->n++];
    *e = (admin_sess){.id = s->id,
                      .worker = worker_id(s->w),
                      .svc = s->svc,
                      .listener = s->lst ? s->lst->name : NULL,
                      .client_port = s->client_port,
                      .state = s->state,
                      .tls = s->tls,
                      .compressed = s->compressed,
                      .started_ms = s->started_ms,
                      .bytes_in = s->bytes_in,
                      .bytes_out = s->bytes_out,
                      .queries = s->queries};
    snprintf(e->client_ip, sizeof e->client_ip, "%s", s->client_ip);
    snprintf(e->user, sizeof e->user, "%s", s->creds.user);
    snprintf(e->db, sizeof e->db, "%s", s->creds.db);
}

/* Runs on each worker. */
static void gather_job(worker *w, void *arg)
{
    gather *g = arg;
    admin_sessions *mine = &g->per[worker_id(w)];
    if (g->kill_id)
        mine->killed = sessions_kill(w, g->kill_id, "killed by an operator (admin API)");
    sessions_visit(w, copy_session, mine);
    if (atomic_fetch_sub(&g->left, 1) == 1)
        event_active(g->wake, EV_TIMEOUT, 0);
}

static void gather_free(admin_pending *p)
{
    gather *g = (gather *)p;
    for (int i = 0; i < g->nworkers; i++)
        free(g->per[i].v);
    free(g->per);
    if (g->wake)
        event_free(g->wake);
    free(g);
}

/* Back on the main thread: merge and hand over. */
static void gather_done(evutil_socket_t fd, short what, void *arg)
{
    gather *g = arg;
    admin_sessions all = {0};
    for (int i = 0; i < g->nworkers; i++) {
        all.n += g->per[i].n;
        all.killed |= g->per[i].killed;
    }
    all.v = calloc(all.n ? all.n : 1, sizeof *all.v);
    size_t k = 0;
    for (int i = 0; all.v && i < g->nworkers; i++) {
        if (g->per[i].n)
            memcpy(all.v + k, g->per[i].v, g->per[i].n * sizeof *all.v);
        k += g->per[i].n;
    }
    all.n = all.v ? all.n : 0;
    admin_pending_remove(&g->p);
    g->done(g->req, &all, g->key);
    free(all.v);
    gather_free(&g->p);
}

void admin_gather(struct evhttp_request *req, uint64_t kill_id, const char *key,
                  admin_gather_done done)
{
    int n = workers_count();
    gather *g = calloc(1, sizeof *g);
    if (g) {
        *g = (gather){.p.cancel = gather_free, .req = req, .done = done, .kill_id = kill_id};
        g->nworkers = n;
        g->per = calloc(n > 0 ? (size_t)n : 1, sizeof *g->per);
        g->wake = event_new(admin_base(), -1, 0, gather_done, g);
    }
    if (!g || !g->per || !g->wake) {
        if (g)
            gather_free(&g->p);
        admin_reply_error(req, 503, "out of memory");
        return;
    }
    snprintf(g->key, sizeof g->key, "%s", key ? key : "");
    admin_pending_add(&g->p);
    atomic_init(&g->left, n);
    if (n == 0) {
        event_active(g->wake, EV_TIMEOUT, 0);
        return;
    }
    worker_post_all(gather_job, g);
}

size_t admin_count_sessions(const admin_sessions *all, const char *svc_name, const char *lst_name)
{
    uint64_t in, out;
    return admin_sum_sessions(all, svc_name, lst_name, &in, &out);
}

size_t admin_sum_sessions(const admin_sessions *all, const char *svc_name, const char *lst_name,
                          uint64_t *bytes_in, uint64_t *bytes_out)
{
    size_t n = 0;
    *bytes_in = *bytes_out = 0;
    for (size_t i = 0; i < all->n; i++) {
        const admin_sess *s = &all->v[i];
        if (svc_name && (!s->svc || strcmp(s->svc->name, svc_name) != 0))
            continue;
        if (lst_name && (!s->listener || strcmp(s->listener, lst_name) != 0))
            continue;
        *bytes_in += s->bytes_in;
        *bytes_out += s->bytes_out;
        n++;
    }
    return n;
}

/* ---- sessions ---- */

static const char *state_name(int state)
{
    switch (state) {
    case SESS_GREETED:
        return "Greeted";
    case SESS_AUTH_SWITCH:
        return "Authenticating";
    case SESS_USERS_WAIT:
        return "Loading users";
    case SESS_LOGIN:
        return "Connecting";
    case SESS_ROUTING:
        return "Routing";
    default:
        return "Unknown";
    }
}

static json_t *nullable_ms(int64_t started, int64_t now)
{
    return started > 0 ? json_integer(now - started) : json_null();
}

json_t *admin_session_json(const admin_sess *s, int64_t now_ms)
{
    return json_pack("{s:I, s:s, s:i, s:s, s:s, s:s?, s:s?, s:s, s:b, s:b, s:i, s:o, s:o, s:I, "
                     "s:I, s:I}",
                     "id", (json_int_t)s->id, "client_address", s->client_ip, "client_port",
                     s->client_port, "user", s->user, "db", s->db, "service",
                     s->svc ? s->svc->name : NULL, "listener", s->listener, "state",
                     state_name(s->state), "tls", s->tls, "compressed", s->compressed, "worker",
                     s->worker, "connected_ms",
                     s->started_ms > 0 ? json_integer(s->started_ms) : json_null(), "age_ms",
                     nullable_ms(s->started_ms, now_ms), "bytes_in", (json_int_t)s->bytes_in,
                     "bytes_out", (json_int_t)s->bytes_out, "queries", (json_int_t)s->queries);
}

static void sessions_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    json_t *a = json_array();
    int64_t now = clock_now_ms();
    for (size_t i = 0; i < all->n; i++)
        json_array_append_new(a, admin_session_json(&all->v[i], now));
    admin_reply_json(req, 200, a);
}

static void session_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    uint64_t id = strtoull(key, NULL, 10);
    for (size_t i = 0; i < all->n; i++)
        if (all->v[i].id == id) {
            admin_reply_json(req, 200, admin_session_json(&all->v[i], clock_now_ms()));
            return;
        }
    admin_reply_error(req, 404, "no session with id %s", key);
}

static void kill_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    if (!all->killed) {
        admin_reply_error(req, 404, "no session with id %s", key);
        return;
    }
    log_notice("admin: killed session %s", key);
    admin_reply_json(
        req, 200, json_pack("{s:I, s:b}", "id", (json_int_t)strtoull(key, NULL, 10), "killed", 1));
}

/* The session id of the first path argument, or 0 (error reply sent). */
static uint64_t session_id(const admin_req *r)
{
    char *end;
    unsigned long long id = strtoull(r->args[0], &end, 10);
    if (!*r->args[0] || *end || id == 0) {
        admin_reply_error(r->req, 400, "'%s' is not a session id (a positive integer)", r->args[0]);
        return 0;
    }
    return id;
}

void admin_get_sessions(const admin_req *r)
{
    admin_gather(r->req, 0, NULL, sessions_done);
}

void admin_get_session(const admin_req *r)
{
    if (session_id(r))
        admin_gather(r->req, 0, r->args[0], session_done);
}

void admin_kill_session(const admin_req *r)
{
    uint64_t id = session_id(r);
    if (id)
        admin_gather(r->req, id, r->args[0], kill_done);
}

/* ---- services and listeners: a list, or one by name ---- */

typedef struct kind_view {
    const char *kind;
    size_t (*count)(void);
    const char *(*name_at)(size_t i);
    json_t *(*render)(size_t i, const admin_sessions *all, bool detail);
} kind_view;

/* Replies every object of the kind (key "") or the one named key. */
static void reply_view(struct evhttp_request *req, const kind_view *k, const admin_sessions *all,
                       const char *key)
{
    size_t n = k->count();
    if (*key) {
        for (size_t i = 0; i < n; i++)
            if (strcmp(k->name_at(i), key) == 0) {
                admin_reply_json(req, 200, k->render(i, all, true));
                return;
            }
        admin_reply_error(req, 404, "no %s named '%s'", k->kind, key);
        return;
    }
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, k->render(i, all, false));
    admin_reply_json(req, 200, a);
}

static json_t *names_of_listeners(const char *svc_name)
{
    const ferry_config *cfg = admin_config();
    json_t *a = json_array();
    for (size_t i = 0; cfg && i < cfg->nlisteners; i++)
        if (strcmp(cfg_str(&cfg->listeners[i], "service"), svc_name) == 0)
            json_array_append_new(a, json_string(cfg->listeners[i].name));
    return a;
}

json_t *admin_service_json(const service *svc, const admin_sessions *all, bool detail)
{
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:o, s:o}", "name", svc->name, "router",
                          svc->router->name, "cluster", svc->cluster, "connections",
                          (json_int_t)admin_count_sessions(all, svc->name, NULL), "servers",
                          admin_servers_of_monitor(svc->cluster), "listeners",
                          names_of_listeners(svc->name));
    json_object_set_new(o, "total_connections",
                        json_integer((json_int_t)atomic_load(&svc->total_sessions)));
    if (detail)
        json_object_set_new(o, "parameters", admin_params_json(svc->cfg));
    if (detail && svc->router->diagnostics)
        json_object_set_new(o, "router_diagnostics", svc->router->diagnostics((service *)svc));
    return o;
}

static size_t service_total(void)
{
    return services_count();
}

static const char *service_name(size_t i)
{
    return service_at(i)->name;
}

static json_t *service_view(size_t i, const admin_sessions *all, bool detail)
{
    return admin_service_json(service_at(i), all, detail);
}

static const kind_view SERVICES = {"service", service_total, service_name, service_view};

static void services_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    reply_view(req, &SERVICES, all, key);
}

void admin_get_services(const admin_req *r)
{
    admin_gather(r->req, 0, NULL, services_done);
}

void admin_get_service(const admin_req *r)
{
    admin_gather(r->req, 0, r->args[0], services_done);
}

/* ---- listeners ---- */

json_t *admin_listener_json(const cfg_object *l, const admin_sessions *all, bool detail)
{
    const cfg_object *tls = cfg_group(l, "tls");
    json_t *o = json_pack("{s:s, s:s, s:s, s:I, s:s, s:I}", "name", l->name, "service",
                          cfg_str(l, "service"), "address", cfg_str(l, "address"), "port",
                          (json_int_t)cfg_int(l, "port"), "tls",
                          !tls                        ? "off"
                          : cfg_bool(tls, "required") ? "required"
                                                      : "optional",
                          "connections", (json_int_t)admin_count_sessions(all, NULL, l->name));
    if (detail)
        json_object_set_new(o, "parameters", admin_params_json(l));
    return o;
}

static size_t listener_total(void)
{
    return admin_config()->nlisteners;
}

static const char *listener_name(size_t i)
{
    return admin_config()->listeners[i].name;
}

static json_t *listener_view(size_t i, const admin_sessions *all, bool detail)
{
    return admin_listener_json(&admin_config()->listeners[i], all, detail);
}

static const kind_view LISTENERS = {"listener", listener_total, listener_name, listener_view};

static void listeners_done(struct evhttp_request *req, const admin_sessions *all, const char *key)
{
    reply_view(req, &LISTENERS, all, key);
}

void admin_get_listeners(const admin_req *r)
{
    admin_gather(r->req, 0, NULL, listeners_done);
}

void admin_get_listener(const admin_req *r)
{
    admin_gather(r->req, 0, r->args[0], listeners_done);
}
