/*
 * session.c: the life of a client session on its worker: accept, the
 * client's bufferevent stack (socket, TLS, compression), dispatching client
 * I/O to the login (login.c) and then to the router, flow-control hooks, and
 * an orderly close that flushes the last packet before freeing.
 */
#include "server/session.h"

#include <arpa/inet.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "protocol/response.h"
#include "server/clock.h"
#include "server/flow.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/login.h"
#include "server/pktio.h"
#include "server/service.h"
#include "server/zfilter.h"

TAILQ_HEAD(session_list, session);

static struct {
    struct session_list list;
    size_t count;
} g_per_worker[WORKER_MAX];

static atomic_uint_fast64_t g_next_id = 1;

static struct session_list *worker_list(worker *w)
{
    struct session_list *l = &g_per_worker[worker_id(w)].list;
    if (!l->tqh_last)
        TAILQ_INIT(l);
    return l;
}

static void client_read_cb(struct bufferevent *bev, void *arg);
static void client_write_cb(struct bufferevent *bev, void *arg);
static void client_event_cb(struct bufferevent *bev, short what, void *arg);

static void set_client_bev(session *s, struct bufferevent *bev)
{
    /* A filter stops moving data down while the layer below is this full. */
    if (s->client && s->client != bev)
        bufferevent_setwatermark(s->client, EV_WRITE, 0, FLOW_HIGH_WATER);
    s->client = bev;
    bufferevent_setcb(bev, client_read_cb, client_write_cb, client_event_cb, s);
    bufferevent_setwatermark(bev, EV_WRITE, FLOW_LOW_WATER, 0);
    /* libevent stops reading the client at this much unconsumed input (a
     * client may send while its login or a change of user is under way). */
    bufferevent_setwatermark(bev, EV_READ, 0, CLIENT_READ_AHEAD);
    /* libevent writes 16 KiB per wakeup by default: a woken client would wait for more. */
    bufferevent_set_max_single_write(bev, FLOW_HIGH_WATER);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

static void describe_peer(session *s, const struct sockaddr *addr)
{
    if (addr->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)addr;
        inet_ntop(AF_INET, &in->sin_addr, s->client_ip, sizeof(s->client_ip));
        s->client_port = ntohs(in->sin_port);
    } else if (addr->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)addr;
        inet_ntop(AF_INET6, &in6->sin6_addr, s->client_ip, sizeof(s->client_ip));
        s->client_port = ntohs(in6->sin6_port);
    } else {
        snprintf(s->client_ip, sizeof(s->client_ip), "localhost");
    }
}

void session_accept(worker *w, evutil_socket_t fd, struct listener *lst,
                    const struct sockaddr *addr, int addrlen)
{
    session *s = calloc(1, sizeof(*s));
    struct bufferevent *bev =
        s ? bufferevent_socket_new(worker_base(w), fd, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        log_error("cannot create a session for a new client: out of memory");
        evutil_closesocket(fd);
        free(s);
        return;
    }
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    s->id = atomic_fetch_add(&g_next_id, 1);
    s->started_ms = clock_now_ms();
    atomic_fetch_add(&lst->svc->total_sessions, 1);
    s->w = w;
    s->lst = lst;
    s->svc = lst->svc;
    describe_peer(s, addr);
    TAILQ_INSERT_TAIL(worker_list(w), s, link);
    g_per_worker[worker_id(w)].count++;
    set_client_bev(s, bev);
    log_debug("session %llu: client %s:%d connected to listener '%s'", (unsigned long long)s->id,
              s->client_ip, s->client_port, lst->name);
    login_start(s);
}

void session_start_tls(session *s)
{
    SSL *ssl = SSL_new(s->lst->tls);
    struct bufferevent *under = s->client;
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_filter_new(worker_base(s->w), under, ssl,
                                             BUFFEREVENT_SSL_ACCEPTING, BEV_OPT_CLOSE_ON_FREE)
            : NULL;
    if (!bev) {
        SSL_free(ssl);
        session_close(s, "cannot start TLS");
        return;
    }
    s->tls = true;
    set_client_bev(s, bev);
    /* The ClientHello may already sit in the socket's buffer. */
    if (evbuffer_get_length(bufferevent_get_input(under)) > 0)
        bufferevent_trigger(under, EV_READ, BEV_TRIG_IGNORE_WATERMARKS);
}

void session_start_compression(session *s)
{
    struct bufferevent *bev = zfilter_wrap(s->client);
    if (!bev) {
        session_close(s, "cannot start the compressed protocol");
        return;
    }
    s->compressed = true;
    set_client_bev(s, bev);
}

static void session_free(session *s)
{
    if (s->router_started && s->svc->router->session_end)
        s->svc->router->session_end(s);
    traffic_add(&s->svc->ended, s->bytes_in, s->bytes_out);
    traffic_add(&s->lst->ended, s->bytes_in, s->bytes_out);
    TAILQ_REMOVE(worker_list(s->w), s, link);
    g_per_worker[worker_id(s->w)].count--;
    if (s->client)
        bufferevent_free(s->client);
    free(s->creds.attrs);
    free(s);
}

static void free_later_cb(evutil_socket_t fd, short what, void *arg)
{
    session *s = arg;
    if (s->users_pending) {
        s->closed = true; /* the users callback frees it */
        return;
    }
    session_free(s);
}

static void schedule_free(session *s)
{
    if (s->free_scheduled)
        return;
    s->free_scheduled = true;
    bufferevent_disable(s->client, EV_READ | EV_WRITE);
    event_base_once(worker_base(s->w), -1, EV_TIMEOUT, free_later_cb, s, NULL);
}

