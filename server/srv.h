/*
 * srv.h: the backend servers of the configuration, as runtime objects. They
 * are created once at start and never change, so any thread may read them;
 * the only mutable fields, the counters, are atomic.
 */
#ifndef FERRY_SERVER_SRV_H
#define FERRY_SERVER_SRV_H

#include <netinet/in.h>
#include <openssl/ssl.h>
#include <stdatomic.h>
#include <sys/socket.h>

#include "server/config.h"

typedef struct ferry_server {
    int index; /* config order */
    const char *name;
    const char *address;
    int port;
    int priority;
    struct sockaddr_storage addr;
    socklen_t addr_len;
    SSL_CTX *tls; /* TLS to the backend, or NULL */
    const cfg_object *cfg;
    atomic_int connections;       /* current client sessions routed here */
    atomic_uint_fast64_t queries; /* client commands routed here */
    atomic_uint_fast64_t errors;  /* failed backend logins and connections lost mid-session */
} ferry_server;

/* Creates every server from the config (resolving addresses). 0 or -1 with err. */
int srv_init_all(const ferry_config *cfg, char *err, size_t errlen);
void srv_free_all(void);
ferry_server *srv_find(const char *name);
size_t srv_count(void);
ferry_server *srv_at(size_t i);

#endif
