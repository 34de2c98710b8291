/*
 * basic_auth.h: HTTP Basic credentials (RFC 7617): the TCP admin listener
 * parses the Authorization header, ferryctl builds it.
 */
#ifndef FERRY_SERVER_BASIC_AUTH_H
#define FERRY_SERVER_BASIC_AUTH_H

#include <stddef.h>

#define BASIC_USER_MAX     256
#define BASIC_PASSWORD_MAX 1024

/* Parses "Basic BASE64(user:password)" into NUL-terminated user and password
 * (sizes BASIC_USER_MAX and BASIC_PASSWORD_MAX). 0, or -1 for anything else
 * (another scheme, bad Base64, no ':', a NUL byte, too long). */
int basic_auth_parse(const char *header, char user[BASIC_USER_MAX],
                     char password[BASIC_PASSWORD_MAX]);
/* The header value for user and password (malloc'd), or NULL. */
char *basic_auth_header(const char *user, const char *password);

#endif
