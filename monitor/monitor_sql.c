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
#include <strings.h>

#include "monitor/monitor.h"
#include "server/log.h"
#include "server/srv_sql.h"

/* Errors that mean the monitor's account cannot log in, not that the server is down. */
static bool is_auth_error(unsigned int err)
{
    static const unsigned int AUTH_ERRORS[] = {
        1044, /* ER_DBACCESS_DENIED_ERROR */
        1045, /* ER_ACCESS_DENIED_ERROR */
        1130, /* ER_HOST_NOT_PRIVILEGED */
        1698, /* ER_ACCESS_DENIED_NO_PASSWORD_ERROR */
        1862, /* ER_MUST_CHANGE_PASSWORD_LOGIN */
        4151, /* ER_ACCOUNT_HAS_BEEN_LOCKED */
    };
    for (size_t i = 0; i < sizeof(AUTH_ERRORS) / sizeof(AUTH_ERRORS[0]); i++)
        if (err == AUTH_ERRORS[i])
            return true;
    return false;
}

MYSQL *monitor_connect(monitor *m, mon_server *ms)
{
    if (ms->conn)
        return ms->conn;
    const ferry_server *srv = ms->srv;
    MYSQL *c = srv_sql_init(srv, (unsigned)cfg_int(m->cfg, "connect_timeout"),
                            (unsigned)cfg_int(m->cfg, "read_timeout"),
                            (unsigned)cfg_int(m->cfg, "write_timeout"));
    if (!c) {
        snprintf(ms->cur.last_error, sizeof(ms->cur.last_error), "Can't connect: out of memory");
        return NULL;
    }
    if (!mysql_real_connect(c, srv->address, cfg_str(m->cfg, "user"), cfg_str(m->cfg, "password"),
                            NULL, (unsigned int)srv->port, NULL, 0)) {
        snprintf(ms->cur.last_error, sizeof(ms->cur.last_error), "Can't connect to %s:%d: %s",
                 srv->address, srv->port, mysql_error(c));
        if (is_auth_error(mysql_errno(c)))
            ms->cur.state |= SRV_AUTH_ERROR;
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

int monitor_exec(monitor *m, mon_server *ms, const char *sql, const char *label)
{
    if (!monitor_connect(m, ms))
        return -1;
    if (mysql_query(ms->conn, sql) == 0) {
        MYSQL_RES *res = mysql_store_result(ms->conn);
        mysql_free_result(res);
        if (res || !mysql_errno(ms->conn))
            return 0;
    }
    query_failed(ms, label ? label : sql, mysql_error(ms->conn), mysql_errno(ms->conn));
    return -1;
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

int monitor_column(MYSQL_RES *res, const char *name)
{
    MYSQL_FIELD *fields = mysql_fetch_fields(res);
    for (unsigned int i = 0; i < mysql_num_fields(res); i++)
        if (strcasecmp(fields[i].name, name) == 0)
            return (int)i;
    return -1;
}

const char *monitor_field(char **row, int col)
{
    return col >= 0 && row[col] ? row[col] : "";
}

void monitor_note_error(monitor *m, mon_server *ms, char *last, size_t lastlen, const char *what)
{
    const char *now = ms->conn ? ms->cur.last_error : "";
    if (strcmp(now, last) != 0 && now[0])
        log_warning("monitor '%s': server '%s': %s: %s", m->name, ms->srv->name, what, now);
    snprintf(last, lastlen, "%s", now);
    if (ms->conn)
        ms->cur.last_error[0] = '\0';
}
