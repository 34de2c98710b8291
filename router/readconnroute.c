/*
 * readconnroute.c: the connection router. At login it picks one server that
 * matches router_options (master, slave, synced, running; comma-combined
 * means any of them) with the fewest current connections, ties in the
 * monitor's server order, and then forwards both directions. Client to
 * backend it reads only packet headers (to see COM_QUIT and COM_CHANGE_USER
 * and to know whether a reply is owed); backend to client it moves buffers
 * whole. Either side's full output pauses the other side's reading.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "monitor/monitor.h"
#include "protocol/command.h"
#include "protocol/packet.h"
#include "protocol/response.h"
#include "server/backend.h"
#include "server/log.h"
#include "server/login.h"
#include "server/pktio.h"
#include "server/service.h"
#include "server/session.h"

#define RCR_CHANGE_USER_MAX (64 * 1024)

typedef struct rcr_service {
    uint32_t roles;       /* any of these state bits makes a server eligible */
    bool master_fallback; /* "slave": use the master when no slave is usable */
} rcr_service;

typedef struct rcr_session {
    session *s;
    backend *b;
    bool logged_in;
    bool changing_user;
    bool fallback;   /* routed to the master because no slave was usable */
    size_t fwd_left; /* bytes of the current client packet still to forward */
    bool continuation;
    bool owed_reply; /* the backend owes an answer to the last command */
    uint8_t req_seq;
    size_t replied;       /* bytes sent to the client since the last command */
    session_creds before; /* who the client was before a COM_CHANGE_USER */
    /* A refused COM_CHANGE_USER resets the backend session (as MariaDB does):
     * the error waits here until the backend's COM_RESET_CONNECTION answer. */
    proto_buf refused;
} rcr_session;

static const cfg_param RCR_PARAMS[] = {
    {.name = "router_options",
     .type = CFG_STRING,
     .def = "running",
     .help = "Which servers qualify: master, slave, synced or running, comma-separated "
             "(any of them); slave falls back to the master when no slave is usable"},
    {.name = NULL},
};

static int parse_roles(const char *text, rcr_service *rs, char *err, size_t errlen)
{
    char buf[256];
    snprintf(buf, sizeof(buf), "%s", text);
    char *save = NULL;
    for (char *t = strtok_r(buf, ", ", &save); t; t = strtok_r(NULL, ", ", &save)) {
        if (strcmp(t, "master") == 0)
            rs->roles |= SRV_MASTER;
        else if (strcmp(t, "slave") == 0)
            rs->roles |= SRV_SLAVE;
        else if (strcmp(t, "synced") == 0)
            rs->roles |= SRV_SYNCED;
        else if (strcmp(t, "running") == 0)
            rs->roles |= SRV_RUNNING;
        else {
            snprintf(err, errlen,
                     "parameter 'router_options': unknown role '%s' (use master, slave, "
                     "synced, running)",
                     t);
            return -1;
        }
    }
    rs->master_fallback = rs->roles == SRV_SLAVE;
    if (rs->roles)
        return 0;
    snprintf(err, errlen, "parameter 'router_options': no role given");
    return -1;
}

static int rcr_check(const cfg_object *o, char *err, size_t errlen)
{
    rcr_service rs = {0};
    return parse_roles(cfg_str(o, "router_options"), &rs, err, errlen);
}

static int rcr_service_init(service *svc, char *err, size_t errlen)
{
    rcr_service *rs = calloc(1, sizeof(*rs));
    if (!rs || parse_roles(cfg_str(svc->cfg, "router_options"), rs, err, errlen) < 0) {
        free(rs);
        return -1;
    }
    svc->router_data = rs;
    return 0;
}

static void rcr_service_free(service *svc)
{
    free(svc->router_data);
}

static bool usable(uint32_t state)
{
    return (state & SRV_RUNNING) && !(state & (SRV_MAINT | SRV_DRAINING));
}

static bool eligible(const rcr_service *rs, uint32_t state)
{
    return usable(state) && (state & rs->roles);
}

/* The eligible server with the fewest connections; NULL if none. */
static ferry_server *pick(const cluster_snapshot *v, uint32_t roles)
{
    ferry_server *best = NULL;
    int best_conns = 0;
    for (size_t i = 0; v && i < v->nservers; i++) {
        const snap_server *ss = &v->servers[i];
        if (!usable(ss->state) || !(ss->state & roles))
            continue;
        int conns = atomic_load(&ss->srv->connections);
        if (!best || conns < best_conns) {
            best = ss->srv;
            best_conns = conns;
        }
    }
    return best;
}

static void on_login(backend *b, const uint8_t *err, size_t err_len);
static void on_readable(backend *b);
static void on_drained(backend *b);
static void on_closed(backend *b, const char *why);

static const backend_cbs RCR_BACKEND_CBS = {on_login, on_readable, on_drained, on_closed};

static void refuse(session *s, const char *fmt, const char *arg)
{
    proto_buf e;
    proto_buf_init(&e);
    backend_make_error(&e, ER_NO_SERVER, fmt, arg, s->svc->name);
    session_login_done(s, e.data, e.len);
    proto_buf_free(&e);
}

