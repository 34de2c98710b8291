/*
 * pwhash.h: salted slow password hashes for the admin API's users
 * (ferry.admin_users): PBKDF2-HMAC-SHA256 stored as
 * "pbkdf2-sha256$ITERATIONS$SALT$HASH" (salt and hash in Base64). ferryctl
 * hash-password makes them, config_load checks their form and the TCP admin
 * listener verifies passwords against them.
 */
#ifndef FERRY_SERVER_PWHASH_H
#define FERRY_SERVER_PWHASH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PWHASH_SCHEME "pbkdf2-sha256"
/* A few milliseconds of one core: the main loop verifies while it waits. */
#define PWHASH_ITERATIONS 20000
#define PWHASH_ITER_MIN   1000
#define PWHASH_ITER_MAX   100000
#define PWHASH_SALT_LEN   16
#define PWHASH_SALT_MIN   8
#define PWHASH_SALT_MAX   64
#define PWHASH_LEN        32

typedef struct pwhash {
    unsigned iterations;
    uint8_t salt[PWHASH_SALT_MAX];
    size_t salt_len;
    uint8_t hash[PWHASH_LEN];
} pwhash;

/* Parses a stored hash. 0, or -1 with err (which never repeats the text). */
int pwhash_parse(const char *text, pwhash *out, char *err, size_t errlen);
/* pwhash_parse for config_load: only says whether text is a valid hash. */
int pwhash_check(const char *text, char *err, size_t errlen);
/* A new hash of password with a random salt (malloc'd), or NULL. */
char *pwhash_make(const char *password, unsigned iterations);
/* True when password (len bytes) has hash h; compares in constant time. */
bool pwhash_verify(const pwhash *h, const char *password, size_t len);

#endif
