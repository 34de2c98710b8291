/*
 * backend.c: a session's connection to one backend server (see backend.h).
 * The login runs as a small state machine on the session's worker:
 * connect, greeting, optional TLS, handshake response answered with
 * SHA1(password) against the backend's scramble, optional auth switch.
 */
#include "server/backend.h"

#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent_ssl.h>
#include <netinet/tcp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "protocol/handshake.h"
#include "protocol/response.h"
#include "server/flow.h"
#include "server/log.h"
#include "server/pktio.h"
#include "server/session.h"
#include "server/tls.h"

#define BACKEND_LOGIN_TIMEOUT_S 10
#define BACKEND_LOGIN_MAX       (64 * 1024)

typedef enum backend_state {
    BE_CONNECTING,
    BE_GREETING, /* waiting for the server's handshake */
    BE_TLS,      /* TLS handshake under way */
    BE_AUTH,     /* handshake response or COM_CHANGE_USER sent */
    BE_READY,
    BE_DEAD,
} backend_state;

struct backend {
    session *s;
    ferry_server *srv;
    const backend_cbs *cbs;
    void *arg;
    struct bufferevent *bev;
    backend_state state;
    uint8_t seq;
    uint8_t scramble[PROTO_SCRAMBLE_LEN];
    uint64_t server_caps;
};

static void be_read_cb(struct bufferevent *bev, void *arg);
static void be_write_cb(struct bufferevent *bev, void *arg);
static void be_event_cb(struct bufferevent *bev, short what, void *arg);

void backend_make_error(proto_buf *out, uint16_t code, const char *fmt, ...)
{
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    proto_err_write(out, code, "HY000", msg);
}

static void fail_login(backend *b, const char *why)
{
    proto_buf e;
    proto_buf_init(&e);
    backend_make_error(&e, ER_NO_SERVER, "Can't log in to backend server '%s' (%s:%d): %s",
                       b->srv->name, b->srv->address, b->srv->port, why);
    b->state = BE_DEAD;
    atomic_fetch_add_explicit(&b->srv->errors, 1, memory_order_relaxed);
    b->cbs->login(b, e.data, e.len);
    proto_buf_free(&e);
}

static void set_bev(backend *b, struct bufferevent *bev)
{
    b->bev = bev;
    bufferevent_setcb(bev, be_read_cb, be_write_cb, be_event_cb, b);
    bufferevent_setwatermark(bev, EV_WRITE, FLOW_LOW_WATER, 0);
    bufferevent_enable(bev, EV_READ | EV_WRITE);
}

backend *backend_open(session *s, ferry_server *srv, const backend_cbs *cbs, void *arg)
{
    backend *b = calloc(1, sizeof(*b));
    struct bufferevent *bev =
        b ? bufferevent_socket_new(worker_base(s->w), -1, BEV_OPT_CLOSE_ON_FREE) : NULL;
    if (!bev) {
        free(b);
        return NULL;
    }
    *b = (backend){.s = s, .srv = srv, .cbs = cbs, .arg = arg, .state = BE_CONNECTING};
    set_bev(b, bev);
    struct timeval tmo = {BACKEND_LOGIN_TIMEOUT_S, 0};
    bufferevent_set_timeouts(bev, &tmo, &tmo);
    atomic_fetch_add(&srv->connections, 1);
    if (bufferevent_socket_connect(bev, (struct sockaddr *)&srv->addr, (int)srv->addr_len) < 0) {
        /* Reported through the event callback on the next loop turn. */
        log_debug("connect to '%s' failed at once: %s", srv->name, strerror(errno));
    }
    return b;
}

void backend_free(backend *b)
{
    if (!b)
        return;
    atomic_fetch_sub(&b->srv->connections, 1);
    bufferevent_free(b->bev);
    free(b);
}

static uint64_t backend_caps(backend *b)
{
    const session_creds *c = &b->s->creds;
    uint64_t caps = (c->caps & b->server_caps & ~(CLIENT_COMPRESS | CLIENT_SSL)) |
                    CLIENT_PROTOCOL_41 | CLIENT_SECURE_CONNECTION | CLIENT_PLUGIN_AUTH;
    caps &= ~(CLIENT_CONNECT_WITH_DB | CLIENT_MYSQL);
    if (c->db[0])
        caps |= CLIENT_CONNECT_WITH_DB;
    if (b->srv->tls)
        caps |= CLIENT_SSL;
    return caps;
}

