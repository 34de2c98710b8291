/*
 * basic_auth.c: the Authorization header of HTTP Basic authentication (see
 * basic_auth.h). Decoded credentials are wiped before their buffer is freed.
 */
#include "server/basic_auth.h"

#include <openssl/crypto.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "server/base64.h"

static int split(const char *plain, size_t len, char *user, char *password)
{
    const char *colon = memchr(plain, ':', len);
    if (!colon || memchr(plain, '\0', len))
        return -1;
    size_t ulen = (size_t)(colon - plain), plen = len - ulen - 1;
    if (ulen == 0 || ulen >= BASIC_USER_MAX || plen >= BASIC_PASSWORD_MAX)
        return -1;
    memcpy(user, plain, ulen);
    user[ulen] = '\0';
    memcpy(password, colon + 1, plen);
    password[plen] = '\0';
    return 0;
}

int basic_auth_parse(const char *header, char user[BASIC_USER_MAX],
                     char password[BASIC_PASSWORD_MAX])
{
    if (!header || strncasecmp(header, "Basic ", 6) != 0)
        return -1;
    const char *text = header + 6 + strspn(header + 6, " ");
    size_t len = strcspn(text, " \t");
    if (text[len + strspn(text + len, " \t")] != '\0')
        return -1;
    uint8_t *plain;
    int n = base64_decode(text, len, &plain);
    int rc = n > 0 ? split((const char *)plain, (size_t)n, user, password) : -1;
    if (plain)
        OPENSSL_cleanse(plain, (size_t)n);
    free(plain);
    return rc;
}

char *basic_auth_header(const char *user, const char *password)
{
    char *plain = NULL, *text = NULL, *out = NULL;
    int n = asprintf(&plain, "%s:%s", user, password);
    if (n < 0)
        return NULL;
    text = base64_encode((const uint8_t *)plain, (size_t)n);
    OPENSSL_cleanse(plain, (size_t)n);
    free(plain);
    if (text && asprintf(&out, "Basic %s", text) < 0)
        out = NULL;
    if (text)
        OPENSSL_cleanse(text, strlen(text));
    free(text);
    return out;
}
