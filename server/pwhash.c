/*
 * pwhash.c: the "pbkdf2-sha256$ITER$SALT$HASH" password hashes (see
 * pwhash.h) on OpenSSL's PKCS5_PBKDF2_HMAC; verification compares with
 * CRYPTO_memcmp and wipes the derived key.
 */
#include "server/pwhash.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/base64.h"

#define FORM "expected a hash from ferryctl hash-password (" PWHASH_SCHEME "$ITERATIONS$SALT$HASH)"

static bool derive(const char *password, size_t len, const uint8_t *salt, size_t salt_len,
                   unsigned iterations, uint8_t out[PWHASH_LEN])
{
    return PKCS5_PBKDF2_HMAC(password, (int)len, salt, (int)salt_len, (int)iterations, EVP_sha256(),
                             PWHASH_LEN, out) == 1;
}

/* The Base64 field [text, text + len) into out (at most max bytes); its length or -1. */
static int field(const char *text, size_t len, uint8_t *out, size_t max)
{
    uint8_t *raw;
    int n = base64_decode(text, len, &raw);
    if (n >= 0 && (size_t)n <= max)
        memcpy(out, raw, (size_t)n);
    else
        n = -1;
    free(raw);
    return n;
}

static int parse_iterations(const char *p, const char **end, unsigned *out)
{
    char *stop;
    errno = 0;
    unsigned long n = *p >= '0' && *p <= '9' ? strtoul(p, &stop, 10) : 0;
    if (n == 0 || errno || *stop != '$')
        return -1;
    *end = stop + 1;
    *out = n > PWHASH_ITER_MAX ? PWHASH_ITER_MAX + 1 : (unsigned)n;
    return 0;
}

int pwhash_parse(const char *text, pwhash *out, char *err, size_t errlen)
{
    size_t scheme = strlen(PWHASH_SCHEME);
    const char *p;
    memset(out, 0, sizeof *out);
    if (strncmp(text, PWHASH_SCHEME "$", scheme + 1) != 0 ||
        parse_iterations(text + scheme + 1, &p, &out->iterations) < 0) {
        snprintf(err, errlen, "not a password hash (a plaintext password?): " FORM);
        return -1;
    }
    const char *sep = strchr(p, '$');
    int salt = sep ? field(p, (size_t)(sep - p), out->salt, sizeof out->salt) : -1;
    int hash = sep ? field(sep + 1, strlen(sep + 1), out->hash, sizeof out->hash) : -1;
    if (salt < PWHASH_SALT_MIN || hash != PWHASH_LEN) {
        snprintf(err, errlen, "malformed password hash: " FORM);
        return -1;
    }
    out->salt_len = (size_t)salt;
    if (out->iterations < PWHASH_ITER_MIN || out->iterations > PWHASH_ITER_MAX) {
        snprintf(err, errlen, "password hash iterations must be %d..%d", PWHASH_ITER_MIN,
                 PWHASH_ITER_MAX);
        return -1;
    }
    return 0;
}

int pwhash_check(const char *text, char *err, size_t errlen)
{
    pwhash h;
    return pwhash_parse(text, &h, err, errlen);
}

char *pwhash_make(const char *password, unsigned iterations)
{
    uint8_t salt[PWHASH_SALT_LEN], hash[PWHASH_LEN];
    if (RAND_bytes(salt, sizeof salt) != 1 ||
        !derive(password, strlen(password), salt, sizeof salt, iterations, hash))
        return NULL;
    char *salt_text = base64_encode(salt, sizeof salt),
         *hash_text = base64_encode(hash, sizeof hash);
    char *out = NULL;
    if (salt_text && hash_text &&
        asprintf(&out, PWHASH_SCHEME "$%u$%s$%s", iterations, salt_text, hash_text) < 0)
        out = NULL;
    free(salt_text);
    free(hash_text);
    OPENSSL_cleanse(hash, sizeof hash);
    return out;
}

bool pwhash_verify(const pwhash *h, const char *password, size_t len)
{
    uint8_t got[PWHASH_LEN];
    bool ok = derive(password, len, h->salt, h->salt_len, h->iterations, got) &&
              CRYPTO_memcmp(got, h->hash, PWHASH_LEN) == 0;
    OPENSSL_cleanse(got, sizeof got);
    return ok;
}
