/*
 * conn.c: ferryctl's transport (see conn.h): connect to a Unix socket or a
 * TCP address (getaddrinfo, first that answers), then, with a CA file, a TLS
 * handshake that verifies ferryd's certificate and its host name or IP.
 */
#include "conn.h"

#include <errno.h>
#include <netdb.h>
#include <openssl/err.h>
#include <openssl/x509v3.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define TIMEOUT_S 60

static int with_timeouts(int fd)
{
    struct timeval tv = {TIMEOUT_S, 0};
    if (fd >= 0) {
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    }
    return fd;
}

static int connect_unix(const char *path)
{
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    if (strlen(path) >= sizeof sa.sun_path) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(sa.sun_path, path);
    int fd = with_timeouts(socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
    if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int saved = errno;
        close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

static int connect_tcp(const char *host, const char *port)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM}, *res, *ai;
    int rc = getaddrinfo(host, port, &hints, &res), fd = -1;
    if (rc != 0) {
        errno = rc == EAI_SYSTEM ? errno : EHOSTUNREACH;
        return -1;
    }
    for (ai = res; ai && fd < 0; ai = ai->ai_next) {
        fd = with_timeouts(socket(ai->ai_family, ai->ai_socktype | SOCK_CLOEXEC, 0));
        if (fd >= 0 && connect(fd, ai->ai_addr, ai->ai_addrlen) < 0) {
            int saved = errno;
            close(fd);
            fd = -1;
            errno = saved;
        }
    }
    freeaddrinfo(res);
    return fd;
}

/* The certificate must name host: its IP address, else its DNS name (also sent as SNI). */
static int expect_host(SSL *ssl, const char *host)
{
    if (X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), host) == 1)
        return 0;
    return SSL_set1_host(ssl, host) == 1 && SSL_set_tlsext_host_name(ssl, host) == 1 ? 0 : -1;
}

/* OpenSSL's reason for the last failure, else the system's. */
static const char *tls_reason(void)
{
    const char *r = ERR_reason_error_string(ERR_get_error());
    return r ? r : errno ? strerror(errno) : "unknown error";
}

static int start_tls(conn *c, const admin_target *t, char *err, size_t errlen)
{
    errno = 0;
    c->ctx = SSL_CTX_new(TLS_client_method());
    if (!c->ctx || SSL_CTX_set_min_proto_version(c->ctx, TLS1_2_VERSION) != 1 ||
        (t->tls_ca ? SSL_CTX_load_verify_locations(c->ctx, t->tls_ca, NULL)
                   : SSL_CTX_set_default_verify_paths(c->ctx)) != 1) {
        snprintf(err, errlen, "cannot use the CA file %s: %s",
                 t->tls_ca ? t->tls_ca : "(the system's)", tls_reason());
        return -1;
    }
    SSL_CTX_set_verify(c->ctx, SSL_VERIFY_PEER, NULL);
    /* evhttp may close without close_notify; the reply's length is checked by http.c. */
    SSL_CTX_set_options(c->ctx, SSL_OP_IGNORE_UNEXPECTED_EOF);
    c->ssl = SSL_new(c->ctx);
    if (!c->ssl || expect_host(c->ssl, t->host) < 0 || SSL_set_fd(c->ssl, c->fd) != 1 ||
        SSL_connect(c->ssl) != 1) {
        long v = c->ssl ? SSL_get_verify_result(c->ssl) : X509_V_OK;
        snprintf(err, errlen, "TLS handshake with %s:%s failed: %s", t->host, t->port,
                 v != X509_V_OK ? X509_verify_cert_error_string(v) : tls_reason());
        return -1;
    }
    return 0;
}

int conn_open(conn *c, const admin_target *t, char *err, size_t errlen)
{
    char name[1100];
    memset(c, 0, sizeof *c);
    c->fd = t->port ? connect_tcp(t->host, t->port) : connect_unix(t->socket);
    if (c->fd < 0) {
        snprintf(err, errlen, "cannot connect to ferryd's %s: %s%s",
                 conn_name(t, name, sizeof name), strerror(errno),
                 !t->port && (errno == ENOENT || errno == ECONNREFUSED)
                     ? " (is ferryd running? -S PATH or FERRY_SOCKET names another socket)"
                     : "");
        return -1;
    }
    if (t->port && (t->tls || t->tls_ca) && start_tls(c, t, err, errlen) < 0) {
        conn_close(c);
        return -1;
    }
    return 0;
}

int conn_send(conn *c, const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = c->ssl ? SSL_write(c->ssl, buf, (int)len) : send(c->fd, buf, len, MSG_NOSIGNAL);
        if (n < 0 && !c->ssl && errno == EINTR)
            continue;
        if (n <= 0)
            return -1;
        buf += n;
        len -= (size_t)n;
    }
    return 0;
}

ssize_t conn_recv(conn *c, char *buf, size_t len)
{
    for (;;) {
        if (c->ssl) {
            int n = SSL_read(c->ssl, buf, (int)len);
            int e = n > 0 ? SSL_ERROR_NONE : SSL_get_error(c->ssl, n);
            return n > 0 ? n : e == SSL_ERROR_ZERO_RETURN ? 0 : -1;
        }
        ssize_t n = recv(c->fd, buf, len, 0);
        if (n >= 0 || errno != EINTR)
            return n;
    }
}

void conn_close(conn *c)
{
    if (c->ssl)
        SSL_shutdown(c->ssl);
    SSL_free(c->ssl);
    SSL_CTX_free(c->ctx);
    if (c->fd >= 0)
        close(c->fd);
    memset(c, 0, sizeof *c);
    c->fd = -1;
}

const char *conn_name(const admin_target *t, char *buf, size_t len)
{
    if (t->port)
        snprintf(buf, len, "admin port %s:%s%s", t->host, t->port,
                 t->tls || t->tls_ca ? " (TLS)" : "");
    else
        snprintf(buf, len, "admin socket %s", t->socket);
    return buf;
}
