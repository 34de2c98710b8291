/*
 * service.c: creates the runtime services from the configuration and lets
 * each one's router check its own parameters.
 */
#include "server/service.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static service *g_services;
static size_t g_nservices;

static int monitor_index(const ferry_config *cfg, const char *name)
{
    for (size_t i = 0; i < cfg->nmonitors; i++)
        if (strcmp(cfg->monitors[i].name, name) == 0)
            return (int)i;
    return -1;
}

int services_init(const ferry_config *cfg, char *err, size_t errlen)
{
    g_services = calloc(cfg->nservices ? cfg->nservices : 1, sizeof(*g_services));
    if (!g_services) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    for (size_t i = 0; i < cfg->nservices; i++) {
        const cfg_object *o = &cfg->services[i];
        service *svc = &g_services[i];
        svc->index = (int)i;
        svc->name = o->name;
        svc->cfg = o;
        svc->router = registry_router(cfg_str(o, "router"));
        svc->cluster = cfg_str(o, "cluster");
        svc->global = &cfg->global;
        svc->monitor_index = monitor_index(cfg, svc->cluster);
        g_nservices = i + 1;
        char why[512] = "";
        if (svc->router->service_init && svc->router->service_init(svc, why, sizeof(why)) < 0) {
            snprintf(err, errlen, "%s:%d: service '%s': %s", cfg->path, o->line, svc->name, why);
            return -1;
        }
    }
    return 0;
}

void services_stop(void)
{
    for (size_t i = 0; i < g_nservices; i++)
        if (g_services[i].router->service_stop)
            g_services[i].router->service_stop(&g_services[i]);
}

void services_free(void)
{
    for (size_t i = 0; i < g_nservices; i++)
        if (g_services[i].router->service_free)
            g_services[i].router->service_free(&g_services[i]);
    free(g_services);
    g_services = NULL;
    g_nservices = 0;
}

service *service_find(const char *name)
{
    for (size_t i = 0; i < g_nservices; i++)
        if (strcmp(g_services[i].name, name) == 0)
            return &g_services[i];
    return NULL;
}

size_t services_count(void)
{
    return g_nservices;
}

service *service_at(size_t i)
{
    return &g_services[i];
}
