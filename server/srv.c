/*
 * srv.c: creates the runtime backend servers from the configuration: resolves
 * each address once at start (so no worker ever blocks on DNS) and builds the
 * TLS context for servers with a tls group.
 */
#include "server/srv.h"

#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/tls.h"

static ferry_server *g_servers;
static size_t g_nservers;

static int resolve(ferry_server *s, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_ADDRCONFIG};
    struct addrinfo *res = NULL;
    char port[16];
    snprintf(port, sizeof(port), "%d", s->port);
    int rc = getaddrinfo(s->address, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "server '%s': cannot resolve '%s': %s", s->name, s->address,
                 gai_strerror(rc));
        return -1;
    }
    memcpy(&s->addr, res->ai_addr, res->ai_addrlen);
    s->addr_len = res->ai_addrlen;
    freeaddrinfo(res);
    return 0;
}

int srv_init_all(const ferry_config *cfg, char *err, size_t errlen)
{
    g_servers = calloc(cfg->nservers ? cfg->nservers : 1, sizeof(*g_servers));
    if (!g_servers) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->nservers; i++) {
        const cfg_object *o = &cfg->servers[i];
        ferry_server *s = &g_servers[i];
        s->index = (int)i;
        s->name = o->name;
        s->address = cfg_str(o, "address");
        s->port = (int)cfg_int(o, "port");
        s->priority = (int)cfg_int(o, "priority");
        s->cfg = o;
        g_nservers = i + 1;
        if (resolve(s, err, errlen) < 0)
            return -1;
        const cfg_object *tls = cfg_group(o, "tls");
        if (tls && !(s->tls = tls_client_ctx(tls, err, errlen)))
            return -1;
    }
    return 0;
}

void srv_free_all(void)
{
    for (size_t i = 0; i < g_nservers; i++)
        if (g_servers[i].tls)
            SSL_CTX_free(g_servers[i].tls);
    free(g_servers);
    g_servers = NULL;
    g_nservers = 0;
}

ferry_server *srv_find(const char *name)
{
    for (size_t i = 0; i < g_nservers; i++)
        if (strcmp(g_servers[i].name, name) == 0)
            return &g_servers[i];
    return NULL;
}

size_t srv_count(void)
{
    return g_nservers;
}

ferry_server *srv_at(size_t i)
{
    return &g_servers[i];
}
