/*
 * blr_sql_admin.c: the operator statements of the binlog relay's SQL (see
 * blr_sql.h): SHOW MASTER STATUS, SHOW BINARY LOGS, SHOW SLAVE HOSTS, SHOW
 * SLAVE STATUS (the relay's upstream), PURGE BINARY LOGS TO, STOP/START
 * SLAVE and SET GLOBAL gtid_slave_pos. Called from blr_sql.c's statement
 * table on the client's worker.
 */
#include "router/blr_sql_int.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "router/blr_reader.h"
#include "server/log.h"
#include "server/service.h"

#define NUM        PROTO_TYPE_LONGLONG
#define STR        PROTO_TYPE_VAR_STRING
#define ER_SYNTAX  "42000"
#define ER_GENERAL "HY000"

/* ---- operator statements ------------------------------------------------------ */

void blr_sql_set_gtid_slave_pos(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    gtid_pos *p = malloc(sizeof(*p));
    const char *why = NULL;
    char err[512] = "";
    if (!p) {
        blr_sql_error(out, ER_OUT_OF_RESOURCES, ER_GENERAL, "Out of memory");
        return;
    }
    if (gtid_pos_parse(p, a->cap[0], a->cap_len[0], &why) != 0)
        blr_sql_error(out, ER_WRONG_VALUE_FOR_VAR, ER_SYNTAX,
                      "Variable 'gtid_slave_pos' can't be set to the value of '%.200s': %s",
                      a->cap[0], why ? why : "not a GTID position");
    else if (!c->b->writer || blr_writer_set_start_pos(c->b->writer, p, err, sizeof(err)) < 0)
        blr_sql_error(out, ER_OPTION_PREVENTS_STATEMENT, ER_GENERAL, "%s",
                      err[0] ? err : "The relay's upstream is not running");
    else {
        log_notice("binlog relay '%s': start position set to '%s' by SET GLOBAL gtid_slave_pos",
                   c->b->svc ? c->b->svc->name : "", a->cap[0]);
        blr_sql_ok(out);
    }
    free(p);
}

void blr_sql_stop_start(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    bool stop = strncasecmp(a->cap[0], "STOP", 4) == 0;
    if (!c->b->writer) {
        blr_sql_error(out, ER_OPTION_PREVENTS_STATEMENT, ER_GENERAL,
                      "The relay's upstream is not running");
        return;
    }
    blr_writer_pause(c->b->writer, stop);
    log_notice("binlog relay '%s': %s SLAVE by '%s' from %s", c->b->svc ? c->b->svc->name : "",
               stop ? "STOP" : "START", c->user ? c->user : "", c->client_ip ? c->client_ip : "");
    blr_sql_ok(out);
}

void blr_sql_purge_to(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    char err[512];
    uint32_t no = blr_store_file_no(a->cap[0], a->cap_len[0]);
    if (!no || blr_store_file_size(c->b->store, no) < 0) {
        blr_sql_error(out, ER_UNKNOWN_TARGET_BINLOG, ER_GENERAL,
                      "Target log '%.100s' not found in binlog index", a->cap[0]);
        return;
    }
    if (blr_store_purge_to(c->b->store, no, err, sizeof(err)) < 0) {
        blr_sql_error(out, ER_LOG_IN_USE, ER_GENERAL, "%s", err);
        return;
    }
    blr_sql_ok(out);
}

void blr_sql_show_master_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {
        {"File", STR}, {"Position", NUM}, {"Binlog_Do_DB", STR}, {"Binlog_Ignore_DB", STR}};
    blr_pos v = blr_store_visible(c->b->store, NULL);
    char name[BLR_NAME_MAX], pos[32];
    blr_store_file_name(v.file_no, name);
    snprintf(pos, sizeof(pos), "%llu", (unsigned long long)v.offset);
    const char *row[] = {name, pos, "", ""};
    blr_sql_result(c, out, cols, 4, row, v.file_no ? 1 : 0);
}

void blr_sql_show_binary_logs(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {{"Log_name", STR}, {"File_size", NUM}};
    uint32_t first, last;
    blr_store_range(c->b->store, &first, &last);
    uint8_t seq = blr_sql_rs_begin(c, out, cols, 2);
    for (uint32_t no = first; no && no <= last; no++) {
        int64_t size = blr_store_file_size(c->b->store, no);
        if (size < 0)
            continue;
        char name[BLR_NAME_MAX], sz[32];
        blr_store_file_name(no, name);
        snprintf(sz, sizeof(sz), "%lld", (long long)size);
        const char *row[] = {name, sz};
        seq = proto_rs_row(out, seq, row, 2);
    }
    blr_sql_rs_end(c, out, seq);
}

void blr_sql_show_slave_hosts(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    static const proto_column cols[] = {
        {"Server_id", NUM}, {"Host", STR}, {"Port", NUM}, {"Master_id", NUM}};
    uint8_t seq = blr_sql_rs_begin(c, out, cols, 4);
    pthread_mutex_lock(&c->b->replicas_lock);
    for (const struct blr_replica_info *r = c->b->replicas; r; r = r->next) {
        if (!r->registered)
            continue;
        char id[16], port[8], master[16];
        snprintf(id, sizeof(id), "%u", r->server_id);
        snprintf(port, sizeof(port), "%u", r->port);
        snprintf(master, sizeof(master), "%u", r->master_id ? r->master_id : c->b->cfg.server_id);
        const char *row[] = {id, r->host[0] ? r->host : r->addr, port, master};
        seq = proto_rs_row(out, seq, row, 4);
    }
    pthread_mutex_unlock(&c->b->replicas_lock);
    blr_sql_rs_end(c, out, seq);
}

/* ---- SHOW SLAVE STATUS: the relay's upstream ------------------------------------ */

