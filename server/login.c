/*
 * login.c: the connection phase of a client session (see login.h). Ferry
 * greets with its own scramble, so every login goes through here: the
 * client's answer is checked against SHA1(SHA1(password)) from the backend's
 * mysql.user, which also yields SHA1(password) for logging in to backends.
 */
#include "server/login.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "protocol/response.h"
#include "server/flow.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/pktio.h"
#include "server/service.h"
#include "server/users.h"

/* What Ferry offers a client: what MariaDB 10.11 offers, less nothing it can't forward. */
#define FERRY_CAPS                                                                                 \
    (CLIENT_FOUND_ROWS | CLIENT_LONG_FLAG | CLIENT_CONNECT_WITH_DB | CLIENT_NO_SCHEMA |            \
     CLIENT_COMPRESS | CLIENT_ODBC | CLIENT_LOCAL_FILES | CLIENT_IGNORE_SPACE |                    \
     CLIENT_PROTOCOL_41 | CLIENT_INTERACTIVE | CLIENT_IGNORE_SIGPIPE | CLIENT_TRANSACTIONS |       \
     CLIENT_RESERVED | CLIENT_SECURE_CONNECTION | CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS | \
     CLIENT_PS_MULTI_RESULTS | CLIENT_PLUGIN_AUTH | CLIENT_CONNECT_ATTRS |                         \
     CLIENT_PLUGIN_AUTH_LENENC_DATA | CLIENT_CAN_HANDLE_EXPIRED_PASSWORDS | CLIENT_SESSION_TRACK | \
     CLIENT_DEPRECATE_EOF | CLIENT_REMEMBER_OPTIONS | MARIADB_CLIENT_PROGRESS |                    \
     MARIADB_CLIENT_STMT_BULK_OPERATIONS | MARIADB_CLIENT_EXTENDED_METADATA |                      \
     MARIADB_CLIENT_CACHE_METADATA)

#define LOGIN_MAX_PACKET (64 * 1024)
#define LOGIN_TIMEOUT_S  10
#define DEFAULT_CHARSET  45 /* utf8mb4_general_ci */
#define DEFAULT_VERSION  "10.11.0-MariaDB-Ferry"

static const char *session_version(session *s, char *buf, size_t len)
{
    users_table *t = users_get(s->svc->users);
    const char *v = t->version[0] ? t->version : DEFAULT_VERSION;
    /* MariaDB's prefix, which old MySQL clients need. */
    int room = (int)len - 7;
    snprintf(buf, len, "%s%.*s", strncmp(v, "5.5.5-", 6) == 0 ? "" : "5.5.5-", room, v);
    users_unref(t);
    return buf;
}

void login_start(session *s)
{
    proto_greeting g = {.protocol = 10,
                        .conn_id = (uint32_t)s->id,
                        .caps = FERRY_CAPS | (s->lst->tls ? CLIENT_SSL : 0),
                        .charset = DEFAULT_CHARSET,
                        .status = SERVER_STATUS_AUTOCOMMIT};
    proto_scramble_new(s->scramble);
    memcpy(g.scramble, s->scramble, sizeof(g.scramble));
    session_version(s, g.version, sizeof(g.version));
    snprintf(g.plugin, sizeof(g.plugin), "%s", PROTO_NATIVE_PLUGIN);
    s->server_caps = g.caps;
    proto_buf b;
    proto_buf_init(&b);
    proto_greeting_write(&b, &g);
    s->seq = pktio_write(session_output(s), 0, b.data, b.len);
    proto_buf_free(&b);
    s->state = SESS_GREETED;
    struct timeval tmo = {LOGIN_TIMEOUT_S, 0};
    bufferevent_set_timeouts(s->client, &tmo, NULL);
}

/* At most one auth-failure line per second per worker; the rest are counted. */
static void log_denied(session *s, const char *why)
{
    static __thread time_t last;
    static __thread unsigned suppressed;
    time_t now = time(NULL);
    if (now == last) {
        suppressed++;
        return;
    }
    log_warning("login failed: user '%s' from %s:%d on listener '%s': %s%s", s->creds.user,
                s->client_ip, s->client_port, s->lst->name, why,
                suppressed ? " (more failures suppressed)" : "");
    last = now;
    suppressed = 0;
}

static void deny(session *s, const char *why)
{
    log_denied(s, why);
    session_send_error(s, s->seq, ER_ACCESS_DENIED_ERROR, "28000",
                       "Access denied for user '%s'@'%s' (using password: %s)", s->creds.user,
                       s->client_ip, s->reply_len ? "YES" : "NO");
    session_close(s, "login failed");
}

