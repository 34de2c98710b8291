/*
 * admin.c: the admin API's transport. Serves HTTP/1.1 with libevent's evhttp
 * on the main thread's event base (the listeners' base): the Unix socket
 * ferry.admin_socket (mode 0660; a peer that is neither root nor ferryd's uid
 * is refused, checked with SO_PEERCRED) with every resource of
 * admin_routes.c; the optional TCP ferry.admin_port with the same resources
 * for ferry.admin_users (HTTP Basic, admin_auth.c), over TLS when
 * ferry.admin_tls is given; and the optional TCP ferry.metrics_port with GET
 * /metrics only. Handlers never block: what needs the workers is posted to
 * them (admin_sessions.c) and answered when they reply.
 */
#include "server/admin.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/keyvalq_struct.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "server/admin_api.h"
#include "server/log.h"
#include "server/tls.h"

#define BODY_MAX    (64 * 1024)
#define HEADERS_MAX (16 * 1024) /* libevent's default is unbounded */

static struct {
    ferry_config *cfg; /* the running configuration; a reload adopts what it applies */
    struct event_base *base;
    struct evhttp *http;    /* the admin socket */
    struct evhttp *metrics; /* metrics_port */
    struct evhttp *tcp;     /* admin_port */
    SSL_CTX *tls;           /* admin_tls */
    char path[sizeof(((struct sockaddr_un *)0)->sun_path)];
    LIST_HEAD(, admin_pending) pending;
} g_admin;

ferry_config *admin_config(void)
{
    return g_admin.cfg;
}

struct event_base *admin_base(void)
{
    return g_admin.base;
}

void admin_pending_add(admin_pending *p)
{
    LIST_INSERT_HEAD(&g_admin.pending, p, link);
}

void admin_pending_remove(admin_pending *p)
{
    LIST_REMOVE(p, link);
}

/* ---- replies ---- */

static const char *reason(int code)
{
    switch (code) {
    case 200:
        return "OK";
    case 202:
        return "Accepted";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Payload Too Large";
    case 429:
        return "Too Many Requests";
    case 503:
        return "Service Unavailable";
    default:
        return code < 400 ? "OK" : "Error";
    }
}

void admin_reply_text(struct evhttp_request *req, int code, const char *content_type,
                      struct evbuffer *body)
{
    struct evkeyvalq *h = evhttp_request_get_output_headers(req);
    evhttp_add_header(h, "Content-Type", content_type);
    evhttp_add_header(h, "Cache-Control", "no-store");
    evhttp_send_reply(req, code, reason(code), body);
}

void admin_reply_json(struct evhttp_request *req, int code, json_t *v)
{
    struct evbuffer *body = evbuffer_new();
    char *text = v ? json_dumps(v, JSON_INDENT(2) | JSON_ENCODE_ANY) : NULL;
    json_decref(v);
    if (!text) {
        evbuffer_free(body);
        evhttp_send_error(req, 500, "cannot render the reply");
        return;
    }
    evbuffer_add_printf(body, "%s\n", text);
    free(text);
    admin_reply_text(req, code, "application/json", body);
    evbuffer_free(body);
}

void admin_reply_error(struct evhttp_request *req, int code, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    admin_reply_json(req, code, json_pack("{s:s}", "error", msg));
}

json_t *admin_body_json(struct evhttp_request *req)
{
    struct evbuffer *in = evhttp_request_get_input_buffer(req);
    size_t len = evbuffer_get_length(in);
    if (len > BODY_MAX) {
        admin_reply_error(req, 413, "the request body is larger than %d bytes", BODY_MAX);
        return NULL;
    }
    json_error_t jerr;
    json_t *v = json_loadb((const char *)evbuffer_pullup(in, -1), len, 0, &jerr);
    if (!v || !json_is_object(v)) {
        json_decref(v);
        admin_reply_error(req, 400, "the request body must be a JSON object%s%s", v ? "" : ": ",
                          v ? "" : jerr.text);
        return NULL;
    }
    return v;
}

int admin_query_param(struct evhttp_request *req, const char *key, char *out, size_t outlen)
{
    out[0] = '\0';
    const char *query = evhttp_uri_get_query(evhttp_request_get_evhttp_uri(req));
    struct evkeyvalq params;
    if (!query)
        return 0;
    if (evhttp_parse_query_str(query, &params) < 0)
        return -1;
    const char *v = evhttp_find_header(&params, key);
    int rc = !v ? 0 : strlen(v) < outlen ? 1 : -1;
    if (rc > 0)
        memcpy(out, v, strlen(v) + 1);
    evhttp_clear_headers(&params);
    return rc;
}

