/*
 * backend.h: one connection from a session to a backend server, on the
 * session's worker. backend_open connects without blocking, upgrades to TLS
 * when the server has a tls group, and logs in as the session's client using
 * SHA1(password) recovered at the client's login. After that the owner reads
 * and writes the bufferevent directly.
 */
#ifndef FERRY_SERVER_BACKEND_H
#define FERRY_SERVER_BACKEND_H

#include <event2/bufferevent.h>
#include <stdbool.h>
#include <stdint.h>

#include "protocol/buf.h"
#include "server/srv.h"

struct session;
typedef struct backend backend;

typedef struct backend_cbs {
    /* Login finished. err_payload is NULL on success, else the server's ERR
     * payload (or one Ferry made: connect failure, bad greeting). */
    void (*login)(backend *b, const uint8_t *err_payload, size_t err_len);
    /* Bytes are waiting in backend_input(b) (only after login). */
    void (*readable)(backend *b);
    /* The backend's output drained below the low-water mark. */
    void (*drained)(backend *b);
    /* The connection is gone (EOF, error, timeout); why says which. The
     * backend must still be freed with backend_free. */
    void (*closed)(backend *b, const char *why);
} backend_cbs;

backend *backend_open(struct session *s, ferry_server *srv, const backend_cbs *cbs, void *arg);
void backend_free(backend *b);

ferry_server *backend_server(backend *b);
void *backend_arg(backend *b);
struct evbuffer *backend_input(backend *b);
struct evbuffer *backend_output(backend *b);
bool backend_output_full(backend *b);
/* Sends what was queued in backend_output now (see flow.h). */
void backend_flush(backend *b);
void backend_pause(backend *b, bool pause);

/* Re-authenticates as the session's (new) credentials with COM_CHANGE_USER;
 * the result arrives through cbs->login again. */
void backend_change_user(backend *b);

/* Formats an ERR payload (no header) into out, for callbacks. */
void backend_make_error(proto_buf *out, uint16_t code, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

#endif
