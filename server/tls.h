/*
 * tls.h: OpenSSL contexts for listeners (Ferry as TLS server) and for
 * backend servers (Ferry as TLS client), built from a config tls group.
 */
#ifndef FERRY_SERVER_TLS_H
#define FERRY_SERVER_TLS_H

#include <openssl/ssl.h>
#include <stddef.h>

#include "server/config.h"

/* Listener: cert, key, optional ca (then client certificates are verified if sent). */
SSL_CTX *tls_server_ctx(const cfg_object *tls, char *err, size_t errlen);
/* Backend: optional ca, cert, key; verify_peer checks the server certificate against ca. */
SSL_CTX *tls_client_ctx(const cfg_object *tls, char *err, size_t errlen);
/* The first OpenSSL error on this thread's queue as text (and clears the queue). */
const char *tls_error_text(char *buf, size_t len);

#endif
