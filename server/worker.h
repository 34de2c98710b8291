/*
 * worker.h: worker threads. Each worker runs one libevent event_base; a
 * session and all its backend connections live on one worker, so the data
 * path takes no locks. Other threads (the acceptor, monitors, the user
 * loader) talk to a worker only through worker_post, which queues a function
 * to run on the worker's own thread.
 */
#ifndef FERRY_SERVER_WORKER_H
#define FERRY_SERVER_WORKER_H

#include <event2/event.h>

#define WORKER_MAX 256

typedef struct worker worker;
typedef void (*worker_fn)(worker *w, void *arg);

/* Starts n workers (n >= 1). Returns 0 or -1. */
int workers_start(int n);
/* Asks every worker to finish its sessions and stop, then joins them. */
void workers_stop(void);
int workers_count(void);
worker *worker_at(int i);
/* The worker whose thread is calling, or NULL on any other thread. */
worker *worker_self(void);
int worker_id(const worker *w);
struct event_base *worker_base(worker *w);

/* Runs fn(w, arg) on w's thread, soon. Safe from any thread. */
void worker_post(worker *w, worker_fn fn, void *arg);
/* Runs fn on every worker. */
void worker_post_all(worker_fn fn, void *arg);

#endif
