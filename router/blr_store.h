/*
 * blr_store.h: the binlog relay's files on disk. One writer (the upstream
 * thread) appends events and marks commit boundaries; readers (replica
 * sessions on workers) read committed bytes with pread. Files are valid
 * MariaDB binlogs named binlog.NNNNNN, listed in binlog.index; each starts
 * with a FORMAT_DESCRIPTION and a GTID_LIST holding the whole committed
 * state, and has a GTID index (binlog.NNNNNN.gtidx: one record per committed
 * event group) so a replica's start point is found without scanning events.
 */
#ifndef FERRY_ROUTER_BLR_STORE_H
#define FERRY_ROUTER_BLR_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "protocol/binlog.h"
#include "protocol/gtid.h"

#define BLR_NAME_MAX 64

typedef struct blr_store blr_store;

typedef struct blr_pos {
    uint32_t file_no; /* 0: nothing yet */
    uint64_t offset;  /* end of the last committed group in that file */
} blr_pos;

typedef enum blr_sync_mode {
    BLR_SYNC_COMMIT, /* fdatasync before a commit becomes visible (batched) */
    BLR_SYNC_PERIOD, /* fdatasync every sync_ms; commits are visible at once */
    BLR_SYNC_NEVER,
} blr_sync_mode;

typedef struct blr_store_opts {
    const char *dir;
    uint32_t server_id; /* for the events the relay writes itself */
    uint64_t max_file_size;
    blr_sync_mode sync;
    int sync_ms;
    const gtid_pos *initial_state; /* state of an empty relay (gtid_start_pos), or NULL */
} blr_store_opts;

/* Opens (creating dir if needed) and recovers: a partial group at the end of
 * the newest file is cut off and its GTID index rebuilt. NULL with err. */
blr_store *blr_store_open(const blr_store_opts *o, char *err, size_t errlen);
void blr_store_close(blr_store *s);

/* ---- writer thread only ---- */

/* Whether a file is open for appending (false before the first FDE arrives). */
bool blr_store_has_file(const blr_store *s);
/* Ends the current file (if any) with a ROTATE and starts the next one with
 * an FDE built from the upstream's FDE event (kept for later rotations) and
 * a GTID_LIST of the committed state. */
int blr_store_new_file(blr_store *s, const uint8_t *fde_ev, size_t fde_len, char *err,
                       size_t errlen);
/* Appends one whole event (its log_pos and CRC are rewritten in place). */
int blr_store_append(blr_store *s, uint8_t *ev, size_t len, char *err, size_t errlen);
/* Ends the group just appended: it becomes committed (and, per the sync mode,
 * visible). Rotates to a new file when the current one is full. */
int blr_store_commit(blr_store *s, const gtid_t *g, char *err, size_t errlen);
/* Cuts everything appended after the last commit. */
int blr_store_cut(blr_store *s, char *err, size_t errlen);
/* The committed state (the writer's own copy). */
const gtid_pos *blr_store_committed(const blr_store *s);
/* Replaces the committed state of a relay that has no files yet (SET GLOBAL
 * gtid_slave_pos); -1 with err once files exist. */
int blr_store_set_initial(blr_store *s, const gtid_pos *p, char *err, size_t errlen);
/* Whether the current file's events carry CRC32 trailers. */
bool blr_store_crc(const blr_store *s);
/* Deletes files older than the given age (seconds) beyond the newest min_files,
 * never a file a reader holds. Returns how many were deleted. */
int blr_store_expire(blr_store *s, int64_t max_age_s, int min_files);

/* ---- any thread ---- */

/* Called (on the writer's or sync thread) whenever more becomes visible. */
void blr_store_set_listener(blr_store *s, void (*fn)(void *arg), void *arg);
/* What readers may read, and the state it ends with. state may be NULL. */
blr_pos blr_store_visible(blr_store *s, gtid_pos *state);
void blr_store_file_name(uint32_t file_no, char out[BLR_NAME_MAX]);
/* Parses "binlog.000012" into 12; 0 if it is not one of ours. */
uint32_t blr_store_file_no(const char *name, size_t len);
int blr_store_path(const blr_store *s, uint32_t file_no, char *out, size_t outlen);
/* First and last file numbers (0, 0 when empty). */
void blr_store_range(blr_store *s, uint32_t *first, uint32_t *last);
/* Size of a file as readers may see it (its committed length), or -1. */
int64_t blr_store_file_size(blr_store *s, uint32_t file_no);

/* Readers hold the file they read so it is never purged under them. */
int blr_store_pin(blr_store *s, uint32_t file_no);
void blr_store_unpin(blr_store *s, uint32_t file_no);

/* Deletes the files before file_no (PURGE BINARY LOGS TO). -1 with err if one
 * is being read or file_no does not exist. */
int blr_store_purge_to(blr_store *s, uint32_t file_no, char *err, size_t errlen);

typedef enum blr_locate_result {
    BLR_LOCATE_OK,
    BLR_LOCATE_AHEAD,   /* the replica asks for a GTID the relay has not committed yet */
    BLR_LOCATE_UNKNOWN, /* a domain the relay has never seen */
    BLR_LOCATE_PURGED,  /* no file starts at or before the replica's state */
} blr_locate_result;

/*
 * Where a replica whose last applied GTIDs are `start` resumes: the file and
 * the offset after every leading group the replica already has. The reader
 * still skips, per domain, later groups the replica has. On failure err says
 * which GTID and what the relay has.
 */
blr_locate_result blr_store_locate(blr_store *s, const gtid_pos *start, blr_pos *out, char *err,
                                   size_t errlen);
/* Offset of the first event after a file's FDE and GTID_LIST. */
uint64_t blr_store_header_end(blr_store *s, uint32_t file_no);

#endif
