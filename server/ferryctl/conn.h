/*
 * conn.h: ferryctl's connection to ferryd's admin API: the Unix socket, or
 * the TCP admin port (--host/--port), optionally over TLS (--tls-ca). A
 * blocking stream with a timeout; http.c speaks HTTP over it.
 */
#ifndef FERRYCTL_CONN_H
#define FERRYCTL_CONN_H

#include <openssl/ssl.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef struct admin_target {
    const char *socket;   /* the Unix socket (when port is NULL) */
    const char *host;     /* the TCP admin port's address */
    const char *port;     /* NULL: use the socket */
    const char *user;     /* HTTP Basic; NULL: none */
    const char *password; /* with user */
    bool tls;             /* TLS, verifying ferryd's certificate with the system's CAs */
    const char *tls_ca;   /* TLS, verifying ferryd's certificate with this CA file */
} admin_target;

typedef struct conn {
    int fd;
    SSL_CTX *ctx;
    SSL *ssl;
} conn;

/* Connects (and handshakes). 0, or -1 with err. */
int conn_open(conn *c, const admin_target *t, char *err, size_t errlen);
/* Sends all of buf. 0 or -1. */
int conn_send(conn *c, const char *buf, size_t len);
/* Reads up to len bytes; 0 at the end of the stream, -1 on error or timeout. */
ssize_t conn_recv(conn *c, char *buf, size_t len);
void conn_close(conn *c);
/* "the admin socket PATH" or "HOST:PORT", for messages. */
const char *conn_name(const admin_target *t, char *buf, size_t len);

#endif
