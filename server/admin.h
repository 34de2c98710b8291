/*
 * admin.h: the admin API (HTTP/1.1 + JSON) that ferryctl talks to, and the
 * Prometheus endpoint. ferryd's main starts it on the main thread's event
 * base once workers and listeners run, and stops it after the workers.
 */
#ifndef FERRY_SERVER_ADMIN_H
#define FERRY_SERVER_ADMIN_H

#include <event2/event.h>
#include <stddef.h>

#include "server/config.h"

/* Opens ferry.admin_socket (unless ""), ferry.admin_port and ferry.metrics_port
 * (unless 0) on base. 0 or -1 with err. */
int admin_start(ferry_config *cfg, struct event_base *base, char *err, size_t errlen);
/* Drops pending requests, closes the sockets and removes the socket file. */
void admin_stop(void);

#endif
