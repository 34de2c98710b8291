/*
 * binlog.h: MariaDB binary log events (format v4) as pure functions over
 * bytes, for the binlog relay: the 19-byte common header, the CRC32 trailer,
 * decoders and builders for the events the relay reads or writes itself
 * (FORMAT_DESCRIPTION, ROTATE, GTID, GTID_LIST, BINLOG_CHECKPOINT, XID, QUERY,
 * HEARTBEAT), and a tracker that tells where event groups (transactions) end.
 * Decoded names and texts point into the event and are not NUL-terminated.
 * Events of other types are relayed as opaque bytes.
 */
#ifndef FERRY_PROTOCOL_BINLOG_H
#define FERRY_PROTOCOL_BINLOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/buf.h"
#include "protocol/gtid.h"

/* A binlog file starts with these 4 bytes; its first event is at offset 4. */
#define BINLOG_MAGIC                                                                               \
    "\xfe"                                                                                         \
    "bin"
#define BINLOG_MAGIC_LEN 4

#define BINLOG_HEADER_LEN   19
#define BINLOG_CHECKSUM_LEN 4

/* Event types (MariaDB's numbering; MySQL-only types are listed for their names). */
enum binlog_type {
    BINLOG_UNKNOWN_EVENT = 0,
    BINLOG_START_EVENT_V3 = 1,
    BINLOG_QUERY_EVENT = 2,
    BINLOG_STOP_EVENT = 3,
    BINLOG_ROTATE_EVENT = 4,
    BINLOG_INTVAR_EVENT = 5,
    BINLOG_LOAD_EVENT = 6,
    BINLOG_SLAVE_EVENT = 7,
    BINLOG_CREATE_FILE_EVENT = 8,
    BINLOG_APPEND_BLOCK_EVENT = 9,
    BINLOG_EXEC_LOAD_EVENT = 10,
    BINLOG_DELETE_FILE_EVENT = 11,
    BINLOG_NEW_LOAD_EVENT = 12,
    BINLOG_RAND_EVENT = 13,
    BINLOG_USER_VAR_EVENT = 14,
    BINLOG_FORMAT_DESCRIPTION_EVENT = 15,
    BINLOG_XID_EVENT = 16,
    BINLOG_BEGIN_LOAD_QUERY_EVENT = 17,
    BINLOG_EXECUTE_LOAD_QUERY_EVENT = 18,
    BINLOG_TABLE_MAP_EVENT = 19,
    BINLOG_PRE_GA_WRITE_ROWS_EVENT = 20,
    BINLOG_PRE_GA_UPDATE_ROWS_EVENT = 21,
    BINLOG_PRE_GA_DELETE_ROWS_EVENT = 22,
    BINLOG_WRITE_ROWS_EVENT_V1 = 23,
    BINLOG_UPDATE_ROWS_EVENT_V1 = 24,
    BINLOG_DELETE_ROWS_EVENT_V1 = 25,
    BINLOG_INCIDENT_EVENT = 26,
    BINLOG_HEARTBEAT_EVENT = 27,
    BINLOG_IGNORABLE_EVENT = 28,
    BINLOG_ROWS_QUERY_EVENT = 29,
    BINLOG_WRITE_ROWS_EVENT = 30,
    BINLOG_UPDATE_ROWS_EVENT = 31,
    BINLOG_DELETE_ROWS_EVENT = 32,
    BINLOG_MYSQL_GTID_EVENT = 33,
    BINLOG_MYSQL_ANONYMOUS_GTID_EVENT = 34,
    BINLOG_MYSQL_PREVIOUS_GTIDS_EVENT = 35,
    BINLOG_MYSQL_TRANSACTION_CONTEXT_EVENT = 36,
    BINLOG_MYSQL_VIEW_CHANGE_EVENT = 37,
    BINLOG_XA_PREPARE_EVENT = 38,
    BINLOG_MYSQL_PARTIAL_UPDATE_ROWS_EVENT = 39,
    BINLOG_MYSQL_TRANSACTION_PAYLOAD_EVENT = 40,
    BINLOG_MYSQL_HEARTBEAT_EVENT_V2 = 41,
    BINLOG_ANNOTATE_ROWS_EVENT = 160,
    BINLOG_CHECKPOINT_EVENT = 161,
    BINLOG_GTID_EVENT = 162,
    BINLOG_GTID_LIST_EVENT = 163,
    BINLOG_START_ENCRYPTION_EVENT = 164,
    BINLOG_QUERY_COMPRESSED_EVENT = 165,
    BINLOG_WRITE_ROWS_COMPRESSED_EVENT_V1 = 166,
    BINLOG_UPDATE_ROWS_COMPRESSED_EVENT_V1 = 167,
    BINLOG_DELETE_ROWS_COMPRESSED_EVENT_V1 = 168,
    BINLOG_WRITE_ROWS_COMPRESSED_EVENT = 169,
    BINLOG_UPDATE_ROWS_COMPRESSED_EVENT = 170,
    BINLOG_DELETE_ROWS_COMPRESSED_EVENT = 171,
};

