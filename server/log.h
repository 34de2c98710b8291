/*
 * log.h: ferryd's log. One line per event: time, level, message. Writes to
 * a file (reopened on SIGHUP), stderr, or syslog (each level at its syslog
 * priority; syslog adds the time). Safe from any thread.
 */
#ifndef FERRY_SERVER_LOG_H
#define FERRY_SERVER_LOG_H

#include <stdbool.h>

typedef enum log_level {
    LOG_LVL_ERROR,
    LOG_LVL_WARNING,
    LOG_LVL_NOTICE,
    LOG_LVL_INFO,
    LOG_LVL_DEBUG,
} log_level;

/* The names of the levels (by log_level) and of the syslog facilities
 * log_open_syslog knows, NULL-terminated: the configuration's choices. */
extern const char *const LOG_LEVEL_NAMES[];
extern const char *const LOG_FACILITY_NAMES[];

/* path "-" is stderr. Returns 0 or -1 (errno set). */
int log_open(const char *path, log_level level);
/* Logs to syslog as "ferryd" from now on, with facility "daemon", "user" or
 * "local0".."local7" (anything else: daemon). */
void log_open_syslog(log_level level, const char *facility);
/* Reopens the file (after logrotate moved it); nothing to do for stderr and syslog. */
int log_reopen(void);
void log_set_level(log_level level);
void log_close(void);
/* Parses "error".."debug"; returns -1 for anything else. */
int log_level_parse(const char *name);
bool log_enabled(log_level level);
void log_msg(log_level level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#define log_error(...)   log_msg(LOG_LVL_ERROR, __VA_ARGS__)
#define log_warning(...) log_msg(LOG_LVL_WARNING, __VA_ARGS__)
#define log_notice(...)  log_msg(LOG_LVL_NOTICE, __VA_ARGS__)
#define log_info(...)    log_msg(LOG_LVL_INFO, __VA_ARGS__)
#define log_debug(...)                                                                             \
    do {                                                                                           \
        if (log_enabled(LOG_LVL_DEBUG))                                                            \
            log_msg(LOG_LVL_DEBUG, __VA_ARGS__);                                                   \
    } while (0)

#endif
