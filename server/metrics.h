/*
 * metrics.h: GET /metrics in the Prometheus text format (version 0.0.4), on
 * the admin socket and on the optional ferry.metrics_port. Rendered on the
 * main thread from the servers, the monitors' latest snapshots, the sessions
 * collected from the workers, and /proc/self.
 */
#ifndef FERRY_SERVER_METRICS_H
#define FERRY_SERVER_METRICS_H

#include <stdio.h>

#include "server/admin_api.h"

/* Writes every metric family to out. */
void metrics_render(FILE *out, const admin_sessions *all);
/* A label value escaped for the text format (\\, \", \n). */
void metrics_escape(char *out, size_t outlen, const char *value);

#endif
