/*
 * blr_stream.h: the event stream one replica's dump reads from the relay's
 * files (blr_stream.c), used by the dump session code (blr_reader.c,
 * blr_dump.c). It writes whole MariaDB packets (00 + event, split at 16 MiB)
 * into an evbuffer: the artificial ROTATE, the file's FORMAT_DESCRIPTION and
 * GTID_LIST, an artificial GTID_LIST at a GTID resume point, then events up
 * to the store's visible end, rotating to the next file as MariaDB does. It
 * reads files with pread into blocks that the output may reference, and
 * writes no further than the high water mark it is given, so a slow replica
 * costs disk reads, never memory.
 * No session here: unit tests drive it directly.
 */
#ifndef FERRY_ROUTER_BLR_STREAM_H
#define FERRY_ROUTER_BLR_STREAM_H

#include <event2/buffer.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/gtid.h"
#include "router/blr_store.h"

/* Events larger than this are streamed in pieces of this size. */
#define BLR_STREAM_PIECE (256 * 1024)

/* @mariadb_slave_capability values (MariaDB's MARIA_SLAVE_CAPABILITY_*). */
#define BLR_CAP_TOLERATE_HOLES 2
#define BLR_CAP_GTID           4

typedef struct blr_stream_opts {
    bool gtid_mode;        /* positioned by @slave_connect_state */
    bool non_block;        /* end with EOF at the visible end instead of waiting */
    bool send_annotate;    /* BINLOG_SEND_ANNOTATE_ROWS_EVENT */
    int capability;        /* @mariadb_slave_capability */
    bool checksum_aware;   /* the replica set @master_binlog_checksum (to anything) */
    bool replica_crc;      /* @master_binlog_checksum is CRC32 */
    bool deprecate_eof;    /* the client has CLIENT_DEPRECATE_EOF (for the final EOF) */
    bool zero_copy;        /* out is a plain socket's: large events go as references to the file
                              (a filter, TLS or compression, is better fed whole packets) */
    uint32_t server_id;    /* the relay's, written in artificial events */
    const gtid_pos *start; /* GTID mode: the replica's state (copied); else NULL */
    uint64_t start_pos;    /* file mode: requested offset in the first file (4 = its start) */
} blr_stream_opts;

typedef enum blr_stream_rc {
    BLR_STREAM_FULL,  /* the output reached high_water: call again once it drains */
    BLR_STREAM_IDLE,  /* everything visible was sent: call again when the store grows */
    BLR_STREAM_DONE,  /* non-blocking dump: the final EOF was sent */
    BLR_STREAM_ERROR, /* err says why; the dump ends with ERR 1236 */
} blr_stream_rc;

typedef struct blr_stream blr_stream;

/*
 * A stream starting in file_no at offset (the end of a group, or a file's
 * header end; file mode: opts->start_pos). file_no 0 waits for the relay's
 * first file and starts at its beginning. Pins file_no. NULL with err if the
 * file is gone (or out of memory).
 */
blr_stream *blr_stream_new(blr_store *store, const blr_stream_opts *o, uint32_t file_no,
                           uint64_t offset, uint8_t seq, char *err, size_t errlen);
void blr_stream_free(blr_stream *st);

/* Writes packets into out until high_water, the visible end or an error. */
blr_stream_rc blr_stream_pump(blr_stream *st, struct evbuffer *out, size_t high_water, char *err,
                              size_t errlen);
/* A HEARTBEAT at the current position (nothing before the first file). */
void blr_stream_heartbeat(blr_stream *st, struct evbuffer *out);

/* Next packet sequence number (for an ERR that ends the dump). */
uint8_t blr_stream_seq(const blr_stream *st);
/* Where the stream is: file and offset of the next event. */
void blr_stream_where(const blr_stream *st, uint32_t *file_no, uint64_t *offset);
/* Events and bytes sent so far. */
void blr_stream_counters(const blr_stream *st, uint64_t *events, uint64_t *bytes);

#endif