static void rcr_session_start(session *s)
{
    const rcr_service *rs = s->svc->router_data;
    const cluster_snapshot *v = monitor_view(s->svc->monitor_index);
    rcr_session *r = calloc(1, sizeof(*r));
    if (!r) {
        refuse(s, "Out of memory (%s) in service '%s'", "session");
        return;
    }
    r->s = s;
    proto_buf_init(&r->refused);
    s->router_data = r;
    ferry_server *srv = pick(v, rs->roles);
    if (!srv && rs->master_fallback) {
        srv = pick(v, SRV_MASTER);
        r->fallback = srv != NULL;
    }
    if (!srv) {
        refuse(s, "No server is usable for router_options '%s' of service '%s'",
               cfg_str(s->svc->cfg, "router_options"));
        return;
    }
    r->b = backend_open(s, srv, &RCR_BACKEND_CBS, r);
    if (!r->b)
        refuse(s, "Out of memory (%s) in service '%s'", "backend");
}

/* ---- client to backend ------------------------------------------------- */

static void change_user(rcr_session *r)
{
    proto_buf pkt, err;
    proto_buf_init(&pkt);
    proto_buf_init(&err);
    uint8_t seq = 0;
    int rc = pktio_next(session_input(r->s), RCR_CHANGE_USER_MAX, &pkt, &seq);
    if (rc == PROTO_BAD) {
        session_send_error(r->s, (uint8_t)(seq + 1), ER_NET_PACKET_TOO_LARGE, "08S01",
                           "COM_CHANGE_USER packet too large");
        session_close(r->s, "oversized COM_CHANGE_USER");
    } else if (rc == PROTO_OK) {
        r->req_seq = seq;
        r->before = r->s->creds;
        if (login_change_user(r->s, pkt.data, pkt.len, &err) < 0) {
            /* As MariaDB: the old user stays, its session is reset, then the error. */
            proto_buf_reset(&r->refused);
            proto_frame(&r->refused, (uint8_t)(seq + 1), err.data, err.len);
            uint8_t reset = COM_RESET_CONNECTION;
            pktio_write(backend_output(r->b), 0, &reset, 1);
            backend_flush(r->b);
        } else {
            r->changing_user = true;
            backend_change_user(r->b);
        }
    }
    proto_buf_free(&pkt);
    proto_buf_free(&err);
}

/* Looks at the start of a new client packet. Returns false to stop reading. */
static bool start_packet(rcr_session *r, struct evbuffer *in)
{
    uint8_t hdr[PROTO_HEADER_LEN + 1];
    size_t have = evbuffer_get_length(in);
    if (have < PROTO_HEADER_LEN)
        return false;
    evbuffer_copyout(in, hdr, have < sizeof(hdr) ? have : sizeof(hdr));
    size_t len = proto_load_u24(hdr);
    if (!r->continuation && len > 0) {
        if (have < sizeof(hdr))
            return false;
        uint8_t com = hdr[PROTO_HEADER_LEN];
        if (com == COM_QUIT) {
            session_close(r->s, "client sent COM_QUIT");
            return false;
        }
        if (com == COM_CHANGE_USER) {
            change_user(r);
            return false;
        }
        r->owed_reply = proto_com_has_reply(com);
        r->s->queries++;
        atomic_fetch_add_explicit(&backend_server(r->b)->queries, 1, memory_order_relaxed);
        r->req_seq = hdr[3];
        r->replied = 0;
    }
    r->continuation = len == PROTO_MAX_CHUNK;
    r->fwd_left = PROTO_HEADER_LEN + len;
    return true;
}

static void rcr_client_readable(session *s)
{
    rcr_session *r = s->router_data;
    struct evbuffer *in = session_input(s);
    while (evbuffer_get_length(in) > 0 && !r->changing_user && !r->refused.len && !s->closing) {
        if (backend_output_full(r->b)) {
            /* Pause only if the kernel will not take it now: once the output
             * is flushed empty no drained callback would ever resume us. */
            backend_flush(r->b);
            if (backend_output_full(r->b)) {
                session_pause_client(s, true);
                break;
            }
        }
        if (r->fwd_left == 0 && !start_packet(r, in))
            break;
        int n = evbuffer_remove_buffer(in, backend_output(r->b), r->fwd_left);
        if (n <= 0)
            break;
        r->fwd_left -= (size_t)n;
        s->bytes_in += (uint64_t)n;
    }
    backend_flush(r->b);
}

static void on_drained(backend *b)
{
    rcr_session *r = backend_arg(b);
    session_pause_client(r->s, false);
    rcr_client_readable(r->s);
}

/* ---- backend to client ------------------------------------------------- */