/* Header flags. */
#define BINLOG_F_BINLOG_IN_USE    0x0001 /* FDE of a file not closed properly */
#define BINLOG_F_THREAD_SPECIFIC  0x0004
#define BINLOG_F_SUPPRESS_USE     0x0008
#define BINLOG_F_ARTIFICIAL       0x0020 /* made up by the sender, not in the file */
#define BINLOG_F_RELAY_LOG        0x0040
#define BINLOG_F_IGNORABLE        0x0080
#define BINLOG_F_SKIP_REPLICATION 0x8000

/* FORMAT_DESCRIPTION checksum algorithms. */
#define BINLOG_CHECKSUM_OFF   0
#define BINLOG_CHECKSUM_CRC32 1
#define BINLOG_CHECKSUM_UNDEF 255

/* GTID event flags2. */
#define BINLOG_FL_STANDALONE      0x01 /* no terminating COMMIT/XID: the group is one statement */
#define BINLOG_FL_GROUP_COMMIT_ID 0x02 /* commit_id follows */
#define BINLOG_FL_TRANSACTIONAL   0x04
#define BINLOG_FL_ALLOW_PARALLEL  0x08
#define BINLOG_FL_WAITED          0x10
#define BINLOG_FL_DDL             0x20
#define BINLOG_FL_PREPARED_XA     0x40 /* XID follows */
#define BINLOG_FL_COMPLETED_XA    0x80 /* XID follows */
/* GTID event flags_extra (the byte after the fixed part, when present). */
#define BINLOG_FL_EXTRA_MULTI_ENGINE 0x01 /* extra_engines u8 follows */
#define BINLOG_FL_START_ALTER        0x02
#define BINLOG_FL_COMMIT_ALTER       0x04 /* sa_seq_no u64 follows */
#define BINLOG_FL_ROLLBACK_ALTER     0x08 /* sa_seq_no u64 follows */

/* GTID_LIST: the count field's top 4 bits are flags. */
#define BINLOG_GTID_LIST_COUNT_MASK 0x0fffffffu
#define BINLOG_GTID_LIST_FLAG_MASK  0xf0000000u

/* Fixed body sizes (post-header lengths) of MariaDB 10.x. */
#define BINLOG_QUERY_HEADER_LEN 13
#define BINLOG_GTID_HEADER_LEN  19
#define BINLOG_FDE_FIXED_LEN    57 /* binlog_version, server_version[50], create_ts, header_len */
#define BINLOG_SERVER_VER_LEN   50
#define BINLOG_XA_DATA_MAX      128

/* Name of an event type ("GTID", "WRITE_ROWS_V1", ...); "UNKNOWN" if unknown. */
const char *binlog_type_name(uint8_t type);

