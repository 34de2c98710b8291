/*
 * script_run.c: the script runner of a monitor (see script.h). One thread
 * per monitor with a script; monitor.c posts argument vectors, the thread
 * runs them in order with posix_spawn (own process group, default signal
 * mask, stdin /dev/null, stdout and stderr into a pipe), logs every output
 * line and the exit status, and enforces script_timeout with SIGTERM and
 * then SIGKILL to the whole process group.
 */
#include "monitor/script.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "server/clock.h"
#include "server/log.h"

#define QUEUE_MAX  1000
#define KILL_GRACE 2000 /* ms between SIGTERM and SIGKILL */
#define LINE_MAX_  1024
#define POLL_SLICE 200 /* ms: how often a running script checks the stop flag */

extern char **environ;

typedef struct job {
    struct job *next;
    char **argv;
    char *what;
} job;

struct script_runner {
    char *monitor;
    int64_t timeout_ms;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    job *head, *tail;
    size_t queued;
    bool stop;
};

static void job_free(job *j)
{
    script_argv_free(j->argv);
    free(j->what);
    free(j);
}

static bool stopping(script_runner *r)
{
    pthread_mutex_lock(&r->lock);
    bool stop = r->stop;
    pthread_mutex_unlock(&r->lock);
    return stop;
}

/* ---- one run ---------------------------------------------------------- */

typedef struct run {
    script_runner *r;
    const job *j;
    pid_t pid;
    int fd;               /* read end of the output pipe, -1 at EOF */
    char line[LINE_MAX_]; /* a partial output line */
    size_t len;
    int64_t deadline, kill_at; /* kill_at: 0 until SIGTERM was sent */
} run;

static void flush_line(run *x)
{
    if (x->len)
        log_notice("monitor '%s': script (%s): %.*s", x->r->monitor, x->j->what, (int)x->len,
                   x->line);
    x->len = 0;
}

static void take_output(run *x, const char *buf, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\n' || x->len == sizeof(x->line))
            flush_line(x);
        if (buf[i] != '\n')
            x->line[x->len++] = buf[i];
    }
}

static int spawn_script(run *x)
{
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0)
        return errno;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGPIPE);
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 1);
    posix_spawn_file_actions_adddup2(&fa, fds[1], 2);
#if defined(__GLIBC__) && (__GLIBC__ > 2 || __GLIBC_MINOR__ >= 34)
    posix_spawn_file_actions_addclosefrom_np(&fa, 3);
#endif
    posix_spawnattr_init(&at);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    int rc = posix_spawnp(&x->pid, x->j->argv[0], &fa, &at, x->j->argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    close(fds[1]);
    x->fd = fds[0];
    if (rc != 0)
        close(fds[0]);
    return rc;
}

/* SIGTERM at the deadline (or on stop), SIGKILL KILL_GRACE later. */
static void enforce_timeout(run *x, int64_t now)
{
    if (!x->kill_at && (now >= x->deadline || stopping(x->r))) {
        log_warning("monitor '%s': script (%s) %s: sending SIGTERM", x->r->monitor, x->j->what,
                    now >= x->deadline ? "timed out" : "still runs at shutdown");
        kill(-x->pid, SIGTERM);
        x->kill_at = now + KILL_GRACE;
    } else if (x->kill_at && now >= x->kill_at) {
        log_warning("monitor '%s': script (%s) ignored SIGTERM: sending SIGKILL", x->r->monitor,
                    x->j->what);
        kill(-x->pid, SIGKILL);
        x->kill_at = INT64_MAX;
    }
}

/* Reads output until EOF or for one slice; false at EOF. */
static bool read_some(run *x)
{
    struct pollfd p = {.fd = x->fd, .events = POLLIN};
    if (poll(&p, 1, POLL_SLICE) <= 0)
        return true;
    char buf[4096];
    ssize_t n = read(x->fd, buf, sizeof(buf));
    if (n < 0 && errno == EINTR)
        return true;
    if (n <= 0)
        return false;
    take_output(x, buf, (size_t)n);
    return true;
}

