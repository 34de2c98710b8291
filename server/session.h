/*
 * session.h: a client session. The core accepts the connection, greets the
 * client, upgrades it to TLS if asked, authenticates it against the service's
 * user accounts, then hands it to the service's router. Everything about a
 * session happens on the worker that accepted it.
 *
 * Flow control: session_input / session_output are the client's buffers after
 * TLS and decompression. A router that moves bytes to the client checks
 * session_output_full() and pauses its source; the core calls the router's
 * client_drained once the output is below the low-water mark again.
 */
#ifndef FERRY_SERVER_SESSION_H
#define FERRY_SERVER_SESSION_H

#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/queue.h>

#include "protocol/handshake.h"
#include "server/worker.h"

struct listener;
struct service;

#define FLOW_HIGH_WATER (1024 * 1024) /* pause the source above this many buffered bytes */
#define FLOW_LOW_WATER  (256 * 1024)  /* resume below this */
/* Client bytes read ahead of what the login or the router has taken: enough
 * for the longest packet any of them waits for whole (the relay's 1 MiB). */
#define CLIENT_READ_AHEAD (2 * FLOW_HIGH_WATER)

typedef enum session_state {
    SESS_GREETED,     /* waiting for the handshake response (or SSL_REQUEST) */
    SESS_AUTH_SWITCH, /* asked the client to switch to mysql_native_password */
    SESS_USERS_WAIT,  /* waiting for the account table to reload */
    SESS_LOGIN,       /* authenticated; the router is connecting backends */
    SESS_ROUTING,     /* logged in: the router owns the traffic */
} session_state;

/* Who the client is, as the backends must see it. */
typedef struct session_creds {
    char user[PROTO_NAME_MAX + 1];
    char db[PROTO_NAME_MAX + 1];
    bool has_password;
    bool repl_slave;                 /* the account has REPLICATION SLAVE */
    uint8_t sha1_pw[PROTO_SHA1_LEN]; /* SHA1(password), recovered at login */
    uint8_t charset;
    uint64_t caps; /* negotiated with the client */
    uint32_t max_packet;
    uint8_t *attrs; /* connection attributes, forwarded to backends */
    size_t attrs_len;
} session_creds;

typedef struct session {
    uint64_t id;
    worker *w;
    struct listener *lst;
    struct service *svc;
    struct bufferevent *client; /* top of the stack: socket, then TLS, then compression */
    char client_ip[INET6_ADDRSTRLEN];
    int client_port;
    session_state state;
    uint8_t scramble[PROTO_SCRAMBLE_LEN];
    uint64_t server_caps;          /* offered in Ferry's greeting */
    uint8_t seq;                   /* next sequence number towards the client during login */
    uint8_t reply[PROTO_AUTH_MAX]; /* the client's scramble answer, kept for a retry */
    size_t reply_len;
    session_creds creds;
    bool tls;
    bool compressed;
    bool closing;        /* flushing a final packet; then freed */
    bool free_scheduled; /* a deferred free is pending: nothing else frees it */
    bool closed;         /* client gone; freed when no callback is pending */
    bool router_started; /* session_end is owed */
    bool users_pending;  /* a users_refresh callback will arrive */
    bool retried_login;
    void *router_data;
    TAILQ_ENTRY(session) link;
    /* Counters for the admin socket and /metrics: plain fields, written and
     * read only on the session's worker (the admin socket posts a job there). */
    int64_t started_ms; /* CLOCK_REALTIME at accept, milliseconds; 0: not recorded */
    uint64_t bytes_in;  /* bytes read from the client */
    uint64_t bytes_out; /* bytes written to the client */
    uint64_t queries;   /* client commands routed */
} session;

/* Takes a freshly accepted socket on the calling worker. */
void session_accept(worker *w, evutil_socket_t fd, struct listener *lst,
                    const struct sockaddr *addr, int addrlen);

/* Completes the login for the router: with err == NULL sends OK to the client
 * and enters SESS_ROUTING; otherwise sends err (a whole ERR payload) and
 * closes. */
void session_login_done(session *s, const uint8_t *err_payload, size_t err_len);

struct evbuffer *session_input(session *s);
struct evbuffer *session_output(session *s);
bool session_output_full(session *s);
/* Sends what the router queued in session_output now (see flow.h). */
void session_flush(session *s);
/* Stops / resumes reading from the client (router backpressure). */
void session_pause_client(session *s, bool pause);

/* Sends an ERR packet with sequence seq to the client. */
void session_send_error(session *s, uint8_t seq, uint16_t code, const char *sqlstate,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Closes the session once its output is flushed; reason is logged at info level. */
void session_close(session *s, const char *reason);

/* Core hooks, called from other core modules and the monitor framework. */
void sessions_notify_snapshot(worker *w, int monitor_index);
void sessions_close_all(worker *w);
size_t sessions_count(worker *w);

/* For the admin socket (server/admin_sessions.c); each runs on w's thread. */
typedef void (*session_visit_fn)(const session *s, void *arg);
/* Calls fn for every session of w. */
void sessions_visit(worker *w, session_visit_fn fn, void *arg);
/* Closes session id if it lives on w (reason is logged); false if it does not. */
bool sessions_kill(worker *w, uint64_t id, const char *reason);
/* Sessions accepted since ferryd started, on all workers. Any thread. */
uint64_t sessions_accepted(void);

#endif
