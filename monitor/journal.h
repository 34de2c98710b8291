/*
 * journal.h: the monitor journal. After a publish that changed anything,
 * monitor.c saves the master, every server's state (operator bits included)
 * and runtime priorities to <datadir>/monitor-<name>.journal; at start it
 * reloads them, so a restart keeps the master (disable_master_failback),
 * maintenance and priorities, and events are derived against the states
 * before the restart. Text format, one line per fact; formatting and parsing
 * are pure, file access is two small helpers.
 */
#ifndef FERRY_MONITOR_JOURNAL_H
#define FERRY_MONITOR_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "monitor/snapshot.h"

#define JOURNAL_NOT_A_JOURNAL (-2)

/* The journal text of a snapshot (malloc'ed; NULL when out of memory). */
char *journal_format(const cluster_snapshot *s);

/* Parses journal text for the n servers named names[] (config priorities
 * config_priority[]). Fills state[i] (MON_STATE_UNKNOWN for a server the
 * journal does not list) and priority[i] (the journal's runtime priority,
 * unless the config priority changed since it was written: then the
 * config's). Returns the master's index, -1 for none, or
 * JOURNAL_NOT_A_JOURNAL. */
int journal_parse(const char *text, const char *const *names, const int *config_priority, size_t n,
                  uint32_t *state, int *priority);

/* The file's whole content (malloc'ed), or NULL with errno. */
char *journal_read(const char *path);
/* Replaces the file atomically (temporary file, fsync, rename). 0 or -1 with errno. */
int journal_write(const char *path, const char *text);

#endif
