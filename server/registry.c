/*
 * registry.c: the tables of routers and monitors that server/modules.c registers at start
 * (single-threaded, before the configuration is loaded). config.c resolves a service's
 * "router" and a monitor's "module" here, and walks both lists for the parameter reference.
 */
#include "server/registry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define REGISTRY_MAX 16

typedef struct registry {
    const char *what;
    const void *ops[REGISTRY_MAX]; /* router_ops or monitor_ops: both begin with the name */
    size_t n;
} registry;

static registry routers = {.what = "router"};
static registry monitors = {.what = "monitor"};

/* Both ops structs start with `const char *name`, so a pointer to one points to its name. */
static const char *ops_name(const void *ops)
{
    return *(const char *const *)ops;
}

static const void *reg_find(const registry *r, const char *name)
{
    for (size_t i = 0; i < r->n; i++)
        if (strcmp(ops_name(r->ops[i]), name) == 0)
            return r->ops[i];
    return NULL;
}

static void reg_add(registry *r, const void *ops)
{
    if (r->n == REGISTRY_MAX || reg_find(r, ops_name(ops))) {
        fprintf(stderr, "ferry: cannot register %s '%s': %s\n", r->what, ops_name(ops),
                r->n == REGISTRY_MAX ? "registry full" : "already registered");
        abort();
    }
    r->ops[r->n++] = ops;
}

static const void *reg_at(const registry *r, size_t i)
{
    return i < r->n ? r->ops[i] : NULL;
}

void registry_add_router(const router_ops *ops)
{
    reg_add(&routers, ops);
}

void registry_add_monitor(const monitor_ops *ops)
{
    reg_add(&monitors, ops);
}

const router_ops *registry_router(const char *name)
{
    return reg_find(&routers, name);
}

const monitor_ops *registry_monitor(const char *name)
{
    return reg_find(&monitors, name);
}

const router_ops *registry_router_at(size_t i)
{
    return reg_at(&routers, i);
}

const monitor_ops *registry_monitor_at(size_t i)
{
    return reg_at(&monitors, i);
}