/* Checks a scramble answer for user; fills sha1_pw. Returns NULL or why it failed. */
static const char *verify(session *s, const char *user, const uint8_t *reply, size_t len,
                          uint8_t sha1_pw[PROTO_SHA1_LEN], bool *has_password, bool *repl_slave)
{
    users_table *t = users_get(s->svc->users);
    const user_account *a = users_match(t, user, s->client_ip);
    const char *why = NULL;
    if (!a)
        why = "no such account for this host";
    else if (!a->native)
        why = "the account does not use mysql_native_password";
    else if (!a->has_hash)
        why = len == 0 ? NULL : "a password was given for an account without one";
    else if (!proto_native_check(reply, len, s->scramble, a->hash, sha1_pw))
        why = "wrong password";
    *has_password = a && a->has_hash;
    *repl_slave = a && a->repl_slave;
    users_unref(t);
    return why;
}

static void users_reloaded(worker *w, void *arg);

static void check_login(session *s)
{
    const char *why = verify(s, s->creds.user, s->reply, s->reply_len, s->creds.sha1_pw,
                             &s->creds.has_password, &s->creds.repl_slave);
    if (why && !s->retried_login) {
        /* Maybe the account is new or its password changed: reload and retry once. */
        s->retried_login = true;
        s->users_pending = true;
        s->state = SESS_USERS_WAIT;
        users_refresh(s->svc->users, cfg_int(s->svc->cfg, "users_refresh_ms"), s->w, users_reloaded,
                      s);
        return;
    }
    if (why) {
        deny(s, why);
        return;
    }
    bufferevent_set_timeouts(s->client, NULL, NULL);
    s->state = SESS_LOGIN;
    s->router_started = true;
    s->svc->router->session_start(s);
}

static void users_reloaded(worker *w, void *arg)
{
    session *s = arg;
    if (session_users_ready(s) && !s->closing)
        check_login(s);
}

static void switch_to_native(session *s)
{
    proto_buf b;
    proto_buf_init(&b);
    proto_auth_switch_write(&b, PROTO_NATIVE_PLUGIN, s->scramble, sizeof(s->scramble));
    s->seq = pktio_write(session_output(s), s->seq, b.data, b.len);
    proto_buf_free(&b);
    s->state = SESS_AUTH_SWITCH;
}

static int keep_creds(session *s, const proto_hs_response *r)
{
    session_creds *c = &s->creds;
    memcpy(c->user, r->user, sizeof(c->user));
    memcpy(c->db, r->db, sizeof(c->db));
    c->caps = r->caps & s->server_caps;
    c->charset = r->charset;
    c->max_packet = r->max_packet;
    if (r->attrs_len) {
        c->attrs = malloc(r->attrs_len);
        if (!c->attrs)
            return -1;
        memcpy(c->attrs, r->attrs, r->attrs_len);
        c->attrs_len = r->attrs_len;
    }
    return 0;
}

static void on_response(session *s, const uint8_t *p, size_t len)
{
    proto_hs_response r;
    int rc = proto_hs_response_parse(p, len, s->server_caps, &r);
    if (rc == PROTO_NEED_MORE && s->lst->tls && !s->tls) {
        session_start_tls(s);
        return;
    }
    if (rc != PROTO_OK || keep_creds(s, &r) < 0) {
        session_send_error(s, s->seq, ER_HANDSHAKE_ERROR, "08S01", "Bad handshake");
        session_close(s, "bad handshake packet");
        return;
    }
    if (s->lst->tls_required && !s->tls) {
        log_denied(s, "the listener requires TLS");
        session_send_error(s, s->seq, ER_ACCESS_DENIED_ERROR, "28000",
                           "Access denied for user '%s'@'%s': listener '%s' requires TLS "
                           "(connect with --ssl)",
                           s->creds.user, s->client_ip, s->lst->name);
        session_close(s, "plaintext login on a TLS-only listener");
        return;
    }
    bool native = !(r.caps & CLIENT_PLUGIN_AUTH) || strcmp(r.plugin, PROTO_NATIVE_PLUGIN) == 0;
    if (!native || (r.auth_len != 0 && r.auth_len != PROTO_SHA1_LEN)) {
        switch_to_native(s);
        return;
    }
    memcpy(s->reply, r.auth, r.auth_len);
    s->reply_len = r.auth_len;
    check_login(s);
}

static void on_switch_reply(session *s, const uint8_t *p, size_t len)
{
    if (len > sizeof(s->reply)) {
        deny(s, "malformed auth switch reply");
        return;
    }
    memcpy(s->reply, p, len);
    s->reply_len = len;
    check_login(s);
}

