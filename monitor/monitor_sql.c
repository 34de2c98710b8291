/*
 * monitor_sql.c: the monitor framework's libmariadb helpers. Modules call
 * them from their poll functions (one thread per server): connect with the
 * monitor's credentials and timeouts, reuse the connection across ticks, run
 * queries, and drop the connection after a client-side (network) error so the
 * next tick reconnects. Kept apart from monitor.c so that only this file and
 * the modules include <mysql.h>.
 */
#include <errmsg.h>
#include <mysql.h>
#include <stdio.h>
#include <string.h>

#include "monitor/monitor.h"

static void set_timeout(MYSQL *c, enum mysql_option opt, int64_t seconds)
{
    unsigned int v = seconds > 0 ? (unsigned int)seconds : 0;
    if (v)
        mysql_options(c, opt, &v);
}

MYSQL *monitor_connect(monitor *m, mon_server *ms)
{
    if (ms->conn)
        return ms->conn;
    const ferry_server *srv = ms->srv;
    MYSQL *c = mysql_init(NULL);
    if (!c) {
        snprintf(ms->cur.last_error, sizeof(ms->cur.last_error), "Can't connect: out of memory");
        return NULL;
    }
    set_timeout(c, MYSQL_OPT_CONNECT_TIMEOUT, cfg_int(m->cfg, "connect_timeout"));
    set_timeout(c, MYSQL_OPT_READ_TIMEOUT, cfg_int(m->cfg, "read_timeout"));
    set_timeout(c, MYSQL_OPT_WRITE_TIMEOUT, cfg_int(m->cfg, "write_timeout"));
    if (!mysql_real_connect(c, srv->address, cfg_str(m->cfg, "user"), cfg_str(m->cfg, "password"),
                            NULL, (unsigned int)srv->port, NULL, 0)) {
        snprintf(ms->cur.last_error, sizeof(ms->cur.last_error), "Can't connect to %s:%d: %s",
                 srv->address, srv->port, mysql_error(c));
        mysql_close(c);
        return NULL;
    }
    ms->conn = c;
    return c;
}

void monitor_disconnect(mon_server *ms)
{
    if (ms->conn)
        mysql_close(ms->conn);
    ms->conn = NULL;
}

static bool is_client_error(unsigned int err)
{
    return (err >= CR_MIN_ERROR && err <= CR_MAX_ERROR) ||
           (err >= CER_MIN_ERROR && err <= CER_MAX_ERROR);
}

static void query_failed(mon_server *ms, const char *sql, const char *why, unsigned int err)
{
    snprintf(ms->cur.last_error, sizeof(ms->cur.last_error), "%s: %s (%u)", sql, why, err);
    if (is_client_error(err))
        monitor_disconnect(ms);
}

MYSQL_RES *monitor_query(monitor *m, mon_server *ms, const char *sql)
{
    if (!monitor_connect(m, ms))
        return NULL;
    if (mysql_query(ms->conn, sql) != 0) {
        query_failed(ms, sql, mysql_error(ms->conn), mysql_errno(ms->conn));
        return NULL;
    }
    MYSQL_RES *res = mysql_store_result(ms->conn);
    if (!res && mysql_errno(ms->conn))
        query_failed(ms, sql, mysql_error(ms->conn), mysql_errno(ms->conn));
    else if (!res)
        query_failed(ms, sql, "returned no result set", 0);
    return res;
}

static void copy_text(char *dst, size_t len, const char *src)
{
    snprintf(dst, len, "%s", src ? src : "");
}

int monitor_query_row(monitor *m, mon_server *ms, const char *sql, char out[][SNAP_GTID_MAX],
                      size_t n)
{
    MYSQL_RES *res = monitor_query(m, ms, sql);
    if (!res)
        return -1;
    MYSQL_ROW row = mysql_fetch_row(res);
    size_t nfields = mysql_num_fields(res);
    for (size_t i = 0; row && i < n; i++)
        copy_text(out[i], SNAP_GTID_MAX, i < nfields ? row[i] : NULL);
    mysql_free_result(res);
    if (!row) {
        query_failed(ms, sql, "returned no row", 0);
        return -1;
    }
    return 0;
}