/* Whether p starts with the 4-byte magic. */
bool binlog_magic_ok(const uint8_t *p, size_t len);

/* The CRC32 binlogs use (zlib's), over n bytes. */
uint32_t binlog_crc32(const void *p, size_t n);
/* Whether the last 4 bytes of the len-byte event are the CRC32 of the rest. */
bool binlog_crc_ok(const uint8_t *ev, size_t len);
/* Recomputes the CRC32 trailer of a len-byte event in place. */
void binlog_crc_store(uint8_t *ev, size_t len);

typedef struct binlog_header {
    uint32_t timestamp;
    uint8_t type;
    uint32_t server_id;
    uint32_t event_size; /* header, body and checksum */
    uint32_t log_pos;    /* end of this event in its file; 0 in fake events */
    uint16_t flags;
} binlog_header;

/* Decodes the common header: PROTO_OK, or PROTO_NEED_MORE if len < 19. */
int binlog_header_decode(const uint8_t *p, size_t len, binlog_header *h);
void binlog_header_encode(uint8_t out[BINLOG_HEADER_LEN], const binlog_header *h);

/* One whole event, located in a buffer. */
typedef struct binlog_event {
    binlog_header h;
    const uint8_t *data; /* the event, h.event_size bytes */
    const uint8_t *body; /* after the common header */
    size_t body_len;     /* without the checksum trailer */
    bool has_crc;        /* the last 4 bytes are a checksum trailer */
} binlog_event;

/*
 * Finds the event at the start of p. crc says whether events carry a CRC32
 * trailer (the stream's checksum mode). A FORMAT_DESCRIPTION always has the
 * 4-byte trailer whatever crc says (its checksum_alg byte says whether the
 * trailer is a real CRC). Returns PROTO_OK, PROTO_NEED_MORE if the event is
 * not all there yet, PROTO_BAD if event_size is too small for a header (and
 * trailer).
 */
int binlog_event_parse(const uint8_t *p, size_t avail, bool crc, binlog_event *ev);
/* Whether the checksum trailer (if any) is right; an FDE's only if its alg is CRC32. */
bool binlog_event_crc_ok(const binlog_event *ev);
/*
 * In-place header rewrites of a whole event of len bytes (e.g. to give relayed
 * events the relay's own file positions); the CRC is recomputed when crc.
 */
void binlog_event_set_log_pos(uint8_t *ev, size_t len, uint32_t log_pos, bool crc);
void binlog_event_set_flags(uint8_t *ev, size_t len, uint16_t flags, bool crc);

/*
 * Event builder: begin appends a header of the given type (h's type and
 * event_size are ignored) and returns the event's offset in b; append the
 * body with proto_put_*; end appends the CRC32 trailer if crc and fills in
 * event_size.
 */
size_t binlog_event_begin(proto_buf *b, const binlog_header *h, uint8_t type);
void binlog_event_end(proto_buf *b, size_t off, bool crc);

/* ---- FORMAT_DESCRIPTION (15) ---- */
typedef struct binlog_fde {
    uint16_t binlog_version;                        /* 4 */
    char server_version[BINLOG_SERVER_VER_LEN + 1]; /* all 50 bytes, then a NUL */
    uint32_t create_ts;
    uint8_t header_len;             /* 19 */
    const uint8_t *post_header_len; /* [type - 1] = that type's post-header length */
    size_t n_post_header_len;
    uint8_t checksum_alg; /* BINLOG_CHECKSUM_* */
} binlog_fde;

/* PROTO_BAD unless header_len is 19 (every v4 binlog; the other decoders assume it). */
int binlog_fde_decode(const binlog_event *ev, binlog_fde *f);
/* Fills f as MariaDB 10.11 writes it (171 post-header lengths). */
void binlog_fde_init(binlog_fde *f, const char *server_version, uint32_t create_ts,
                     uint8_t checksum_alg);
