/*
 * blr_status.h: the binlog relay's diagnostics and metrics (blr_status.c),
 * the router_ops.diagnostics and router_ops.metrics of binlogrouter.
 */
#ifndef FERRY_ROUTER_BLR_STATUS_H
#define FERRY_ROUTER_BLR_STATUS_H

#include "router/blr.h"

struct json_t *blr_diagnostics(service *svc);
size_t blr_metrics(service *svc, router_metric *out, size_t max);

#endif
