/*
 * monitor_hooks.h: what the monitor framework does around a publish, for
 * every module: the journal (reloaded at start, saved on change) and the
 * events with their script. Private to monitor.c and monitor_hooks.c.
 */
#ifndef FERRY_MONITOR_MONITOR_HOOKS_H
#define FERRY_MONITOR_MONITOR_HOOKS_H

#include "monitor/monitor.h"

/* Reads `events` and `script` (starting the script runner) and reloads the
 * journal under datadir (restoring operator bits and priorities). Runs
 * before the module's init. 0, or -1 with err. */
int monitor_hooks_init(monitor *m, const char *datadir, char *err, size_t errlen);
/* After s was published (old: the one before, or NULL): events, script, journal. */
void monitor_hooks_published(monitor *m, const cluster_snapshot *old, const cluster_snapshot *s);
void monitor_hooks_free(monitor *m);

#endif