/* Always appends the 4-byte trailer: the CRC32 of the event. */
void binlog_write_fde(proto_buf *b, const binlog_header *h, const binlog_fde *f);

/* ---- ROTATE (4): the next file and position ---- */
typedef struct binlog_rotate {
    uint64_t pos;
    const char *name;
    size_t name_len;
} binlog_rotate;

int binlog_rotate_decode(const binlog_event *ev, binlog_rotate *r);
void binlog_write_rotate(proto_buf *b, const binlog_header *h, uint64_t pos, const char *name,
                         size_t name_len, bool crc);

/* ---- GTID (162): starts an event group ---- */
typedef struct binlog_gtid {
    gtid_t gtid;           /* server_id comes from the event header */
    uint8_t flags2;        /* BINLOG_FL_* */
    uint64_t commit_id;    /* if BINLOG_FL_GROUP_COMMIT_ID */
    uint32_t xa_format_id; /* if BINLOG_FL_PREPARED_XA or BINLOG_FL_COMPLETED_XA */
    uint8_t xa_gtrid_len;
    uint8_t xa_bqual_len;
    const uint8_t *xa_data; /* gtrid_len + bqual_len bytes */
    uint8_t flags_extra;    /* BINLOG_FL_EXTRA_* etc. */
    uint8_t extra_engines;  /* if BINLOG_FL_EXTRA_MULTI_ENGINE */
    uint64_t sa_seq_no;     /* if BINLOG_FL_COMMIT_ALTER or _ROLLBACK_ALTER */
    size_t body_len;        /* whole body, including fields this decoder skips */
} binlog_gtid;

int binlog_gtid_decode(const binlog_event *ev, binlog_gtid *g);
/* Writes the fields flags2 and flags_extra call for, zero-padded to 19 bytes. */
void binlog_write_gtid(proto_buf *b, const binlog_header *h, const binlog_gtid *g, bool crc);

/* ---- GTID_LIST (163): the binlog state at the start of a file, or a resume point ---- */
typedef struct binlog_gtid_list {
    uint32_t count;
    uint32_t flags;      /* the count field's top 4 bits, in place */
    const uint8_t *list; /* count entries of 16 bytes */
} binlog_gtid_list;

int binlog_gtid_list_decode(const binlog_event *ev, binlog_gtid_list *l);
/* Entry i (< count). */
void binlog_gtid_list_at(const binlog_gtid_list *l, uint32_t i, gtid_t *g);
/*
 * The list as a position: for a domain listed more than once (several
 * server_ids), the last entry wins, as in MariaDB's binlog state. PROTO_BAD
 * if there are more than GTID_POS_MAX domains.
 */
int binlog_gtid_list_to_pos(const binlog_gtid_list *l, gtid_pos *p);
void binlog_write_gtid_list(proto_buf *b, const binlog_header *h, const gtid_t *list,
                            uint32_t count, uint32_t flags, bool crc);

/* ---- BINLOG_CHECKPOINT (161) and HEARTBEAT (27): a file name ---- */
typedef struct binlog_name {
    const char *name;
    size_t name_len;
} binlog_name;

int binlog_checkpoint_decode(const binlog_event *ev, binlog_name *n);
void binlog_write_checkpoint(proto_buf *b, const binlog_header *h, const char *name,
                             size_t name_len, bool crc);
/* MariaDB's heartbeat: the body is the current file name, log_pos its current end. */
int binlog_heartbeat_decode(const binlog_event *ev, binlog_name *n);
void binlog_write_heartbeat(proto_buf *b, const binlog_header *h, const char *name, size_t name_len,
                            bool crc);

/* ---- XID (16): commits a transactional group ---- */
int binlog_xid_decode(const binlog_event *ev, uint64_t *xid);
void binlog_write_xid(proto_buf *b, const binlog_header *h, uint64_t xid, bool crc);

