/*
 * tls.c: builds OpenSSL contexts from the tls groups of listeners and
 * servers. Errors name the file that could not be loaded and OpenSSL's reason.
 */
#include "server/tls.h"

#include <openssl/err.h>
#include <stdio.h>

const char *tls_error_text(char *buf, size_t len)
{
    unsigned long e = ERR_get_error();
    if (e == 0)
        snprintf(buf, len, "unknown TLS error");
    else
        ERR_error_string_n(e, buf, len);
    ERR_clear_error();
    return buf;
}

static int load_files(SSL_CTX *ctx, const cfg_object *tls, char *err, size_t errlen)
{
    char why[256];
    const char *cert = cfg_str(tls, "cert"), *key = cfg_str(tls, "key"), *ca = cfg_str(tls, "ca");
    if (cert && SSL_CTX_use_certificate_chain_file(ctx, cert) != 1) {
        snprintf(err, errlen, "cannot load certificate '%s': %s", cert,
                 tls_error_text(why, sizeof(why)));
        return -1;
    }
    if (key && SSL_CTX_use_PrivateKey_file(ctx, key, SSL_FILETYPE_PEM) != 1) {
        snprintf(err, errlen, "cannot load key '%s': %s", key, tls_error_text(why, sizeof(why)));
        return -1;
    }
    if (ca && SSL_CTX_load_verify_locations(ctx, ca, NULL) != 1) {
        snprintf(err, errlen, "cannot load CA '%s': %s", ca, tls_error_text(why, sizeof(why)));
        return -1;
    }
    return 0;
}

static SSL_CTX *make_ctx(const SSL_METHOD *method, const cfg_object *tls, char *err, size_t errlen)
{
    SSL_CTX *ctx = SSL_CTX_new(method);
    if (!ctx) {
        snprintf(err, errlen, "cannot create TLS context");
        return NULL;
    }
    SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
    if (load_files(ctx, tls, err, errlen) < 0) {
        SSL_CTX_free(ctx);
        return NULL;
    }
    return ctx;
}

SSL_CTX *tls_server_ctx(const cfg_object *tls, char *err, size_t errlen)
{
    SSL_CTX *ctx = make_ctx(TLS_server_method(), tls, err, errlen);
    if (ctx && cfg_str(tls, "ca"))
        SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, NULL);
    return ctx;
}

SSL_CTX *tls_client_ctx(const cfg_object *tls, char *err, size_t errlen)
{
    SSL_CTX *ctx = make_ctx(TLS_client_method(), tls, err, errlen);
    if (ctx)
        SSL_CTX_set_verify(ctx, cfg_bool(tls, "verify_peer") ? SSL_VERIFY_PEER : SSL_VERIFY_NONE,
                           NULL);
    return ctx;
}
