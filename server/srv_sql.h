/*
 * srv_sql.h: libmariadb handles for a configured server, for the threads
 * that talk SQL to it (monitors, account loaders, the binlog relay's
 * upstream): its timeouts and its TLS settings (servers: tls), so that they
 * reach a server the way client sessions do. Declares MYSQL without
 * <mysql.h>, whose macros clash with protocol/'s.
 */
#ifndef FERRY_SERVER_SRV_SQL_H
#define FERRY_SERVER_SRV_SQL_H

#include "server/srv.h"

typedef struct st_mysql MYSQL;

/* A new handle for srv with connect/read/write timeouts in seconds (0: the
 * library's default) and, when srv has a tls group, TLS required, with its
 * ca, cert, key and verify_peer. NULL when out of memory. */
MYSQL *srv_sql_init(const ferry_server *srv, unsigned connect_s, unsigned read_s, unsigned write_s);

#endif
