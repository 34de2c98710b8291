/*
 * auth.c: mysql_native_password. Computes client answers, checks them against
 * the stored SHA1(SHA1(password)) and recovers SHA1(password) so Ferry can
 * answer a backend's scramble on the client's behalf. Used by the session's
 * authentication and by backend connections.
 */
#include "protocol/auth.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

void proto_scramble_new(uint8_t out[PROTO_SCRAMBLE_LEN])
{
    if (RAND_bytes(out, PROTO_SCRAMBLE_LEN) != 1) {
        fprintf(stderr, "ferry: RAND_bytes failed; cannot make a scramble\n");
        abort();
    }
    /* Map into 33..126 without '$' (93 values): no NUL, no space, no '$'. */
    for (size_t i = 0; i < PROTO_SCRAMBLE_LEN; i++) {
        uint8_t c = (uint8_t)(33 + out[i] % 93);
        out[i] = c >= '$' ? (uint8_t)(c + 1) : c;
    }
}

/* SHA1(scramble . hash): the mask a native-password answer is XORed with. */
static void native_mask(const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                        const uint8_t hash[PROTO_SHA1_LEN], uint8_t mask[PROTO_SHA1_LEN])
{
    uint8_t both[PROTO_SCRAMBLE_LEN + PROTO_SHA1_LEN];
    memcpy(both, scramble, PROTO_SCRAMBLE_LEN);
    memcpy(both + PROTO_SCRAMBLE_LEN, hash, PROTO_SHA1_LEN);
    SHA1(both, sizeof both, mask);
}

static void xor20(uint8_t *out, const uint8_t *a, const uint8_t *b)
{
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++)
        out[i] = a[i] ^ b[i];
}

void proto_native_reply(const uint8_t sha1_pw[PROTO_SHA1_LEN],
                        const uint8_t scramble[PROTO_SCRAMBLE_LEN], uint8_t out[PROTO_SHA1_LEN])
{
    uint8_t stored[PROTO_SHA1_LEN], mask[PROTO_SHA1_LEN];
    SHA1(sha1_pw, PROTO_SHA1_LEN, stored);
    native_mask(scramble, stored, mask);
    xor20(out, sha1_pw, mask);
    OPENSSL_cleanse(mask, sizeof mask);
}

void proto_native_reply_from_password(const char *password,
                                      const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                                      uint8_t out[PROTO_SHA1_LEN], size_t *out_len)
{
    *out_len = 0;
    if (!password || !*password)
        return;
    uint8_t sha1_pw[PROTO_SHA1_LEN];
    SHA1((const unsigned char *)password, strlen(password), sha1_pw);
    proto_native_reply(sha1_pw, scramble, out);
    OPENSSL_cleanse(sha1_pw, sizeof sha1_pw);
    *out_len = PROTO_SHA1_LEN;
}

/*
 * reply = SHA1(pw) XOR SHA1(scramble . stored), so XORing the mask back off
 * gives a candidate SHA1(pw), which is right iff its SHA1 is the stored hash.
 * Empty answers (empty-password accounts) are the caller's business: any
 * length but 20 fails here.
 */
bool proto_native_check(const uint8_t *reply, size_t reply_len,
                        const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                        const uint8_t stored[PROTO_SHA1_LEN], uint8_t sha1_pw[PROTO_SHA1_LEN])
{
    if (!reply || reply_len != PROTO_SHA1_LEN)
        return false;
    uint8_t mask[PROTO_SHA1_LEN], candidate[PROTO_SHA1_LEN], check[PROTO_SHA1_LEN];
    native_mask(scramble, stored, mask);
    xor20(candidate, reply, mask);
    SHA1(candidate, PROTO_SHA1_LEN, check);
    bool ok = CRYPTO_memcmp(check, stored, PROTO_SHA1_LEN) == 0;
    if (ok)
        memcpy(sha1_pw, candidate, PROTO_SHA1_LEN);
    OPENSSL_cleanse(candidate, sizeof candidate);
    return ok;
}

static int hex_value(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

bool proto_native_hash_parse(const char *text, uint8_t out[PROTO_SHA1_LEN])
{
    if (!text || text[0] != '*' || strlen(text) != 1 + 2 * PROTO_SHA1_LEN)
        return false;
    uint8_t tmp[PROTO_SHA1_LEN];
    for (size_t i = 0; i < PROTO_SHA1_LEN; i++) {
        int hi = hex_value(text[1 + 2 * i]), lo = hex_value(text[2 + 2 * i]);
        if (hi < 0 || lo < 0)
            return false;
        tmp[i] = (uint8_t)(hi << 4 | lo);
    }
    memcpy(out, tmp, PROTO_SHA1_LEN);
    return true;
}