typedef struct field {
    const char *name;
    uint8_t type;
    const char *val;
} field;

static uint64_t relay_space(blr_store *st)
{
    uint32_t first, last;
    uint64_t sum = 0;
    blr_store_range(st, &first, &last);
    for (uint32_t no = first; no && no <= last; no++) {
        int64_t size = blr_store_file_size(st, no);
        sum += size > 0 ? (uint64_t)size : 0;
    }
    return sum;
}

static void send_fields(blr_sql_ctx *c, const field *f, size_t n, proto_buf *out)
{
    proto_column cols[64];
    const char *vals[64];
    for (size_t i = 0; i < n && i < 64; i++) {
        cols[i] = (proto_column){f[i].name, f[i].type};
        vals[i] = f[i].val;
    }
    blr_sql_result(c, out, cols, n < 64 ? n : 64, vals, 1);
}

void blr_sql_show_slave_status(blr_sql_ctx *c, sql_args *a, proto_buf *out)
{
    blr_upstream_status st;
    blr_writer_status(c->b->writer, &st);
    char *gtid = malloc(GTID_POS_TEXT_MAX);
    gtid_pos *state = malloc(sizeof(*state));
    if (!gtid || !state) {
        free(gtid);
        free(state);
        blr_sql_error(out, ER_OUT_OF_RESOURCES, ER_GENERAL, "Out of memory");
        return;
    }
    blr_pos v = blr_store_visible(c->b->store, state);
    gtid_pos_format(state, gtid, GTID_POS_TEXT_MAX);
    char port[16], io_errno[16], pos[32], space[32], file[BLR_NAME_MAX];
    snprintf(port, sizeof(port), "%d", st.port);
    snprintf(io_errno, sizeof(io_errno), "%u", st.last_errno);
    snprintf(pos, sizeof(pos), "%llu", (unsigned long long)v.offset);
    snprintf(space, sizeof(space), "%llu", (unsigned long long)relay_space(c->b->store));
    blr_store_file_name(v.file_no, file);
    const char *user = c->b->svc && c->b->svc->cfg ? cfg_str(c->b->svc->cfg, "user") : "";
    const char *io = st.stopped ? "No" : st.running ? "Yes" : "Connecting";
    const char *idle = "Slave has read all relay log; waiting for more updates";
    const field f[] = {
        {"Connection_name", STR, ""},
        {"Slave_SQL_State", STR, idle},
        {"Slave_IO_State", STR, st.io_state},
        {"Master_Host", STR, st.host},
        {"Master_User", STR, user ? user : ""},
        {"Master_Port", NUM, port},
        {"Connect_Retry", NUM, "1"},
        {"Master_Log_File", STR, ""},
        {"Read_Master_Log_Pos", NUM, "0"},
        {"Relay_Log_File", STR, v.file_no ? file : ""},
        {"Relay_Log_Pos", NUM, pos},
        {"Relay_Master_Log_File", STR, ""},
        {"Slave_IO_Running", STR, io},
        {"Slave_SQL_Running", STR, "Yes"},
        {"Replicate_Rewrite_DB", STR, ""},
        {"Replicate_Do_DB", STR, ""},
        {"Replicate_Ignore_DB", STR, ""},
        {"Replicate_Do_Table", STR, ""},
        {"Replicate_Ignore_Table", STR, ""},
        {"Replicate_Wild_Do_Table", STR, ""},
        {"Replicate_Wild_Ignore_Table", STR, ""},
        {"Last_Errno", NUM, "0"},
        {"Last_Error", STR, ""},
        {"Skip_Counter", NUM, "0"},
        {"Exec_Master_Log_Pos", NUM, "0"},
        {"Relay_Log_Space", NUM, space},
        {"Until_Condition", STR, "None"},
        {"Until_Log_File", STR, ""},
        {"Until_Log_Pos", NUM, "0"},
        {"Master_SSL_Allowed", STR, "No"},
        {"Master_SSL_CA_File", STR, ""},
        {"Master_SSL_CA_Path", STR, ""},
        {"Master_SSL_Cert", STR, ""},
        {"Master_SSL_Cipher", STR, ""},
        {"Master_SSL_Key", STR, ""},
        {"Seconds_Behind_Master", NUM, st.running ? "0" : NULL},
        {"Master_SSL_Verify_Server_Cert", STR, "No"},
        {"Last_IO_Errno", NUM, io_errno},
        {"Last_IO_Error", STR, st.last_error},
        {"Last_SQL_Errno", NUM, "0"},
        {"Last_SQL_Error", STR, ""},
        {"Replicate_Ignore_Server_Ids", STR, ""},
        {"Master_Server_Id", NUM, "0"},
        {"Master_SSL_Crl", STR, ""},
        {"Master_SSL_Crlpath", STR, ""},
        {"Using_Gtid", STR, "Slave_Pos"},
        {"Gtid_IO_Pos", STR, gtid},
        {"Replicate_Do_Domain_Ids", STR, ""},
        {"Replicate_Ignore_Domain_Ids", STR, ""},
        {"Parallel_Mode", STR, "none"},
        {"SQL_Delay", NUM, "0"},
        {"SQL_Remaining_Delay", NUM, NULL},
        {"Slave_SQL_Running_State", STR, idle},
        {"Slave_DDL_Groups", NUM, "0"},
        {"Slave_Non_Transactional_Groups", NUM, "0"},
        {"Slave_Transactional_Groups", NUM, "0"},
    };
    bool all = a->cap[0] != NULL; /* SHOW ALL SLAVES STATUS starts with two more columns */
    size_t skip = all ? 0 : 2;
    send_fields(c, f + skip, sizeof(f) / sizeof(f[0]) - skip, out);
    free(gtid);
    free(state);
}
