/*
 * blr_sql.h: the SQL the binlog relay answers on its port (blr_sql.c): the
 * queries and user variables of a replica's registration, mariadb-binlog's,
 * and the operator's statements (SHOW MASTER STATUS, SHOW SLAVE STATUS,
 * PURGE BINARY LOGS, STOP/START SLAVE ...). Called by blr_reader.c for each
 * COM_QUERY; writes whole packets, so unit tests call it directly.
 */
#ifndef FERRY_ROUTER_BLR_SQL_H
#define FERRY_ROUTER_BLR_SQL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"
#include "protocol/gtid.h"
#include "router/blr.h"

typedef enum blr_checksum {
    BLR_CHECKSUM_UNSET, /* the replica never set @master_binlog_checksum */
    BLR_CHECKSUM_NONE,
    BLR_CHECKSUM_CRC32,
} blr_checksum;

/* What a replica told the relay with SET @...: read when its dump starts. */
typedef struct blr_vars {
    blr_checksum checksum;  /* @master_binlog_checksum */
    uint64_t heartbeat_ns;  /* @master_heartbeat_period (0: none) */
    int capability;         /* @mariadb_slave_capability */
    bool has_connect_state; /* @slave_connect_state was set */
    gtid_pos connect_state; /* its value */
    int gtid_strict_mode;   /* @slave_gtid_strict_mode */
    int gtid_ignore_dups;   /* @slave_gtid_ignore_duplicates */
} blr_vars;

typedef struct blr_sql_ctx {
    blr_service *b;
    blr_vars *vars;
    uint64_t caps;         /* the client's: CLIENT_DEPRECATE_EOF, MariaDB's metadata flags */
    const char *user;      /* for USER() */
    const char *client_ip; /* for USER() */
    uint64_t conn_id;      /* for CONNECTION_ID() */
    const char *version;   /* VERSION(), without the 5.5.5- prefix */
} blr_sql_ctx;

/* The version the relay reports when the backend's is unknown. */
#define BLR_DEFAULT_VERSION "10.11.0-MariaDB-Ferry-log"
/* Longest statement the relay looks at. */
#define BLR_SQL_MAX (64 * 1024)

void blr_vars_init(blr_vars *v);

/* Answers one statement (the COM_QUERY payload after its command byte):
 * appends an OK, ERR or result set with sequence numbers from 1 to out. */
void blr_sql_query(blr_sql_ctx *c, const char *q, size_t len, proto_buf *out);

/*
 * The statement as the matcher sees it: comments removed (the text of
 * executable comments kept), blanks collapsed to one space, trimmed, trailing
 * semicolons dropped. Returns its length; -1 if it does not fit in cap.
 */
long blr_sql_normalize(const char *q, size_t len, char *out, size_t cap);

#endif