/* The backend answered the COM_RESET_CONNECTION of a refused change of user. */
static bool answer_refused(rcr_session *r, struct evbuffer *in)
{
    proto_buf pkt;
    uint8_t seq;
    proto_buf_init(&pkt);
    int rc = pktio_next(in, RCR_CHANGE_USER_MAX, &pkt, &seq);
    proto_buf_free(&pkt);
    if (rc == PROTO_NEED_MORE)
        return false;
    evbuffer_add(session_output(r->s), r->refused.data, r->refused.len);
    proto_buf_reset(&r->refused);
    session_flush(r->s);
    rcr_client_readable(r->s); /* commands that came meanwhile */
    return true;
}

static void on_readable(backend *b)
{
    rcr_session *r = backend_arg(b);
    if (r->s->closing)
        return;
    struct evbuffer *in = backend_input(b);
    if (r->refused.len && !answer_refused(r, in))
        return;
    size_t n = evbuffer_get_length(in);
    r->replied += n;
    r->s->bytes_out += n;
    evbuffer_add_buffer(session_output(r->s), in);
    session_flush(r->s);
    if (session_output_full(r->s))
        backend_pause(b, true);
}

static void rcr_client_drained(session *s)
{
    rcr_session *r = s->router_data;
    if (r->b && r->logged_in)
        backend_pause(r->b, false);
}

static void finish_change_user(rcr_session *r, const uint8_t *err, size_t err_len)
{
    r->changing_user = false;
    uint8_t seq = (uint8_t)(r->req_seq + 1);
    if (err) {
        r->s->creds = r->before; /* the backend kept the old user */
        pktio_write(session_output(r->s), seq, err, err_len);
        session_flush(r->s);
        rcr_client_readable(r->s);
        return;
    }
    proto_buf ok;
    proto_buf_init(&ok);
    proto_ok_packet(&ok, seq, SERVER_STATUS_AUTOCOMMIT);
    evbuffer_add(session_output(r->s), ok.data, ok.len);
    proto_buf_free(&ok);
    session_flush(r->s);
    rcr_client_readable(r->s);
}

static void on_login(backend *b, const uint8_t *err, size_t err_len)
{
    rcr_session *r = backend_arg(b);
    if (r->logged_in) {
        finish_change_user(r, err, err_len);
        return;
    }
    if (err) {
        proto_err e;
        if (proto_err_parse(err, err_len, &e) == PROTO_OK)
            log_warning("session %llu: login to '%s' failed: %d %.*s", (unsigned long long)r->s->id,
                        backend_server(b)->name, e.code, (int)e.msg_len, e.msg);
        session_login_done(r->s, err, err_len);
        return;
    }
    r->logged_in = true;
    log_info("session %llu: routed to '%s'%s", (unsigned long long)r->s->id,
             backend_server(b)->name, r->fallback ? " (no slave usable: using the master)" : "");
    session_login_done(r->s, NULL, 0);
}

/* A command waits for an answer none of which was sent: answer it with an
 * error instead of a bare hang-up. */
static void fail_owed_reply(rcr_session *r, const char *why)
{
    if (!r->owed_reply || r->replied > 0)
        return;
    r->owed_reply = false;
    session_send_error(r->s, (uint8_t)(r->req_seq + 1), ER_CONNECTION_KILLED, "70100",
                       "Lost connection to backend server '%s' during query: %s",
                       backend_server(r->b)->name, why);
}

static void on_closed(backend *b, const char *why)
{
    rcr_session *r = backend_arg(b);
    ferry_server *srv = backend_server(b);
    log_warning("session %llu: lost backend '%s' (%s:%d): %s", (unsigned long long)r->s->id,
                srv->name, srv->address, srv->port, why);
    fail_owed_reply(r, why);
    session_close(r->s, "backend connection lost");
}

/* ---- cluster changes and the end --------------------------------------- */

static void rcr_snapshot_changed(session *s)
{
    rcr_session *r = s->router_data;
    const rcr_service *rs = s->svc->router_data;
    if (!r || !r->b)
        return;
    const cluster_snapshot *v = monitor_view(s->svc->monitor_index);
    const snap_server *ss = v ? snapshot_find(v, backend_server(r->b)) : NULL;
    uint32_t state = ss ? ss->state : 0;
    bool ok = r->fallback ? usable(state) && (state & SRV_MASTER) : eligible(rs, state);
    if (ok)
        return;
    char text[128];
    snapshot_state_text(state, text, sizeof(text));
    char why[256];
    snprintf(why, sizeof(why), "server '%s' no longer qualifies (now: %s)",
             backend_server(r->b)->name, text);
    fail_owed_reply(r, why);
    session_close(s, why);
}

static void rcr_session_end(session *s)
{
    rcr_session *r = s->router_data;
    if (!r)
        return;
    backend_free(r->b);
    proto_buf_free(&r->refused);
    free(r);
    s->router_data = NULL;
}

const router_ops READCONNROUTE_OPS = {
    .name = "readconnroute",
    .params = RCR_PARAMS,
    .check = rcr_check,
    .service_init = rcr_service_init,
    .service_free = rcr_service_free,
    .session_start = rcr_session_start,
    .client_readable = rcr_client_readable,
    .client_drained = rcr_client_drained,
    .snapshot_changed = rcr_snapshot_changed,
    .session_end = rcr_session_end,
};
