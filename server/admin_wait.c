/*
 * admin_wait.c: answering an operator action once the monitor shows its
 * effect. The request is parked on the admin base and polled every 50 ms
 * until the monitor publishes a newer view (maintenance, drain, priority) or
 * one where the server holds the Master role (switchover), for at most 10 s.
 */
#include <event2/event.h>
#include <stdlib.h>

#include "server/admin_api.h"

#define TICK_POLL_MS  50
#define TICK_WAIT_MAX 200 /* polls: 10 seconds */

typedef struct tick_wait {
    admin_pending p; /* first: the pending list holds &p */
    struct evhttp_request *req;
    monitor *m;
    const ferry_server *srv;
    bool want_master;
    uint64_t seq;
    int polls;
    struct event *timer;
} tick_wait;

static cluster_snapshot *newer_view(monitor *m, uint64_t seq)
{
    cluster_snapshot *s = monitor_latest(m);
    if (s && s->seq > seq)
        return s;
    snapshot_unref(s);
    return NULL;
}

static void tick_wait_free(admin_pending *p)
{
    tick_wait *t = (tick_wait *)p;
    event_free(t->timer);
    free(t);
}

/* 1: the wait is over and succeeded, 0: keep waiting, -1: it cannot succeed. */
static int outcome(const tick_wait *t)
{
    cluster_snapshot *s = newer_view(t->m, t->seq);
    if (!s)
        return 0;
    if (!t->want_master) {
        snapshot_unref(s);
        return 1;
    }
    bool master = s->master >= 0 && s->servers[s->master].srv == t->srv;
    snapshot_unref(s);
    if (master)
        return 1;
    /* The module forgets a target it could not elect. */
    return monitor_preferred(t->m) < 0 ? -1 : 0;
}

static void reply(tick_wait *t, int done)
{
    json_t *o = admin_server_json_of(t->srv, false);
    if (done > 0) {
        admin_reply_json(t->req, 200, o);
    } else if (!t->want_master) {
        json_object_set_new(o, "message",
                            json_string("accepted; the monitor has not published a new view yet"));
        admin_reply_json(t->req, 202, o);
    } else {
        char *state = json_dumps(json_object_get(o, "state"), JSON_COMPACT), why[512];
        monitor_switchover_error(t->m, why, sizeof why);
        admin_reply_error(t->req, done < 0 ? 409 : 504,
                          done < 0
                              ? "the monitor could not make '%s' the master (%s); its state: %s"
                              : "'%s' is not the master after 10 s%s; its state: %s",
                          t->srv->name, done < 0 ? why : "", state ? state : "?");
        free(state);
        json_decref(o);
    }
}

static void tick_wait_poll(evutil_socket_t fd, short what, void *arg)
{
    tick_wait *t = arg;
    int done = outcome(t);
    if (done == 0 && ++t->polls < TICK_WAIT_MAX) {
        struct timeval tv = {0, TICK_POLL_MS * 1000};
        evtimer_add(t->timer, &tv);
        return;
    }
    reply(t, done);
    admin_pending_remove(&t->p);
    tick_wait_free(&t->p);
}

void admin_reply_after_tick(struct evhttp_request *req, monitor *m, const ferry_server *srv,
                            bool want_master)
{
    cluster_snapshot *now = monitor_latest(m);
    tick_wait *t = calloc(1, sizeof *t);
    if (t) {
        *t = (tick_wait){.p.cancel = tick_wait_free,
                         .req = req,
                         .m = m,
                         .srv = srv,
                         .want_master = want_master,
                         .seq = now ? now->seq : 0};
        t->timer = evtimer_new(admin_base(), tick_wait_poll, t);
    }
    snapshot_unref(now);
    if (!t || !t->timer) {
        free(t);
        admin_reply_error(req, 500, "out of memory");
        return;
    }
    admin_pending_add(&t->p);
    tick_wait_poll(-1, 0, t);
}