/* Our answer to scramble: SHA1(password) turned into the native reply. */
static size_t native_answer(backend *b, const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                            uint8_t out[PROTO_SHA1_LEN])
{
    if (!b->s->creds.has_password)
        return 0;
    proto_native_reply(b->s->creds.sha1_pw, scramble, out);
    return PROTO_SHA1_LEN;
}

/* Queues a payload and sends it now (a ready backend has EV_WRITE off, see flow.h). */
static void send_bytes(backend *b, const void *p, size_t len)
{
    b->seq = pktio_write(bufferevent_get_output(b->bev), b->seq, p, len);
    flow_flush(b->bev);
}

static void send_payload(backend *b, const proto_buf *p)
{
    send_bytes(b, p->data, p->len);
}

static void send_response(backend *b)
{
    const session_creds *c = &b->s->creds;
    proto_hs_response r = {.caps = backend_caps(b),
                           .max_packet = c->max_packet ? c->max_packet : 0x40000000,
                           .charset = c->charset,
                           .attrs = c->attrs,
                           .attrs_len = c->attrs_len};
    snprintf(r.user, sizeof(r.user), "%s", c->user);
    snprintf(r.db, sizeof(r.db), "%s", c->db);
    snprintf(r.plugin, sizeof(r.plugin), "%s", PROTO_NATIVE_PLUGIN);
    r.auth_len = native_answer(b, b->scramble, r.auth);
    if (!(r.caps & CLIENT_CONNECT_ATTRS))
        r.attrs_len = 0;
    proto_buf p;
    proto_buf_init(&p);
    proto_hs_response_write(&p, &r);
    send_payload(b, &p);
    proto_buf_free(&p);
    b->state = BE_AUTH;
}

static void start_tls(backend *b)
{
    proto_buf p;
    proto_buf_init(&p);
    const session_creds *c = &b->s->creds;
    proto_ssl_request_write(&p, backend_caps(b), 0x40000000, c->charset);
    send_payload(b, &p);
    proto_buf_free(&p);
    SSL *ssl = SSL_new(b->srv->tls);
    struct bufferevent *bev =
        ssl ? bufferevent_openssl_filter_new(worker_base(b->s->w), b->bev, ssl,
                                             BUFFEREVENT_SSL_CONNECTING, BEV_OPT_CLOSE_ON_FREE)
            : NULL;
    if (!bev) {
        SSL_free(ssl);
        fail_login(b, "cannot start TLS");
        return;
    }
    SSL_set_tlsext_host_name(ssl, b->srv->address);
    b->state = BE_TLS;
    set_bev(b, bev);
}

static void on_greeting(backend *b, const uint8_t *p, size_t len)
{
    proto_greeting g;
    if (proto_is_err(p, len)) {
        b->state = BE_DEAD;
        b->cbs->login(b, p, len);
        return;
    }
    if (proto_greeting_parse(p, len, &g) != PROTO_OK) {
        fail_login(b, "malformed handshake from the server");
        return;
    }
    memcpy(b->scramble, g.scramble, sizeof(b->scramble));
    b->server_caps = g.caps;
    if (b->srv->tls && !(g.caps & CLIENT_SSL)) {
        fail_login(b, "TLS is configured for this server but the server does not offer it");
        return;
    }
    if (b->srv->tls)
        start_tls(b);
    else
        send_response(b);
}

static void on_auth_switch(backend *b, const uint8_t *p, size_t len)
{
    char plugin[PROTO_PLUGIN_MAX];
    uint8_t data[PROTO_AUTH_MAX];
    size_t dlen = 0;
    if (proto_auth_switch_parse(p, len, plugin, data, &dlen, sizeof(data)) != PROTO_OK ||
        strcmp(plugin, PROTO_NATIVE_PLUGIN) != 0 || dlen < PROTO_SCRAMBLE_LEN) {
        fail_login(b, "the server asked for an authentication plugin other than "
                      "mysql_native_password");
        return;
    }
    memcpy(b->scramble, data, PROTO_SCRAMBLE_LEN);
    uint8_t answer[PROTO_SHA1_LEN];
    send_bytes(b, answer, native_answer(b, b->scramble, answer));
}

static void on_auth_result(backend *b, const uint8_t *p, size_t len)
{
    if (len > 0 && p[0] == PROTO_EOF_BYTE) {
        on_auth_switch(b, p, len);
        return;
    }
    if (proto_is_ok(p, len)) {
        b->state = BE_READY;
        bufferevent_set_timeouts(b->bev, NULL, NULL);
        flow_direct(b->bev);
        b->cbs->login(b, NULL, 0);
        return;
    }
    if (proto_is_err(p, len)) {
        b->state = BE_DEAD;
        b->cbs->login(b, p, len);
        return;
    }
    fail_login(b, "unexpected packet during authentication");
}