/* ---- dispatch ---- */

/* Root or ferryd's own uid; anyone else is refused (and logged). */
static bool peer_allowed(struct evhttp_request *req, uid_t *uid)
{
    struct evhttp_connection *conn = evhttp_request_get_connection(req);
    struct bufferevent *bev = conn ? evhttp_connection_get_bufferevent(conn) : NULL;
    struct ucred cred;
    socklen_t len = sizeof cred;
    *uid = (uid_t)-1;
    if (!bev || getsockopt(bufferevent_getfd(bev), SOL_SOCKET, SO_PEERCRED, &cred, &len) < 0)
        return false;
    *uid = cred.uid;
    return cred.uid == 0 || cred.uid == geteuid();
}

/* only: the one path this server answers (the metrics port), or NULL. */
static void dispatch(struct evhttp_request *req, const char *only)
{
    const char *path = evhttp_uri_get_path(evhttp_request_get_evhttp_uri(req));
    int method = (int)evhttp_request_get_command(req);
    admin_req r = {.req = req};
    int status = 404;
    const admin_route *rt = NULL;
    if (path && (!only || strcmp(path, only) == 0))
        rt = admin_route_find(method, path, &r, &status);
    if (rt)
        rt->fn(&r);
    else if (status == 405)
        admin_reply_error(req, status, "method not allowed on %s", path);
    else
        admin_reply_error(req, status, "no such resource: %s (%s)", path ? path : "?",
                          only ? "this port serves only /metrics" : "GET /v1 lists them");
}

static void on_admin_request(struct evhttp_request *req, void *arg)
{
    uid_t uid;
    if (!peer_allowed(req, &uid)) {
        log_warning("admin socket: refused a request from uid %d (only root and uid %d may use "
                    "it)",
                    (int)uid, (int)geteuid());
        evhttp_add_header(evhttp_request_get_output_headers(req), "Connection", "close");
        admin_reply_error(req, 403, "uid %d may not use the admin socket (only root and uid %d)",
                          (int)uid, (int)geteuid());
        return;
    }
    dispatch(req, NULL);
}

static void on_tcp_admin_request(struct evhttp_request *req, void *arg)
{
    if (admin_auth_allow(req))
        dispatch(req, NULL);
}

static void on_metrics_request(struct evhttp_request *req, void *arg)
{
    dispatch(req, "/metrics");
}

static struct evhttp *new_http(struct event_base *base, void (*cb)(struct evhttp_request *, void *))
{
    struct evhttp *http = evhttp_new(base);
    if (!http)
        return NULL;
    evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_PUT | EVHTTP_REQ_POST |
                                         EVHTTP_REQ_DELETE);
    evhttp_set_max_body_size(http, BODY_MAX);
    evhttp_set_max_headers_size(http, HEADERS_MAX);
    evhttp_set_timeout(http, 30);
    evhttp_set_gencb(http, cb, NULL);
    return http;
}

/* ---- the Unix socket ---- */

/* A socket file left by a ferryd that died is removed; a live one is an error. */
static int clear_stale(const char *path, char *err, size_t errlen)
{
    struct stat st;
    if (lstat(path, &st) < 0)
        return errno == ENOENT ? 0 : -1;
    if (!S_ISSOCK(st.st_mode)) {
        snprintf(err, errlen, "admin socket %s: the path exists and is not a socket", path);
        return -1;
    }
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int rc = fd >= 0 ? connect(fd, (struct sockaddr *)&sa, sizeof sa) : -1;
    if (fd >= 0)
        close(fd);
    if (rc == 0) {
        snprintf(err, errlen, "admin socket %s is in use by another process (another ferryd?)",
                 path);
        return -1;
    }
    unlink(path);
    return 0;
}

/* Creates the socket's directory when it is missing (e.g. /run/ferry without systemd). */
static void make_parent(const char *path)
{
    char copy[sizeof g_admin.path];
    snprintf(copy, sizeof copy, "%s", path);
    const char *dir = dirname(copy);
    if (mkdir(dir, 0755) == 0)
        log_notice("admin socket: created directory %s", dir);
}

