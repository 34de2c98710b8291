/*
 * worker.c: the worker threads. Each owns an event_base and a queue of
 * functions posted from other threads; posting appends under a mutex and
 * activates the worker's wake-up event, which drains the queue on the
 * worker's own thread. Sessions never leave the worker that accepted them.
 */
#include "server/worker.h"

#include <pthread.h>
#include <stdlib.h>

#include "server/log.h"
#include "server/session.h"

typedef struct job {
    worker_fn fn;
    void *arg;
    struct job *next;
} job;

struct worker {
    int id;
    struct event_base *base;
    struct event *wake;
    pthread_t thread;
    pthread_mutex_t lock;
    job *head, *tail;
};

static worker *g_workers;
static int g_nworkers;
static __thread worker *t_self;

static void run_jobs(evutil_socket_t fd, short what, void *arg)
{
    worker *w = arg;
    pthread_mutex_lock(&w->lock);
    job *j = w->head;
    w->head = w->tail = NULL;
    pthread_mutex_unlock(&w->lock);
    while (j) {
        job *next = j->next;
        j->fn(w, j->arg);
        free(j);
        j = next;
    }
}

static void *worker_main(void *arg)
{
    worker *w = arg;
    t_self = w;
    event_base_loop(w->base, EVLOOP_NO_EXIT_ON_EMPTY);
    run_jobs(-1, 0, w);
    sessions_close_all(w);
    return NULL;
}

int workers_start(int n)
{
    g_workers = calloc((size_t)n, sizeof(*g_workers));
    if (!g_workers)
        return -1;
    for (int i = 0; i < n; i++) {
        worker *w = &g_workers[i];
        w->id = i;
        pthread_mutex_init(&w->lock, NULL);
        w->base = event_base_new();
        w->wake = w->base ? event_new(w->base, -1, EV_PERSIST, run_jobs, w) : NULL;
        if (!w->wake)
            return -1;
        event_add(w->wake, NULL);
        g_nworkers = i + 1;
        if (pthread_create(&w->thread, NULL, worker_main, w) != 0)
            return -1;
    }
    return 0;
}

static void stop_job(worker *w, void *arg)
{
    event_base_loopexit(w->base, NULL);
}

void workers_stop(void)
{
    for (int i = 0; i < g_nworkers; i++)
        worker_post(&g_workers[i], stop_job, NULL);
    for (int i = 0; i < g_nworkers; i++) {
        worker *w = &g_workers[i];
        pthread_join(w->thread, NULL);
        event_free(w->wake);
        event_base_free(w->base);
        pthread_mutex_destroy(&w->lock);
    }
    free(g_workers);
    g_workers = NULL;
    g_nworkers = 0;
}

int workers_count(void)
{
    return g_nworkers;
}

worker *worker_at(int i)
{
    return &g_workers[i];
}

worker *worker_self(void)
{
    return t_self;
}

int worker_id(const worker *w)
{
    return w->id;
}

struct event_base *worker_base(worker *w)
{
    return w->base;
}

void worker_post(worker *w, worker_fn fn, void *arg)
{
    job *j = malloc(sizeof(*j));
    if (!j) {
        log_error("out of memory posting to worker %d", w->id);
        abort();
    }
    j->fn = fn;
    j->arg = arg;
    j->next = NULL;
    pthread_mutex_lock(&w->lock);
    if (w->tail)
        w->tail->next = j;
    else
        w->head = j;
    w->tail = j;
    pthread_mutex_unlock(&w->lock);
    event_active(w->wake, EV_READ, 0);
}

void worker_post_all(worker_fn fn, void *arg)
{
    for (int i = 0; i < g_nworkers; i++)
        worker_post(&g_workers[i], fn, arg);
}
