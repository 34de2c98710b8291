/*
 * listener.c: binds the configured listeners on the main thread's event base
 * and deals accepted sockets to the workers in turn.
 */
#include "server/listener.h"

#include <errno.h>
#include <event2/listener.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/log.h"
#include "server/service.h"
#include "server/session.h"
#include "server/tls.h"
#include "server/worker.h"

static listener *g_listeners;
static size_t g_nlisteners;

typedef struct accepted {
    evutil_socket_t fd;
    listener *lst;
    struct sockaddr_storage addr;
    int addrlen;
} accepted;

static void take_on_worker(worker *w, void *arg)
{
    accepted *a = arg;
    session_accept(w, a->fd, a->lst, (struct sockaddr *)&a->addr, a->addrlen);
    free(a);
}

static void on_accept(struct evconnlistener *evl, evutil_socket_t fd, struct sockaddr *addr,
                      int addrlen, void *arg)
{
    static unsigned next;
    accepted *a = malloc(sizeof(*a));
    if (!a) {
        evutil_closesocket(fd);
        return;
    }
    a->fd = fd;
    a->lst = arg;
    memcpy(&a->addr, addr, (size_t)addrlen);
    a->addrlen = addrlen;
    worker_post(worker_at((int)(next++ % (unsigned)workers_count())), take_on_worker, a);
}

static void on_accept_error(struct evconnlistener *evl, void *arg)
{
    listener *l = arg;
    int err = EVUTIL_SOCKET_ERROR();
    log_error("listener '%s': accept failed: %s", l->name, evutil_socket_error_to_string(err));
}

static int bind_one(listener *l, struct event_base *base, char *err, size_t errlen)
{
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE};
    struct addrinfo *res = NULL;
    char port[16];
    const char *address = cfg_str(l->cfg, "address");
    snprintf(port, sizeof(port), "%d", (int)cfg_int(l->cfg, "port"));
    int rc = getaddrinfo(address, port, &hints, &res);
    if (rc != 0) {
        snprintf(err, errlen, "listener '%s': cannot resolve '%s': %s", l->name, address,
                 gai_strerror(rc));
        return -1;
    }
    l->evl = evconnlistener_new_bind(
        base, on_accept, l, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_REUSEABLE | LEV_OPT_CLOSE_ON_EXEC, 1024,
        res->ai_addr, (int)res->ai_addrlen);
    freeaddrinfo(res);
    if (!l->evl) {
        snprintf(err, errlen, "listener '%s': cannot listen on %s:%s: %s", l->name, address, port,
                 strerror(errno));
        return -1;
    }
    evconnlistener_set_error_cb(l->evl, on_accept_error);
    log_notice("listener '%s' (service '%s') listening on %s:%s%s", l->name, l->svc->name, address,
               port, l->tls ? (l->tls_required ? " (TLS required)" : " (TLS)") : "");
    return 0;
}

int listeners_open(const ferry_config *cfg, struct event_base *base, char *err, size_t errlen)
{
    g_listeners = calloc(cfg->nlisteners ? cfg->nlisteners : 1, sizeof(*g_listeners));
    if (!g_listeners) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->nlisteners; i++) {
        listener *l = &g_listeners[i];
        l->cfg = &cfg->listeners[i];
        l->name = l->cfg->name;
        l->svc = service_find(cfg_str(l->cfg, "service"));
        g_nlisteners = i + 1;
        const cfg_object *tls = cfg_group(l->cfg, "tls");
        char why[512];
        if (tls && !(l->tls = tls_server_ctx(tls, why, sizeof(why)))) {
            snprintf(err, errlen, "listener '%s': %s", l->name, why);
            return -1;
        }
        l->tls_required = tls && cfg_bool(tls, "required");
        if (bind_one(l, base, err, errlen) < 0)
            return -1;
    }
    return 0;
}

listener *listener_at(size_t i)
{
    return g_listeners && i < g_nlisteners ? &g_listeners[i] : NULL;
}

void listeners_disable(void)
{
    for (size_t i = 0; i < g_nlisteners; i++)
        if (g_listeners[i].evl)
            evconnlistener_disable(g_listeners[i].evl);
}

void listeners_free(void)
{
    for (size_t i = 0; i < g_nlisteners; i++) {
        if (g_listeners[i].evl)
            evconnlistener_free(g_listeners[i].evl);
        if (g_listeners[i].tls)
            SSL_CTX_free(g_listeners[i].tls);
    }
    free(g_listeners);
    g_listeners = NULL;
    g_nlisteners = 0;
}
