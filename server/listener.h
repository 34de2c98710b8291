/*
 * listener.h: the configured listeners. The main thread accepts connections
 * and hands each socket to a worker in turn; the session lives there.
 */
#ifndef FERRY_SERVER_LISTENER_H
#define FERRY_SERVER_LISTENER_H

#include <event2/event.h>
#include <openssl/ssl.h>
#include <stdbool.h>

#include "server/config.h"
#include "server/traffic.h"

struct service;

typedef struct listener {
    const char *name;
    const cfg_object *cfg;
    struct service *svc;
    SSL_CTX *tls;      /* NULL: plaintext only */
    bool tls_required; /* refuse logins that did not upgrade */
    struct evconnlistener *evl;
    traffic ended; /* client bytes of the sessions that have ended */
} listener;

/* Creates and binds every listener on base (the main thread's). 0 or -1 with err. */
int listeners_open(const ferry_config *cfg, struct event_base *base, char *err, size_t errlen);
/* The listener of cfg->listeners[i], or NULL before listeners_open. */
listener *listener_at(size_t i);
/* Stops accepting (existing sessions go on). */
void listeners_disable(void);
void listeners_free(void);

#endif
