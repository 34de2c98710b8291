/*
 * monitor_hooks.c: the framework's work around a publish (see
 * monitor_hooks.h). monitor.c calls monitor_hooks_init when it creates a
 * monitor, monitor_hooks_published after every publish (on the monitor's
 * thread), and monitor_hooks_free at shutdown.
 */
#include "monitor/monitor_hooks.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/events.h"
#include "monitor/journal.h"
#include "monitor/script.h"
#include "server/log.h"

/* ---- events and the script -------------------------------------------- */

static int script_init(monitor *m, char *err, size_t errlen)
{
    char why[512];
    const char *events = cfg_str(m->cfg, "events"), *script = cfg_str(m->cfg, "script");
    if (monitor_events_parse(events ? events : "all", &m->event_mask, why, sizeof(why)) != 0) {
        snprintf(err, errlen, "monitor '%s': parameter 'events': %s", m->name, why);
        return -1;
    }
    if (!script)
        return 0;
    if (script_split(script, &m->script_argv, why, sizeof(why)) < 0) {
        snprintf(err, errlen, "monitor '%s': parameter 'script': %s", m->name, why);
        return -1;
    }
    const char *prog = m->script_argv[0];
    if (strchr(prog, '/') && access(prog, X_OK) != 0) {
        snprintf(err, errlen, "monitor '%s': parameter 'script': cannot execute '%s': %s", m->name,
                 prog, strerror(errno));
        return -1;
    }
    m->scripts = script_runner_new(m->name, (int)cfg_int(m->cfg, "script_timeout"), err, errlen);
    return m->scripts ? 0 : -1;
}

static void run_script(monitor *m, const cluster_snapshot *s, const mon_event_rec *e)
{
    char what[300];
    const char *name = monitor_event_name(e->event);
    snprintf(what, sizeof(what), "%s on '%s'", name, s->servers[e->server].srv->name);
    log_notice("monitor '%s': event %s", m->name, what);
    if (!m->scripts || !(m->event_mask & e->event))
        return;
    char **argv = script_argv(m->script_argv, s, e->server, e->event);
    if (argv)
        script_runner_post(m->scripts, argv, what);
    else
        log_error("monitor '%s': out of memory: script (%s) not run", m->name, what);
}

static void derive_events(monitor *m, const cluster_snapshot *old, const cluster_snapshot *s)
{
    size_t n = s->nservers;
    uint32_t *before = calloc(n ? n : 1, sizeof(*before) * 2);
    mon_event_rec *events = calloc(n ? n : 1, sizeof(*events));
    if (!before || !events) {
        log_error("monitor '%s': out of memory deriving events", m->name);
    } else {
        uint32_t *after = before + n;
        for (size_t i = 0; i < n; i++) {
            before[i] = old ? old->servers[i].state : m->restored[i];
            after[i] = s->servers[i].state;
        }
        size_t count = monitor_events_derive(before, after, n, events);
        for (size_t i = 0; i < count; i++)
            run_script(m, s, &events[i]);
    }
    free(before);
    free(events);
}

/* ---- the journal ------------------------------------------------------ */

static char *journal_path(const monitor *m, const char *datadir)
{
    char *path = NULL;
    if (mkdir(datadir, 0750) != 0 && errno != EEXIST) {
        log_warning("monitor '%s': cannot create datadir '%s' (%s): no journal", m->name, datadir,
                    strerror(errno));
        return NULL;
    }
    if (asprintf(&path, "%s/monitor-%s.journal", datadir, m->name) < 0)
        return NULL;
    return path;
}

static void restore(monitor *m, const uint32_t *state, const int *priority)
{
    for (size_t i = 0; i < m->nservers; i++) {
        mon_server *ms = &m->servers[i];
        ms->priority = priority[i];
        if (state[i] != MON_STATE_UNKNOWN)
            ms->admin_bits = state[i] & (SRV_MAINT | SRV_DRAINING);
        if (ms->admin_bits)
            log_notice("monitor '%s': journal: server '%s' stays in %s", m->name, ms->srv->name,
                       (ms->admin_bits & SRV_MAINT) ? "maintenance" : "draining");
        if (ms->priority != ms->srv->priority)
            log_notice("monitor '%s': journal: server '%s' keeps priority %d (config: %d)", m->name,
                       ms->srv->name, ms->priority, ms->srv->priority);
    }
}

static void journal_load(monitor *m)
{
    size_t n = m->nservers;
    char *text = journal_read(m->journal_path);
    int read_errno = errno;
    const char **names = calloc(n ? n : 1, sizeof(*names));
    int *cfg_prio = calloc(n ? n : 1, sizeof(int) * 2);
    m->restored = calloc(n ? n : 1, sizeof(*m->restored));
    if (text && names && cfg_prio && m->restored) {
        for (size_t i = 0; i < n; i++) {
            names[i] = m->servers[i].srv->name;
            cfg_prio[i] = m->servers[i].srv->priority;
        }
        m->journal_master = journal_parse(text, names, cfg_prio, n, m->restored, cfg_prio + n);
        if (m->journal_master == JOURNAL_NOT_A_JOURNAL)
            log_warning("monitor '%s': '%s' is not a complete journal: ignored", m->name,
                        m->journal_path);
        else
            restore(m, m->restored, cfg_prio + n);
        if (m->journal_master >= 0)
            log_notice("monitor '%s': journal: master was '%s'", m->name,
                       m->servers[m->journal_master].srv->name);
    } else if (text || read_errno != ENOENT) {
        log_warning("monitor '%s': cannot read the journal '%s': %s", m->name, m->journal_path,
                    strerror(text ? ENOMEM : read_errno));
    }
    if (!text || m->journal_master == JOURNAL_NOT_A_JOURNAL) {
        free(m->restored); /* nothing known: no events on the first tick */
        m->restored = NULL;
        m->journal_master = -1;
    }
    free(text);
    free(names);
    free(cfg_prio);
}

static void journal_save(monitor *m, const cluster_snapshot *s)
{
    char *text = journal_format(s);
    if (!text || (m->journal_text && strcmp(text, m->journal_text) == 0)) {
        free(text);
        return;
    }
    if (journal_write(m->journal_path, text) != 0)
        log_warning("monitor '%s': cannot write the journal '%s': %s", m->name, m->journal_path,
                    strerror(errno));
    free(m->journal_text);
    m->journal_text = text; /* also after a failure: warn once per change */
}

/* ---- the hooks -------------------------------------------------------- */

int monitor_hooks_init(monitor *m, const char *datadir, char *err, size_t errlen)
{
    m->journal_master = -1;
    for (size_t i = 0; i < m->nservers; i++)
        m->servers[i].priority = m->servers[i].srv->priority;
    if (script_init(m, err, errlen) != 0)
        return -1;
    m->journal_path = datadir ? journal_path(m, datadir) : NULL;
    if (m->journal_path)
        journal_load(m);
    return 0;
}

void monitor_hooks_published(monitor *m, const cluster_snapshot *old, const cluster_snapshot *s)
{
    if (old || m->restored)
        derive_events(m, old, s);
    free(m->restored);
    m->restored = NULL;
    if (m->journal_path)
        journal_save(m, s);
}

void monitor_hooks_free(monitor *m)
{
    script_runner_free(m->scripts);
    m->scripts = NULL;
    script_argv_free(m->script_argv);
    m->script_argv = NULL;
    free(m->journal_path);
    free(m->journal_text);
    free(m->restored);
}
