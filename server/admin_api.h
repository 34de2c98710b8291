/*
 * admin_api.h: what the files of the admin API share. admin.c owns the
 * sockets and dispatches each request through the route table of
 * admin_routes.c to a handler (admin_handlers.c, admin_sessions.c,
 * metrics.c), after admin_auth.c on the TCP admin port; admin_views.c
 * renders runtime objects as JSON; the session handlers collect sessions
 * from every worker without blocking any of them (admin_gather). Everything
 * here runs on the main thread.
 */
#ifndef FERRY_SERVER_ADMIN_API_H
#define FERRY_SERVER_ADMIN_API_H

#include <event2/http.h>
#include <jansson.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "monitor/monitor.h"
#include "protocol/handshake.h"
#include "server/config.h"

struct service;
struct listener;

/* ---- requests and replies (admin.c) ---- */

#define ADMIN_ARGS_MAX 4
#define ADMIN_ARG_LEN  256

typedef struct admin_req {
    struct evhttp_request *req;
    int nargs;
    char args[ADMIN_ARGS_MAX][ADMIN_ARG_LEN]; /* the '*' segments of the route, decoded */
} admin_req;

typedef void (*admin_handler)(const admin_req *r);

/* Sends v (consumed) as the JSON reply with HTTP status code. */
void admin_reply_json(struct evhttp_request *req, int code, json_t *v);
/* Sends {"error": message} with HTTP status code. */
void admin_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Sends text/plain (Prometheus text format). */
void admin_reply_text(struct evhttp_request *req, int code, const char *content_type,
                      struct evbuffer *body);
/* The request body as JSON, or NULL (error reply already sent). */
json_t *admin_body_json(struct evhttp_request *req);
/* Copies the query-string parameter key into out ("" when absent). 1 found,
 * 0 absent, -1 for a malformed query string or a value too long. */
int admin_query_param(struct evhttp_request *req, const char *key, char *out, size_t outlen);
/* The running configuration (only a reload changes it, on the main thread). */
ferry_config *admin_config(void);
struct event_base *admin_base(void);

/* Requests that wait (for workers, for a monitor tick) register here, so that
 * admin_stop can drop them. */
typedef struct admin_pending {
    LIST_ENTRY(admin_pending) link;
    void (*cancel)(struct admin_pending *p); /* frees without replying */
} admin_pending;
void admin_pending_add(admin_pending *p);
void admin_pending_remove(admin_pending *p);
/* Replies with srv's JSON once m has published a newer view (200; 202 when
 * none came within 10 s), or with want_master once srv holds the Master role
 * (200; 409 when the monitor gave up on it, 504 after 10 s). */
void admin_reply_after_tick(struct evhttp_request *req, monitor *m, const ferry_server *srv,
                            bool want_master);

/* ---- HTTP Basic authentication on the TCP admin port (admin_auth.c) ---- */

/* True when the request carries the name and password of one of
 * ferry.admin_users; otherwise sends 401 (and logs a failed login) and
 * returns false. */
bool admin_auth_allow(struct evhttp_request *req);

/* ---- routes (admin_routes.c) ---- */

typedef struct admin_route {
    int method;          /* EVHTTP_REQ_* */
    const char *pattern; /* "/v1/servers/ * /maintenance" without spaces: '*' is one segment */
    admin_handler fn;
} admin_route;

extern const admin_route ADMIN_ROUTES[];
/* Matches path against pattern; fills r->args. True on a match. */
bool admin_route_match(const char *pattern, const char *path, admin_req *r);
/* Finds the route for method and path. NULL with *status 404 (no such path)
 * or 405 (the path exists with other methods). */
const admin_route *admin_route_find(int method, const char *path, admin_req *r, int *status);

/* ---- JSON views of runtime objects (admin_views.c) ---- */

/* The monitor watching srv, and srv's entry in its latest snapshot (caller
 * unrefs *snap). Either may be NULL. */
monitor *admin_monitor_of(const ferry_server *srv, cluster_snapshot **snap, const snap_server **ss);
json_t *admin_state_array(uint32_t state);
json_t *admin_server_json(const ferry_server *srv, monitor *m, const snap_server *ss, bool detail);
/* The same, looking up srv's monitor and snapshot entry. */
json_t *admin_server_json_of(const ferry_server *srv, bool detail);
json_t *admin_monitor_json(monitor *m, bool detail);
/* Every parameter of a config object (passwords left out). */
json_t *admin_params_json(const cfg_object *o);
json_t *admin_servers_of_monitor(const char *monitor_name);

/* ---- sessions, collected from every worker (admin_sessions.c) ---- */

typedef struct admin_sess {
    uint64_t id;
    int worker;
    const struct service *svc;
    const char *listener;
    char client_ip[INET6_ADDRSTRLEN];
    int client_port;
    char user[PROTO_NAME_MAX + 1];
    char db[PROTO_NAME_MAX + 1];
    int state;
    bool tls, compressed;
    int64_t started_ms;
    uint64_t bytes_in, bytes_out, queries;
} admin_sess;

typedef struct admin_sessions {
    admin_sess *v;
    size_t n, cap;
    bool killed; /* the kill_id session was found (and is closing) */
} admin_sessions;

typedef void (*admin_gather_done)(struct evhttp_request *req, const admin_sessions *all,
                                  const char *key);
/* Collects every session on every worker (closing session kill_id, unless 0,
 * where it lives), then calls done on the main thread with key. */
void admin_gather(struct evhttp_request *req, uint64_t kill_id, const char *key,
                  admin_gather_done done);
/* Sessions of the service and/or listener (NULL: any). */
size_t admin_count_sessions(const admin_sessions *all, const char *svc_name, const char *lst_name);
/* The same, also summing the sessions' bytes from and to their clients. */
size_t admin_sum_sessions(const admin_sessions *all, const char *svc_name, const char *lst_name,
                          uint64_t *bytes_in, uint64_t *bytes_out);
json_t *admin_session_json(const admin_sess *s, int64_t now_ms);
json_t *admin_service_json(const struct service *svc, const admin_sessions *all, bool detail);
json_t *admin_listener_json(const cfg_object *l, const admin_sessions *all, bool detail);

/* ---- handlers ---- */

void admin_get_servers(const admin_req *r);
void admin_get_server(const admin_req *r);
void admin_set_maintenance(const admin_req *r);
void admin_clear_maintenance(const admin_req *r);
void admin_set_drain(const admin_req *r);
void admin_clear_drain(const admin_req *r);
void admin_set_priority(const admin_req *r);
void admin_get_monitors(const admin_req *r);
void admin_get_monitor(const admin_req *r);
void admin_switchover(const admin_req *r);
void admin_rotate_logs(const admin_req *r);
void admin_reload(const admin_req *r);
void admin_get_root(const admin_req *r);
void admin_get_services(const admin_req *r);
void admin_get_service(const admin_req *r);
void admin_get_listeners(const admin_req *r);
void admin_get_listener(const admin_req *r);
void admin_get_sessions(const admin_req *r);
void admin_get_session(const admin_req *r);
void admin_kill_session(const admin_req *r);
void admin_get_metrics(const admin_req *r); /* metrics.c */

#endif
