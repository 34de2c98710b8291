/*
 * command.h: decoding of client commands (COM_*) in the command phase. The
 * payload's first byte is the command; decoders here pick out the few fields
 * Ferry's routers and the binlog relay need.
 */
#ifndef FERRY_PROTOCOL_COMMAND_H
#define FERRY_PROTOCOL_COMMAND_H

#include "protocol/buf.h"

enum proto_com {
    COM_SLEEP = 0x00,
    COM_QUIT = 0x01,
    COM_INIT_DB = 0x02,
    COM_QUERY = 0x03,
    COM_FIELD_LIST = 0x04,
    COM_CREATE_DB = 0x05,
    COM_DROP_DB = 0x06,
    COM_REFRESH = 0x07,
    COM_SHUTDOWN = 0x08,
    COM_STATISTICS = 0x09,
    COM_PROCESS_INFO = 0x0a,
    COM_CONNECT = 0x0b,
    COM_PROCESS_KILL = 0x0c,
    COM_DEBUG = 0x0d,
    COM_PING = 0x0e,
    COM_TIME = 0x0f,
    COM_DELAYED_INSERT = 0x10,
    COM_CHANGE_USER = 0x11,
    COM_BINLOG_DUMP = 0x12,
    COM_TABLE_DUMP = 0x13,
    COM_CONNECT_OUT = 0x14,
    COM_REGISTER_SLAVE = 0x15,
    COM_STMT_PREPARE = 0x16,
    COM_STMT_EXECUTE = 0x17,
    COM_STMT_SEND_LONG_DATA = 0x18,
    COM_STMT_CLOSE = 0x19,
    COM_STMT_RESET = 0x1a,
    COM_SET_OPTION = 0x1b,
    COM_STMT_FETCH = 0x1c,
    COM_DAEMON = 0x1d,
    COM_BINLOG_DUMP_GTID = 0x1e,
    COM_RESET_CONNECTION = 0x1f,
    COM_STMT_BULK_EXECUTE = 0xfa,
};

/* "COM_QUERY" etc., or "COM_UNKNOWN". */
const char *proto_com_name(uint8_t com);
/* Whether the server answers this command at all (COM_QUIT, COM_STMT_CLOSE and
 * COM_STMT_SEND_LONG_DATA get no answer). */
int proto_com_has_reply(uint8_t com);

typedef struct proto_register_slave {
    uint32_t server_id;
    char host[256];
    char user[256];
    char password[256];
    uint16_t port;
    uint32_t rank;
    uint32_t master_id;
} proto_register_slave;

typedef struct proto_binlog_dump {
    uint32_t pos;
    uint16_t flags;
    uint32_t server_id;
    char file[512];
} proto_binlog_dump;

#define BINLOG_DUMP_NON_BLOCK           0x0001
#define BINLOG_SEND_ANNOTATE_ROWS_EVENT 0x0002

typedef struct proto_binlog_dump_gtid {
    uint16_t flags;
    uint32_t server_id;
    char file[512];
    uint64_t pos;
    const uint8_t *gtid_data; /* MySQL GTID set, points into the input */
    size_t gtid_len;
} proto_binlog_dump_gtid;

/* Each takes the whole command payload, command byte included. */
int proto_register_slave_parse(const uint8_t *p, size_t len, proto_register_slave *r);
int proto_binlog_dump_parse(const uint8_t *p, size_t len, proto_binlog_dump *d);
int proto_binlog_dump_gtid_parse(const uint8_t *p, size_t len, proto_binlog_dump_gtid *d);
/* COM_STMT_EXECUTE/CLOSE/RESET/FETCH/SEND_LONG_DATA: the statement id. */
int proto_stmt_id_parse(const uint8_t *p, size_t len, uint32_t *stmt_id);

#endif
