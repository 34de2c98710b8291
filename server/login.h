/*
 * login.h: the connection phase of a client session (login.c): Ferry's
 * greeting, the SSL_REQUEST upgrade, the switch to mysql_native_password,
 * and the check of the client's answer against the service's accounts,
 * which also recovers SHA1(password) for the backend logins. Also the
 * COM_CHANGE_USER check. Internal to the core: session.c and routers call it.
 */
#ifndef FERRY_SERVER_LOGIN_H
#define FERRY_SERVER_LOGIN_H

#include "protocol/buf.h"
#include "server/session.h"

/* Sends the greeting (called by session_accept). */
void login_start(session *s);
/* Client bytes arrived before the router owns the session. */
void login_readable(session *s);
/*
 * Checks a COM_CHANGE_USER payload against the current accounts. On success
 * updates s->creds and returns 0; otherwise fills err with an ERR payload
 * and returns -1. The client's answer is checked against the session's
 * original scramble, as MariaDB does.
 */
int login_change_user(session *s, const uint8_t *payload, size_t len, proto_buf *err);

/* Provided by session.c for login.c. */
void session_start_tls(session *s);
void session_start_compression(session *s);
/* Returns false when the session was closed meanwhile (and is now freed). */
bool session_users_ready(session *s);

#endif