static void login_step(backend *b)
{
    proto_buf pkt;
    proto_buf_init(&pkt);
    uint8_t seq = 0;
    while (b->state == BE_GREETING || b->state == BE_AUTH) {
        int rc = pktio_next(bufferevent_get_input(b->bev), BACKEND_LOGIN_MAX, &pkt, &seq);
        if (rc == PROTO_NEED_MORE)
            break;
        if (rc == PROTO_BAD) {
            fail_login(b, "oversized packet during login");
            break;
        }
        b->seq = (uint8_t)(seq + 1);
        if (b->state == BE_GREETING)
            on_greeting(b, pkt.data, pkt.len);
        else
            on_auth_result(b, pkt.data, pkt.len);
        if (b->state == BE_READY || b->state == BE_DEAD)
            break; /* the owner may have freed b: touch nothing more */
    }
    proto_buf_free(&pkt);
}

static void be_read_cb(struct bufferevent *bev, void *arg)
{
    backend *b = arg;
    if (b->state == BE_READY)
        b->cbs->readable(b);
    else
        login_step(b);
}

static void be_write_cb(struct bufferevent *bev, void *arg)
{
    backend *b = arg;
    if (b->state != BE_READY)
        return;
    flow_written(bev);
    if (b->cbs->drained)
        b->cbs->drained(b);
}

static const char *event_text(short what, char *buf, size_t len)
{
    if (what & BEV_EVENT_TIMEOUT)
        return "timed out";
    if (what & BEV_EVENT_EOF)
        return "connection closed by the server";
    int err = EVUTIL_SOCKET_ERROR();
    snprintf(buf, len, "%s", err ? strerror(err) : "connection error");
    return buf;
}

static void be_event_cb(struct bufferevent *bev, short what, void *arg)
{
    backend *b = arg;
    char buf[128];
    if (what & BEV_EVENT_CONNECTED) {
        if (b->state == BE_CONNECTING) {
            int one = 1;
            setsockopt(bufferevent_getfd(bev), IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
            b->state = BE_GREETING;
        } else if (b->state == BE_TLS) {
            send_response(b);
        }
        return;
    }
    if (what & BEV_EVENT_ERROR && b->state == BE_TLS) {
        fail_login(b, tls_error_text(buf, sizeof(buf)));
        return;
    }
    const char *why = event_text(what, buf, sizeof(buf));
    if (b->state == BE_READY) {
        b->state = BE_DEAD;
        atomic_fetch_add_explicit(&b->srv->errors, 1, memory_order_relaxed);
        b->cbs->closed(b, why);
    } else if (b->state != BE_DEAD) {
        fail_login(b, why);
    }
}

void backend_change_user(backend *b)
{
    const session_creds *c = &b->s->creds;
    proto_change_user cu = {.charset = c->charset, .attrs = c->attrs, .attrs_len = c->attrs_len};
    snprintf(cu.user, sizeof(cu.user), "%s", c->user);
    snprintf(cu.db, sizeof(cu.db), "%s", c->db);
    snprintf(cu.plugin, sizeof(cu.plugin), "%s", PROTO_NATIVE_PLUGIN);
    cu.auth_len = native_answer(b, b->scramble, cu.auth);
    proto_buf p;
    proto_buf_init(&p);
    proto_change_user_write(&p, backend_caps(b), &cu);
    b->seq = 0;
    send_payload(b, &p);
    proto_buf_free(&p);
    b->state = BE_AUTH;
}

ferry_server *backend_server(backend *b)
{
    return b->srv;
}

void *backend_arg(backend *b)
{
    return b->arg;
}

struct evbuffer *backend_input(backend *b)
{
    return bufferevent_get_input(b->bev);
}

struct evbuffer *backend_output(backend *b)
{
    return bufferevent_get_output(b->bev);
}

void backend_flush(backend *b)
{
    flow_flush(b->bev);
}

bool backend_output_full(backend *b)
{
    return evbuffer_get_length(backend_output(b)) >= FLOW_HIGH_WATER;
}

void backend_pause(backend *b, bool pause)
{
    if (b->state != BE_READY)
        return;
    if (pause)
        bufferevent_disable(b->bev, EV_READ);
    else
        flow_resume_read(b->bev);
}
