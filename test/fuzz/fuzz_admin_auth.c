/*
 * fuzz_admin_auth.c: libFuzzer target for what a client or a config file
 * feeds the TCP admin listener's authentication: the Authorization header
 * (basic_auth_parse) and a stored password hash (pwhash_parse). Parsed
 * credentials are checked for termination; a parsed hash is checked for
 * sane fields (no verification: PBKDF2 would only slow the fuzzer down).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "server/basic_auth.h"
#include "server/pwhash.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *text = malloc(size + 1);
    if (!text)
        return 0;
    memcpy(text, data, size);
    text[size] = '\0';
    char user[BASIC_USER_MAX], password[BASIC_PASSWORD_MAX], err[256];
    if (basic_auth_parse(text, user, password) == 0 &&
        (strlen(user) >= sizeof user || strlen(password) >= sizeof password))
        abort();
    pwhash h;
    if (pwhash_parse(text, &h, err, sizeof err) == 0 &&
        (h.salt_len < PWHASH_SALT_MIN || h.salt_len > PWHASH_SALT_MAX ||
         h.iterations < PWHASH_ITER_MIN || h.iterations > PWHASH_ITER_MAX))
        abort();
    free(text);
    return 0;
}
