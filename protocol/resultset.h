/*
 * resultset.h: text-protocol result sets for Ferry's own answers (the admin
 * SQL of the binlog relay, replica registration queries). Each call appends
 * whole packets and returns the next sequence number.
 */
#ifndef FERRY_PROTOCOL_RESULTSET_H
#define FERRY_PROTOCOL_RESULTSET_H

#include <stdbool.h>
#include "protocol/buf.h"

/* Column types used by Ferry's answers. */
#define PROTO_TYPE_LONGLONG   0x08
#define PROTO_TYPE_VAR_STRING 0xfd

typedef struct proto_column {
    const char *name;
    uint8_t type; /* PROTO_TYPE_* */
} proto_column;

/* Column count, column definitions, and EOF unless deprecate_eof. */
uint8_t proto_rs_begin(proto_buf *out, uint8_t seq, const proto_column *cols, size_t ncols,
                       bool deprecate_eof);
/* One text row; a NULL value is SQL NULL. */
uint8_t proto_rs_row(proto_buf *out, uint8_t seq, const char *const *values, size_t ncols);
/* EOF, or with DEPRECATE_EOF the OK packet that ends the set (0xfe header). */
uint8_t proto_rs_end(proto_buf *out, uint8_t seq, uint16_t status, bool deprecate_eof);

#endif
