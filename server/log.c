/*
 * log.c: ferryd's log writer. Every line is formatted whole and written with
 * one write(2), so lines from different threads never interleave; or, with
 * syslog, handed to syslog(3) with the level's priority.
 */
#include "server/log.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

const char *const LOG_LEVEL_NAMES[] = {"error", "warning", "notice", "info", "debug", NULL};
static const int PRIORITIES[] = {LOG_ERR, LOG_WARNING, LOG_NOTICE, LOG_INFO, LOG_DEBUG};
const char *const LOG_FACILITY_NAMES[] = {"daemon", "user",   "local0", "local1",
                                          "local2", "local3", "local4", "local5",
                                          "local6", "local7", NULL};
static const int FACILITIES[] = {LOG_DAEMON, LOG_USER,   LOG_LOCAL0, LOG_LOCAL1, LOG_LOCAL2,
                                 LOG_LOCAL3, LOG_LOCAL4, LOG_LOCAL5, LOG_LOCAL6, LOG_LOCAL7};

static struct {
    pthread_mutex_t lock;
    int fd;
    char path[4096];
    atomic_int level; /* a log_level; read without the lock */
    bool syslog;
} g_log = {PTHREAD_MUTEX_INITIALIZER, STDERR_FILENO, "-", LOG_LVL_NOTICE, false};

static int open_path(const char *path)
{
    if (strcmp(path, "-") == 0)
        return STDERR_FILENO;
    return open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
}

int log_open(const char *path, log_level level)
{
    int fd = open_path(path);
    if (fd < 0)
        return -1;
    pthread_mutex_lock(&g_log.lock);
    if (g_log.fd != STDERR_FILENO)
        close(g_log.fd);
    g_log.fd = fd;
    g_log.level = level;
    snprintf(g_log.path, sizeof(g_log.path), "%s", path);
    pthread_mutex_unlock(&g_log.lock);
    return 0;
}

/* Index of name in a NULL-terminated list, or -1. */
static int name_index(const char *const *names, const char *name)
{
    for (int i = 0; names[i]; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

/* The syslog facility of a log_facility name (daemon for anything else). */
static int facility(const char *name)
{
    int i = name_index(LOG_FACILITY_NAMES, name);
    return FACILITIES[i < 0 ? 0 : i];
}

void log_open_syslog(log_level level, const char *facility_name)
{
    openlog("ferryd", LOG_PID | LOG_NDELAY, facility(facility_name));
    pthread_mutex_lock(&g_log.lock);
    g_log.syslog = true;
    g_log.level = level;
    pthread_mutex_unlock(&g_log.lock);
}

void log_set_level(log_level level)
{
    atomic_store(&g_log.level, level);
}

int log_reopen(void)
{
    char path[sizeof(g_log.path)];
    pthread_mutex_lock(&g_log.lock);
    memcpy(path, g_log.path, sizeof(path));
    bool to_syslog = g_log.syslog;
    pthread_mutex_unlock(&g_log.lock);
    return to_syslog ? 0 : log_open(path, (log_level)atomic_load(&g_log.level));
}

void log_close(void)
{
    pthread_mutex_lock(&g_log.lock);
    if (g_log.fd != STDERR_FILENO)
        close(g_log.fd);
    g_log.fd = STDERR_FILENO;
    if (g_log.syslog)
        closelog();
    g_log.syslog = false;
    pthread_mutex_unlock(&g_log.lock);
}

int log_level_parse(const char *name)
{
    return name_index(LOG_LEVEL_NAMES, name);
}

bool log_enabled(log_level level)
{
    return (int)level <= atomic_load_explicit(&g_log.level, memory_order_relaxed);
}

/* "TIME LEVEL " into line; returns its length. */
static size_t put_prefix(char *line, size_t len, log_level level)
{
    struct timeval tv;
    struct tm tm;
    gettimeofday(&tv, NULL);
    gmtime_r(&tv.tv_sec, &tm);
    size_t n = strftime(line, len, "%Y-%m-%dT%H:%M:%S", &tm);
    return n + (size_t)snprintf(line + n, len - n, ".%03ldZ %-7s ", (long)(tv.tv_usec / 1000),
                                LOG_LEVEL_NAMES[level]);
}

void log_msg(log_level level, const char *fmt, ...)
{
    if (!log_enabled(level))
        return;
    char line[4096];
    size_t start = g_log.syslog ? 0 : put_prefix(line, sizeof(line), level), n = start;
    va_list ap;
    va_start(ap, fmt);
    int m = vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);
    va_end(ap);
    n = (m < 0) ? n : (n + (size_t)m < sizeof(line) - 1 ? n + (size_t)m : sizeof(line) - 2);
    int saved = errno;
    if (g_log.syslog) {
        line[n] = '\0';
        syslog(PRIORITIES[level], "%s", line);
        errno = saved;
        return;
    }
    line[n++] = '\n';
    pthread_mutex_lock(&g_log.lock);
    ssize_t w = write(g_log.fd, line, n);
    pthread_mutex_unlock(&g_log.lock);
    (void)w;
    errno = saved;
}