static void log_exit(const run *x, int status, int64_t took)
{
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        log_notice("monitor '%s': script (%s) exited with 0 after %lld ms", x->r->monitor,
                   x->j->what, (long long)took);
    else if (WIFEXITED(status))
        log_warning("monitor '%s': script (%s) exited with %d after %lld ms", x->r->monitor,
                    x->j->what, WEXITSTATUS(status), (long long)took);
    else
        log_warning("monitor '%s': script (%s) killed by signal %d after %lld ms", x->r->monitor,
                    x->j->what, WTERMSIG(status), (long long)took);
}

static void run_job(script_runner *r, const job *j)
{
    run x = {.r = r, .j = j, .fd = -1};
    int64_t start = clock_mono_ms();
    x.deadline = start + r->timeout_ms;
    int rc = spawn_script(&x);
    if (rc != 0) {
        log_error("monitor '%s': script (%s): cannot run '%s': %s", r->monitor, j->what, j->argv[0],
                  strerror(rc));
        return;
    }
    int status = 0;
    for (;;) {
        if (x.fd >= 0 && !read_some(&x)) {
            close(x.fd);
            x.fd = -1;
        }
        if (x.fd < 0 && waitpid(x.pid, &status, WNOHANG) == x.pid)
            break;
        if (x.fd < 0)
            usleep(POLL_SLICE * 100);
        enforce_timeout(&x, clock_mono_ms());
    }
    flush_line(&x);
    log_exit(&x, status, clock_mono_ms() - start);
}

/* ---- the thread ------------------------------------------------------- */

static job *next_job(script_runner *r)
{
    pthread_mutex_lock(&r->lock);
    while (!r->stop && !r->head)
        pthread_cond_wait(&r->wake, &r->lock);
    job *j = r->stop ? NULL : r->head;
    if (j) {
        r->head = j->next;
        r->tail = r->head ? r->tail : NULL;
        r->queued--;
    }
    pthread_mutex_unlock(&r->lock);
    return j;
}

static void *runner_main(void *arg)
{
    script_runner *r = arg;
    job *j;
    while ((j = next_job(r))) {
        run_job(r, j);
        job_free(j);
    }
    return NULL;
}

script_runner *script_runner_new(const char *monitor, int timeout_s, char *err, size_t errlen)
{
    script_runner *r = calloc(1, sizeof(*r));
    if (!r || !(r->monitor = strdup(monitor))) {
        free(r);
        snprintf(err, errlen, "monitor '%s': out of memory", monitor);
        return NULL;
    }
    r->timeout_ms = (int64_t)timeout_s * 1000;
    pthread_mutex_init(&r->lock, NULL);
    pthread_cond_init(&r->wake, NULL);
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_SETMASK, &all, &old);
    int rc = pthread_create(&r->thread, NULL, runner_main, r);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errlen, "monitor '%s': cannot start the script thread: %s", monitor,
                 strerror(rc));
        pthread_cond_destroy(&r->wake);
        pthread_mutex_destroy(&r->lock);
        free(r->monitor);
        free(r);
        return NULL;
    }
    return r;
}

void script_runner_post(script_runner *r, char **argv, const char *what)
{
    job *j = calloc(1, sizeof(*j));
    if (!j || !(j->what = strdup(what))) {
        free(j);
        script_argv_free(argv);
        log_error("monitor '%s': out of memory: script (%s) not run", r->monitor, what);
        return;
    }
    j->argv = argv;
    pthread_mutex_lock(&r->lock);
    bool full = r->queued >= QUEUE_MAX;
    if (!full) {
        *(r->tail ? &r->tail->next : &r->head) = j;
        r->tail = j;
        r->queued++;
        pthread_cond_signal(&r->wake);
    }
    pthread_mutex_unlock(&r->lock);
    if (full) {
        log_error("monitor '%s': %d scripts are waiting: script (%s) not run", r->monitor,
                  QUEUE_MAX, what);
        job_free(j);
    }
}

void script_runner_free(script_runner *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    r->stop = true;
    pthread_cond_signal(&r->wake);
    pthread_mutex_unlock(&r->lock);
    pthread_join(r->thread, NULL);
    for (job *j = r->head, *next; j; j = next) {
        next = j->next;
        job_free(j);
    }
    pthread_cond_destroy(&r->wake);
    pthread_mutex_destroy(&r->lock);
    free(r->monitor);
    free(r);
}