/* ---- QUERY (2) and QUERY_COMPRESSED (165) ---- */
typedef struct binlog_query {
    uint32_t thread_id;
    uint32_t exec_time;
    uint16_t error_code;
    const uint8_t *status_vars;
    uint16_t status_vars_len;
    const char *db;
    uint8_t db_len;
    const char *query; /* compressed bytes in a QUERY_COMPRESSED event */
    size_t query_len;
    bool compressed;
} binlog_query;

int binlog_query_decode(const binlog_event *ev, binlog_query *q);
/* Writes a QUERY event (type 2) from q's fields (q->compressed is ignored). */
void binlog_write_query(proto_buf *b, const binlog_header *h, const binlog_query *q, bool crc);

enum binlog_query_kind {
    BINLOG_QK_OTHER = 0,
    BINLOG_QK_BEGIN,       /* "BEGIN" */
    BINLOG_QK_COMMIT,      /* "COMMIT" */
    BINLOG_QK_ROLLBACK,    /* "ROLLBACK" (not "ROLLBACK TO ...") */
    BINLOG_QK_XA_COMMIT,   /* "XA COMMIT ..." */
    BINLOG_QK_XA_ROLLBACK, /* "XA ROLLBACK ..." */
    BINLOG_QK_DDL,         /* starts with CREATE, ALTER, DROP, RENAME or TRUNCATE */
};

/* Classifies query text (case-insensitive, leading blanks skipped). */
enum binlog_query_kind binlog_query_classify(const char *q, size_t len);

/* ---- Event groups ---- */
enum binlog_trx_result {
    BINLOG_TRX_BAD = -1,    /* malformed event; the tracker is unchanged */
    BINLOG_TRX_OUTSIDE = 0, /* belongs to no group (FDE, ROTATE, GTID_LIST, heartbeat, ...) */
    BINLOG_TRX_IN_GROUP,    /* opens or continues a group */
    BINLOG_TRX_GROUP_END,   /* closes a group: it and the events before it are complete */
    /*
     * The event shows the stream broke a group: a group was open and this
     * event cannot belong to it (a new GTID, a ROTATE, ...), or it ends a
     * group whose start was never seen. Discard the partial group. The event
     * itself has been taken into account: binlog_trx_in_group() says whether
     * it opened a new group.
     */
    BINLOG_TRX_BROKEN,
};

typedef struct binlog_trx_tracker {
    int mode;         /* internal: outside, transaction or standalone group */
    uint32_t events;  /* events in the open group so far */
    bool crc;         /* events carry a CRC32 trailer; updated by each FDE */
    bool has_gtid;    /* the open (or just closed) group began with a GTID event */
    binlog_gtid gtid; /* that GTID event (xa_data not valid after the event) */
} binlog_trx_tracker;

/* crc: whether events carry a CRC32 trailer until the next FORMAT_DESCRIPTION. */
void binlog_trx_init(binlog_trx_tracker *t, bool crc);
/*
 * Feeds one whole event (len must equal its event_size). Group rules, as
 * MariaDB applies them: a GTID opens a group; without FL_STANDALONE it ends
 * at XID, XA_PREPARE or a QUERY "COMMIT", "ROLLBACK", "XA COMMIT ...",
 * "XA ROLLBACK ..."; with FL_STANDALONE it ends at the first event that is not
 * INTVAR, RAND, USER_VAR, TABLE_MAP, ANNOTATE_ROWS or a rows event without
 * STMT_END_F (normally the single QUERY). Without a GTID (old servers), QUERY
 * "BEGIN" opens a transaction group and a lone statement is its own group.
 * HEARTBEAT is OUTSIDE and changes nothing. CRCs are not checked here: verify
 * them (binlog_event_crc_ok) before feeding.
 */
enum binlog_trx_result binlog_trx_feed(binlog_trx_tracker *t, const uint8_t *ev, size_t len);
bool binlog_trx_in_group(const binlog_trx_tracker *t);

#endif