/* Whether everything written to the client has reached the kernel, through
 * every layer (compression, TLS, socket). */
static bool all_flushed(session *s)
{
    for (struct bufferevent *b = s->client; b; b = bufferevent_get_underlying(b))
        if (evbuffer_get_length(bufferevent_get_output(b)) > 0)
            return false;
    return true;
}

/* The socket's output drained: under a filter, the top's write callback
 * cannot tell, so a closing session watches the bottom buffer too. */
static void socket_drained_cb(struct evbuffer *buf, const struct evbuffer_cb_info *info, void *arg)
{
    session *s = arg;
    if (s->closing && info->n_deleted && all_flushed(s))
        schedule_free(s);
}

void session_close(session *s, const char *reason)
{
    if (s->closing)
        return;
    s->closing = true;
    log_info("session %llu (%s@%s): closing: %s", (unsigned long long)s->id, s->creds.user,
             s->client_ip, reason);
    bufferevent_disable(s->client, EV_READ);
    if (all_flushed(s)) {
        schedule_free(s);
        return;
    }
    struct bufferevent *bottom = s->client;
    while (bufferevent_get_underlying(bottom))
        bottom = bufferevent_get_underlying(bottom);
    if (bottom != s->client)
        evbuffer_add_cb(bufferevent_get_output(bottom), socket_drained_cb, s);
    /* Flush the last packet, but not forever. */
    bufferevent_enable(s->client, EV_WRITE);
    struct timeval tmo = {5, 0};
    bufferevent_set_timeouts(s->client, NULL, &tmo);
    bufferevent_setwatermark(s->client, EV_WRITE, 0, 0);
}

static void client_read_cb(struct bufferevent *bev, void *arg)
{
    session *s = arg;
    if (s->closing)
        return;
    if (s->state == SESS_ROUTING)
        s->svc->router->client_readable(s);
    else
        login_readable(s);
}

static void client_write_cb(struct bufferevent *bev, void *arg)
{
    session *s = arg;
    if (s->closing) {
        if (all_flushed(s))
            schedule_free(s);
        return;
    }
    if (s->state != SESS_ROUTING)
        return;
    flow_written(bev);
    if (s->svc->router->client_drained)
        s->svc->router->client_drained(s);
}

static void client_event_cb(struct bufferevent *bev, short what, void *arg)
{
    session *s = arg;
    if (what & BEV_EVENT_CONNECTED)
        return;
    if (!s->closing)
        log_info("session %llu (%s@%s): client %s", (unsigned long long)s->id, s->creds.user,
                 s->client_ip,
                 (what & BEV_EVENT_EOF)       ? "disconnected"
                 : (what & BEV_EVENT_TIMEOUT) ? "timed out"
                                              : "connection error");
    s->closing = true;
    if (s->free_scheduled)
        return; /* free_later_cb frees it */
    if (s->users_pending) {
        s->closed = true;
        bufferevent_disable(bev, EV_READ | EV_WRITE);
        return;
    }
    session_free(s);
}

bool session_users_ready(session *s)
{
    s->users_pending = false;
    if (!s->closed)
        return true;
    session_free(s);
    return false;
}

struct evbuffer *session_input(session *s)
{
    return bufferevent_get_input(s->client);
}

struct evbuffer *session_output(session *s)
{
    return bufferevent_get_output(s->client);
}

void session_flush(session *s)
{
    flow_flush(s->client);
}

bool session_output_full(session *s)
{
    return evbuffer_get_length(session_output(s)) >= FLOW_HIGH_WATER;
}

void session_pause_client(session *s, bool pause)
{
    if (s->closing)
        return;
    if (pause) {
        bufferevent_disable(s->client, EV_READ);
        return;
    }
    flow_resume_read(s->client);
}

void session_send_error(session *s, uint8_t seq, uint16_t code, const char *sqlstate,
                        const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    proto_buf b;
    proto_buf_init(&b);
    proto_err_packet(&b, seq, code, sqlstate, msg);
    bufferevent_write(s->client, b.data, b.len);
    proto_buf_free(&b);
}

void sessions_notify_snapshot(worker *w, int monitor_index)
{
    session *next;
    for (session *s = TAILQ_FIRST(worker_list(w)); s; s = next) {
        next = TAILQ_NEXT(s, link);
        if (s->state == SESS_ROUTING && !s->closing && s->svc->monitor_index == monitor_index &&
            s->svc->router->snapshot_changed)
            s->svc->router->snapshot_changed(s);
    }
}

void sessions_close_all(worker *w)
{
    session *s;
    while ((s = TAILQ_FIRST(worker_list(w))) != NULL) {
        s->users_pending = false;
        session_free(s);
    }
}

size_t sessions_count(worker *w)
{
    return g_per_worker[worker_id(w)].count;
}

/* ---- admin socket support (server/admin_sessions.c) ---- */

void sessions_visit(worker *w, session_visit_fn fn, void *arg)
{
    for (session *s = TAILQ_FIRST(worker_list(w)); s; s = TAILQ_NEXT(s, link))
        fn(s, arg);
}

bool sessions_kill(worker *w, uint64_t id, const char *reason)
{
    for (session *s = TAILQ_FIRST(worker_list(w)); s; s = TAILQ_NEXT(s, link)) {
        if (s->id == id) {
            session_close(s, reason);
            return true;
        }
    }
    return false;
}

uint64_t sessions_accepted(void)
{
    return atomic_load_explicit(&g_next_id, memory_order_relaxed) - 1;
}