void login_readable(session *s)
{
    proto_buf b;
    proto_buf_init(&b);
    uint8_t seq = 0;
    int rc;
    while ((s->state == SESS_GREETED || s->state == SESS_AUTH_SWITCH) && !s->closing &&
           (rc = pktio_next(session_input(s), LOGIN_MAX_PACKET, &b, &seq)) != PROTO_NEED_MORE) {
        if (rc == PROTO_BAD) {
            session_send_error(s, (uint8_t)(seq + 1), ER_NET_PACKET_TOO_LARGE, "08S01",
                               "Login packet larger than %d bytes", LOGIN_MAX_PACKET);
            session_close(s, "oversized login packet");
            break;
        }
        s->seq = (uint8_t)(seq + 1);
        struct bufferevent *before = s->client;
        if (s->state == SESS_GREETED)
            on_response(s, b.data, b.len);
        else
            on_switch_reply(s, b.data, b.len);
        if (s->client != before)
            break; /* upgraded to TLS: the rest arrives on the new stack */
    }
    proto_buf_free(&b);
}

/* The backend refused an account the cache accepted: the cache is stale
 * (a dropped user, a changed password), so it is reloaded (not more often
 * than users_refresh_ms) and later logins are checked against the backend's
 * new state. The client gets the backend's own answer. */
static void backend_refused(session *s, const uint8_t *err, size_t err_len)
{
    proto_err e;
    if (proto_err_parse(err, err_len, &e) != PROTO_OK ||
        (e.code != ER_ACCESS_DENIED_ERROR && e.code != ER_ACCESS_DENIED_NO_PASSWORD_ERROR))
        return;
    char why[256];
    snprintf(why, sizeof why, "the backend refused it (%u: %.*s)", e.code,
             (int)(e.msg_len < 160 ? e.msg_len : 160), e.msg);
    log_denied(s, why);
    users_refresh(s->svc->users, cfg_int(s->svc->cfg, "users_refresh_ms"), s->w, NULL, NULL);
}

void session_login_done(session *s, const uint8_t *err, size_t err_len)
{
    if (err) {
        backend_refused(s, err, err_len);
        pktio_write(session_output(s), s->seq, err, err_len);
        session_close(s, "backend refused the login");
        return;
    }
    proto_buf b;
    proto_buf_init(&b);
    proto_ok_packet(&b, s->seq, SERVER_STATUS_AUTOCOMMIT);
    evbuffer_add(session_output(s), b.data, b.len);
    proto_buf_free(&b);
    s->state = SESS_ROUTING;
    log_info("session %llu: '%s'@'%s' logged in to service '%s'", (unsigned long long)s->id,
             s->creds.user, s->client_ip, s->svc->name);
    if (s->creds.caps & CLIENT_COMPRESS)
        session_start_compression(s);
    flow_direct(s->client);
    if (!s->closing && evbuffer_get_length(session_input(s)) > 0)
        s->svc->router->client_readable(s);
}

int login_change_user(session *s, const uint8_t *payload, size_t len, proto_buf *err)
{
    proto_change_user c;
    if (proto_change_user_parse(payload, len, s->creds.caps, &c) != PROTO_OK) {
        proto_err_write(err, ER_HANDSHAKE_ERROR, "08S01", "Malformed COM_CHANGE_USER");
        return -1;
    }
    uint8_t sha1_pw[PROTO_SHA1_LEN];
    bool has_password = false, repl_slave = false;
    const char *why = verify(s, c.user, c.auth, c.auth_len, sha1_pw, &has_password, &repl_slave);
    if (why) {
        char msg[PROTO_NAME_MAX + 128];
        snprintf(msg, sizeof(msg), "Access denied for user '%s'@'%s' (using password: %s)", c.user,
                 s->client_ip, c.auth_len ? "YES" : "NO");
        proto_err_write(err, ER_ACCESS_DENIED_ERROR, "28000", msg);
        log_warning("COM_CHANGE_USER to '%s' from %s failed: %s", c.user, s->client_ip, why);
        return -1;
    }
    session_creds *cr = &s->creds;
    memcpy(cr->user, c.user, sizeof(cr->user));
    memcpy(cr->db, c.db, sizeof(cr->db));
    memcpy(cr->sha1_pw, sha1_pw, sizeof(sha1_pw));
    cr->has_password = has_password;
    cr->repl_slave = repl_slave;
    if (c.charset)
        cr->charset = (uint8_t)c.charset;
    return 0;
}
