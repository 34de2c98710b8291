/*
 * script.h: the monitor's event script (`script`, `events`, `script_timeout`).
 * monitor.c splits the command line once at start (script_split), and for
 * every event builds the argument vector with MaxScale's variables replaced
 * (script_argv: $INITIATOR, $EVENT, $LIST, $NODELIST, $MASTERLIST,
 * $SLAVELIST, $SYNCEDLIST, $PARENT, $CHILDREN; servers as [address]:port,
 * comma-separated) and posts it to the monitor's script runner: a thread
 * that runs the scripts one after the other, logs their output and exit
 * status, and sends SIGTERM, then SIGKILL, to one that outlives the timeout.
 * The monitor never waits for a script.
 */
#ifndef FERRY_MONITOR_SCRIPT_H
#define FERRY_MONITOR_SCRIPT_H

#include <stddef.h>

#include "monitor/events.h"
#include "monitor/snapshot.h"

/* Splits a command line into words: blanks separate, '...' and "..." quote,
 * a backslash escapes the next character (not inside '...'). Returns the
 * word count and a NULL-terminated malloc'ed vector (free with
 * script_argv_free), or -1 with the reason in err. */
int script_split(const char *cmd, char ***argv, char *err, size_t errlen);
void script_argv_free(char **argv);

/* The word with every $VARIABLE replaced for this event (malloc'ed). A '$'
 * that starts no known name stays as it is. */
char *script_substitute(const char *word, const cluster_snapshot *s, size_t initiator,
                        mon_event ev);
/* Every word of tmpl substituted: a new NULL-terminated vector, or NULL. */
char **script_argv(char *const *tmpl, const cluster_snapshot *s, size_t initiator, mon_event ev);

typedef struct script_runner script_runner;

/* Starts the runner thread of a monitor. NULL with err when it cannot. */
script_runner *script_runner_new(const char *monitor, int timeout_s, char *err, size_t errlen);
/* Queues a run (takes argv; what says what it is for, in log lines). */
void script_runner_post(script_runner *r, char **argv, const char *what);
/* Stops the runner: a running script gets SIGTERM (SIGKILL a moment later),
 * queued ones are dropped. Returns once the thread has ended. */
void script_runner_free(script_runner *r);

#endif
