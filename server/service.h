/*
 * service.h: services as runtime objects. A service ties a router to a
 * cluster (the monitor named by "cluster") and owns the cache of backend
 * user accounts its clients log in with.
 */
#ifndef FERRY_SERVER_SERVICE_H
#define FERRY_SERVER_SERVICE_H

#include <stdatomic.h>

#include "server/config.h"
#include "server/registry.h"
#include "server/traffic.h"

struct users_cache;

typedef struct service {
    int index;
    const char *name;
    const cfg_object *cfg;
    const router_ops *router;
    void *router_data;
    int monitor_index;        /* index of the cluster's monitor in config order */
    const char *cluster;      /* the monitor's name */
    const cfg_object *global; /* the "ferry" group (datadir, ...) */
    struct users_cache *users;
    atomic_uint_fast64_t total_sessions; /* accepted since start */
    traffic ended;                       /* client bytes of the sessions that have ended */
} service;

/* Creates every service (router init included). 0 or -1 with err. */
int services_init(const ferry_config *cfg, char *err, size_t errlen);
/* Stops the routers' background threads; then services_free releases all. */
void services_stop(void);
void services_free(void);
service *service_find(const char *name);
size_t services_count(void);
service *service_at(size_t i);

#endif