static int bind_unix(const char *path, char *err, size_t errlen)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        snprintf(err, errlen, "admin socket path %s is longer than %zu bytes", path,
                 sizeof sa.sun_path - 1);
        return -1;
    }
    snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
    make_parent(path);
    if (clear_stale(path, err, errlen) < 0)
        return -1;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0 || chmod(path, 0660) < 0 ||
        listen(fd, 64) < 0) {
        snprintf(err, errlen, "admin socket %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    snprintf(g_admin.path, sizeof g_admin.path, "%s", path);
    if (!evhttp_accept_socket_with_handle(g_admin.http, fd)) {
        snprintf(err, errlen, "admin socket %s: cannot serve it", path);
        close(fd);
        return -1;
    }
    log_notice("admin socket listening on %s", path);
    return 0;
}

/* Binds http (NULL: could not be made) to address:port; what names it in err. */
static int listen_tcp(struct evhttp *http, const char *address, int port, const char *what,
                      char *err, size_t errlen)
{
    if (!http || evhttp_bind_socket(http, address, (uint16_t)port) < 0) {
        snprintf(err, errlen, "%s: cannot listen on %s:%d: %s", what, address, port,
                 strerror(errno));
        return -1;
    }
    return 0;
}

static int open_metrics(const cfg_object *g, char *err, size_t errlen)
{
    const char *address = cfg_str(g, "metrics_address");
    int port = (int)cfg_int(g, "metrics_port");
    g_admin.metrics = new_http(g_admin.base, on_metrics_request);
    if (listen_tcp(g_admin.metrics, address, port, "metrics", err, errlen) < 0)
        return -1;
    log_notice("metrics listening on http://%s:%d/metrics", address, port);
    return 0;
}

/* ---- the TCP admin port ---- */

/* evhttp's bufferevent for each connection of the TLS admin port. */
static struct bufferevent *new_tls_bev(struct event_base *base, void *arg)
{
    SSL *ssl = SSL_new(g_admin.tls);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
                                             BEV_OPT_CLOSE_ON_FREE)
            : NULL;
    if (!bev && ssl)
        SSL_free(ssl);
    if (bev)
        bufferevent_openssl_set_allow_dirty_shutdown(bev, 1);
    return bev;
}

static int open_tcp_admin(const cfg_object *g, char *err, size_t errlen)
{
    const char *address = cfg_str(g, "admin_address");
    int port = (int)cfg_int(g, "admin_port");
    const cfg_object *tls = cfg_group(g, "admin_tls");
    char why[512];
    if (tls && !(g_admin.tls = tls_server_ctx(tls, why, sizeof why))) {
        snprintf(err, errlen, "admin port: admin_tls: %s", why);
        return -1;
    }
    g_admin.tcp = new_http(g_admin.base, on_tcp_admin_request);
    if (g_admin.tcp && tls)
        evhttp_set_bevcb(g_admin.tcp, new_tls_bev, NULL);
    if (listen_tcp(g_admin.tcp, address, port, "admin port", err, errlen) < 0)
        return -1;
    log_notice("admin API listening on %s://%s:%d (HTTP Basic)", tls ? "https" : "http", address,
               port);
    return 0;
}

int admin_start(ferry_config *cfg, struct event_base *base, char *err, size_t errlen)
{
    g_admin.cfg = cfg;
    g_admin.base = base;
    LIST_INIT(&g_admin.pending);
    const char *path = cfg_str(&cfg->global, "admin_socket");
    if (path && *path) {
        g_admin.http = new_http(base, on_admin_request);
        if (!g_admin.http) {
            snprintf(err, errlen, "admin socket: out of memory");
            return -1;
        }
        if (bind_unix(path, err, errlen) < 0)
            return -1;
    }
    if (cfg_int(&cfg->global, "admin_port") > 0 && open_tcp_admin(&cfg->global, err, errlen) < 0)
        return -1;
    if (cfg_int(&cfg->global, "metrics_port") > 0)
        return open_metrics(&cfg->global, err, errlen);
    return 0;
}

void admin_stop(void)
{
    while (!LIST_EMPTY(&g_admin.pending)) {
        admin_pending *p = LIST_FIRST(&g_admin.pending);
        admin_pending_remove(p);
        p->cancel(p);
    }
    if (g_admin.http)
        evhttp_free(g_admin.http);
    if (g_admin.metrics)
        evhttp_free(g_admin.metrics);
    if (g_admin.tcp)
        evhttp_free(g_admin.tcp);
    SSL_CTX_free(g_admin.tls);
    if (g_admin.path[0])
        unlink(g_admin.path);
    memset(&g_admin, 0, sizeof g_admin);
}
