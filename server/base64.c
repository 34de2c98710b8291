/*
 * base64.c: Base64 text to bytes and back (see base64.h). Decoding refuses
 * what EVP_DecodeBlock would quietly accept: whitespace and lengths that are
 * not a multiple of 4.
 */
#include "server/base64.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#define ALPHABET "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"

char *base64_encode(const uint8_t *raw, size_t len)
{
    char *out = malloc(4 * ((len + 2) / 3) + 1);
    if (out)
        EVP_EncodeBlock((unsigned char *)out, raw, (int)len);
    return out;
}

/* Only alphabet characters, then at most two '=' at the very end. */
static int well_formed(const char *text, size_t len)
{
    size_t body = 0;
    while (body < len && text[body] && strchr(ALPHABET, text[body]))
        body++;
    size_t pad = len - body;
    if (pad > 2 || len == 0 || len % 4 != 0)
        return 0;
    for (size_t i = body; i < len; i++)
        if (text[i] != '=')
            return 0;
    return 1;
}

int base64_decode(const char *text, size_t len, uint8_t **out)
{
    *out = NULL;
    if (len > (size_t)1 << 20 || !well_formed(text, len))
        return -1;
    *out = malloc(len / 4 * 3 + 1);
    int n = *out ? EVP_DecodeBlock(*out, (const unsigned char *)text, (int)len) : -1;
    if (n < 0) {
        free(*out);
        *out = NULL;
        return -1;
    }
    n -= (text[len - 1] == '=') + (text[len - 2] == '=');
    (*out)[n] = '\0';
    return n;
}
