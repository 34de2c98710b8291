/*
 * binlogrouter.c: the binlog relay's router table and service set-up. A
 * binlogrouter service opens its file store under <datadir>/<service>,
 * starts the upstream thread that follows its cluster's master, and serves
 * replicas that connect to its listeners (blr_reader.c, blr_sql.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "router/blr_status.h"
#include "router/blr.h"
#include "server/log.h"
#include "server/session.h"

static const cfg_param BLR_PARAMS[] = {
    {.name = "server_id",
     .type = CFG_INT,
     .required = true,
     .min = 1,
     .max = 4294967295LL,
     .help = "server_id the relay registers with upstream and writes in its own events"},
    {.name = "datadir",
     .type = CFG_STRING,
     .help = "Directory of the relay's binlog files (default: <ferry.datadir>/<service name>)"},
    {.name = "net_timeout",
     .type = CFG_INT,
     .def = "10",
     .min = 1,
     .max = 3600,
     .help = "Seconds without any event or heartbeat from upstream before the relay "
             "reconnects"},
    {.name = "heartbeat_period",
     .type = CFG_INT,
     .def = "2",
     .min = 1,
     .max = 3600,
     .help = "Heartbeat period (seconds) the relay asks of its upstream master"},
    {.name = "max_binlog_size",
     .type = CFG_INT,
     .def = "1073741824",
     .min = 4096,
     .max = 4294967295LL,
     .help = "A relay file is closed and a new one started past this size (bytes)"},
    {.name = "sync_binlog",
     .type = CFG_STRING,
     .def = "commit",
     .help = "\"commit\": fsync before a transaction is served (batched); \"<N>ms\": fsync "
             "every N ms; \"never\""},
    {.name = "expire_log_duration",
     .type = CFG_INT,
     .def = "0",
     .min = 0,
     .max = 100LL * 365 * 86400,
     .help = "Delete relay files older than this many seconds (0: never)"},
    {.name = "expire_log_minimum_files",
     .type = CFG_INT,
     .def = "2",
     .min = 1,
     .max = 1000000,
     .help = "Files that expiry always keeps"},
    {.name = "gtid_start_pos",
     .type = CFG_STRING,
     .def = "",
     .help = "GTID state an empty relay starts from (when the cluster has purged older "
             "binlogs), e.g. \"70-7000-1000\""},
    {.name = NULL},
};

static int parse_sync(const char *text, blr_config *c, char *err, size_t errlen)
{
    char unit[8] = "";
    int ms = 0;
    if (strcmp(text, "commit") == 0)
        c->sync = BLR_SYNC_COMMIT;
    else if (strcmp(text, "never") == 0)
        c->sync = BLR_SYNC_NEVER;
    else if (sscanf(text, "%d%7s", &ms, unit) == 2 && strcmp(unit, "ms") == 0 && ms > 0) {
        c->sync = BLR_SYNC_PERIOD;
        c->sync_ms = ms;
    } else {
        snprintf(err, errlen,
                 "parameter 'sync_binlog': '%s' is not \"commit\", \"never\" or \"<N>ms\"", text);
        return -1;
    }
    return 0;
}

static int parse_start_pos(const cfg_object *o, gtid_pos *p, char *err, size_t errlen)
{
    const char *start = cfg_str(o, "gtid_start_pos"), *why = NULL;
    if (gtid_pos_parse(p, start, strlen(start), &why) == 0)
        return 0;
    snprintf(err, errlen, "parameter 'gtid_start_pos': '%s' is not a GTID position: %s", start,
             why ? why : "malformed");
    return -1;
}

static int blr_check(const cfg_object *o, char *err, size_t errlen)
{
    blr_config *c = calloc(1, sizeof(*c));
    int rc = c && parse_start_pos(o, &c->gtid_start_pos, err, errlen) == 0 &&
                     parse_sync(cfg_str(o, "sync_binlog"), c, err, errlen) == 0
                 ? 0
                 : -1;
    free(c);
    return rc;
}

static int read_config(service *svc, blr_config *c, char *err, size_t errlen)
{
    const cfg_object *o = svc->cfg;
    c->server_id = (uint32_t)cfg_int(o, "server_id");
    const char *dir = cfg_str(o, "datadir");
    if (dir)
        snprintf(c->dir, sizeof(c->dir), "%s", dir);
    else
        snprintf(c->dir, sizeof(c->dir), "%s/%s", cfg_str(svc->global, "datadir"), svc->name);
    c->net_timeout_s = (int)cfg_int(o, "net_timeout");
    c->heartbeat_period_s = (int)cfg_int(o, "heartbeat_period");
    c->max_binlog_size = (uint64_t)cfg_int(o, "max_binlog_size");
    c->expire_log_duration_s = cfg_int(o, "expire_log_duration");
    c->expire_log_minimum_files = (int)cfg_int(o, "expire_log_minimum_files");
    if (parse_start_pos(o, &c->gtid_start_pos, err, errlen) < 0)
        return -1;
    return parse_sync(cfg_str(o, "sync_binlog"), c, err, errlen);
}

static int open_store(blr_service *b, char *err, size_t errlen)
{
    blr_store_opts o = {.dir = b->cfg.dir,
                        .server_id = b->cfg.server_id,
                        .max_file_size = b->cfg.max_binlog_size,
                        .sync = b->cfg.sync,
                        .sync_ms = b->cfg.sync_ms,
                        .initial_state = &b->cfg.gtid_start_pos};
    char why[512];
    b->store = blr_store_open(&o, why, sizeof(why));
    if (!b->store) {
        snprintf(err, errlen, "binlog store %s: %s", b->cfg.dir, why);
        return -1;
    }
    blr_store_set_listener(b->store, blr_readers_wake, b);
    return 0;
}

static void blr_service_stop(service *svc)
{
    blr_service *b = svc->router_data;
    if (b && b->writer)
        blr_writer_stop(b->writer);
}

static void blr_service_free(service *svc)
{
    blr_service *b = svc->router_data;
    if (!b)
        return;
    blr_writer_free(b->writer);
    blr_store_close(b->store);
    pthread_mutex_destroy(&b->replicas_lock);
    free(b);
    svc->router_data = NULL;
}

static int blr_service_init(service *svc, char *err, size_t errlen)
{
    blr_service *b = calloc(1, sizeof(*b));
    if (!b) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    b->svc = svc;
    pthread_mutex_init(&b->replicas_lock, NULL);
    svc->router_data = b;
    if (read_config(svc, &b->cfg, err, errlen) < 0 || open_store(b, err, errlen) < 0 ||
        !(b->writer = blr_writer_start(b, err, errlen))) {
        blr_service_stop(svc);
        blr_service_free(svc);
        return -1;
    }
    return 0;
}

const router_ops BINLOGROUTER_OPS = {
    .name = "binlogrouter",
    .params = BLR_PARAMS,
    .check = blr_check,
    .service_init = blr_service_init,
    .service_stop = blr_service_stop,
    .service_free = blr_service_free,
    .session_start = blr_session_start,
    .client_readable = blr_client_readable,
    .client_drained = blr_client_drained,
    .session_end = blr_session_end,
    .diagnostics = blr_diagnostics,
    .metrics = blr_metrics,
};
