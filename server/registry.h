/*
 * registry.h: where the core finds routers and monitors. Each module exposes
 * one table of function pointers; server/modules.c registers them all at
 * start, so adding a module touches no other file but that one.
 */
#ifndef FERRY_SERVER_REGISTRY_H
#define FERRY_SERVER_REGISTRY_H

#include <stdbool.h>

#include "server/config.h"

struct session;
struct service;
struct monitor;
struct json_t;

/* At most this many samples per service (a binlog relay adds one per GTID
 * domain, up to GTID_POS_MAX = 256, besides its own). */
#define ROUTER_METRICS_MAX 320

/* One sample a router adds to GET /metrics; the core adds the service label
 * and prints each family once. */
typedef struct router_metric {
    const char *name; /* ferry_... */
    const char *help;
    bool counter;      /* else a gauge */
    const char *label; /* an extra label's name, or NULL */
    char label_value[32];
    double value;
} router_metric;

typedef struct router_ops {
    const char *name;
    const cfg_param *params; /* service parameters this router adds */
    /* Checks what the router's parameters mean, at config load (ferryd --check);
     * 0, or -1 with err ("parameter 'x': ..."). May be NULL. */
    int (*check)(const cfg_object *o, char *err, size_t errlen);
    /* Validates the service's router parameters and sets svc->router_data. */
    int (*service_init)(struct service *svc, char *err, size_t errlen);
    /* Stops the service's background threads (shutdown, before monitors stop). */
    void (*service_stop)(struct service *svc);
    void (*service_free)(struct service *svc);
    /* The client is authenticated: the router takes over the session. It must
     * eventually call session_login_done (with or without an error). */
    void (*session_start)(struct session *s);
    /* Client bytes are waiting in session_input(s) (after TLS and decompression). */
    void (*client_readable)(struct session *s);
    /* The client's output has drained below the low-water mark (see session.h). */
    void (*client_drained)(struct session *s);
    /* The cluster view of the service's monitor has changed. */
    void (*snapshot_changed)(struct session *s);
    /* The session is going away: release router state (backends included). */
    void (*session_end)(struct session *s);
    /* For GET /v1/services/NAME: what the router knows (a new JSON object).
     * Any thread; may be NULL. */
    struct json_t *(*diagnostics)(struct service *svc);
    /* For GET /metrics: fills up to max samples, returns how many. Any
     * thread; may be NULL. */
    size_t (*metrics)(struct service *svc, router_metric *out, size_t max);
} router_ops;

typedef struct monitor_ops {
    const char *name;
    const cfg_param *params; /* monitor parameters this module adds */
    /* Creates module state from the monitor's config (runs on the main thread). */
    int (*init)(struct monitor *m, char *err, size_t errlen);
    /* One poll of every server and the verdict; runs on the monitor's thread. */
    void (*tick)(struct monitor *m);
    void (*free)(struct monitor *m);
    /* The module's election honours monitor_preferred (a switchover target). */
    bool switchover;
} monitor_ops;

void registry_add_router(const router_ops *ops);
void registry_add_monitor(const monitor_ops *ops);
const router_ops *registry_router(const char *name);
const monitor_ops *registry_monitor(const char *name);
/* Iteration, for the configuration reference. NULL past the end. */
const router_ops *registry_router_at(size_t i);
const monitor_ops *registry_monitor_at(size_t i);

/* Registers every built-in module (server/modules.c). */
void modules_register_all(void);

#endif
