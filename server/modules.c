/*
 * modules.c: the one file that knows every built-in router and monitor.
 * Adding a module means adding its table here and nothing else in the core.
 */
#include <stdbool.h>

#include "server/registry.h"

extern const router_ops READCONNROUTE_OPS;
extern const router_ops BINLOGROUTER_OPS;
extern const monitor_ops MARIADBMON_OPS;
extern const monitor_ops GALERAMON_OPS;

void modules_register_all(void)
{
    static bool done;
    if (done)
        return;
    done = true;
    registry_add_router(&READCONNROUTE_OPS);
    registry_add_router(&BINLOGROUTER_OPS);
    registry_add_monitor(&MARIADBMON_OPS);
    registry_add_monitor(&GALERAMON_OPS);
}
