/*
 * script.c: the pure half of the event script (see script.h): splitting the
 * `script` command line into words, and replacing MaxScale's variables in
 * each word from a snapshot. The runner thread is in script_run.c.
 */
#include "monitor/script.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "server/srv.h"

/* ---- splitting -------------------------------------------------------- */

typedef struct words {
    char **v;
    size_t n, cap;
} words;

static bool words_add(words *w, char *word)
{
    if (w->n + 2 > w->cap) {
        size_t cap = w->cap ? w->cap * 2 : 8;
        char **v = realloc(w->v, cap * sizeof(*v));
        if (!v)
            return false;
        w->v = v;
        w->cap = cap;
    }
    w->v[w->n++] = word;
    w->v[w->n] = NULL;
    return true;
}

/* Reads one word starting at *p (not a blank) into a memstream. */
static int read_word(const char **p, FILE *out, char *err, size_t errlen)
{
    char quote = 0;
    const char *s = *p;
    for (; *s && (quote || !strchr(" \t\n", *s)); s++) {
        if (!quote && (*s == '\'' || *s == '"'))
            quote = *s;
        else if (quote && *s == quote)
            quote = 0;
        else if (*s == '\\' && quote != '\'' && s[1])
            fputc(*++s, out);
        else
            fputc(*s, out);
    }
    *p = s;
    if (quote) {
        snprintf(err, errlen, "unbalanced %c quote", quote);
        return -1;
    }
    return 0;
}

static int fail(char *err, size_t errlen, const char *why)
{
    snprintf(err, errlen, "%s", why);
    return -1;
}

/* The next word at *p (not a blank) appended to w. */
static int next_word(const char **p, words *w, char *err, size_t errlen)
{
    char *word = NULL;
    size_t len;
    FILE *out = open_memstream(&word, &len);
    if (!out)
        return fail(err, errlen, "out of memory");
    int rc = read_word(p, out, err, errlen);
    if (fclose(out) != 0 && rc == 0)
        rc = fail(err, errlen, "out of memory");
    if (rc == 0 && !words_add(w, word))
        rc = fail(err, errlen, "out of memory");
    if (rc != 0)
        free(word);
    return rc;
}

int script_split(const char *cmd, char ***argv, char *err, size_t errlen)
{
    words w = {0};
    int rc = 0;
    for (const char *p = cmd; rc == 0 && *(p += strspn(p, " \t\n"));)
        rc = next_word(&p, &w, err, errlen);
    if (rc == 0 && w.n == 0)
        rc = fail(err, errlen, "the command is empty");
    if (rc != 0) {
        script_argv_free(w.v);
        return -1;
    }
    *argv = w.v;
    return (int)w.n;
}

void script_argv_free(char **argv)
{
    for (size_t i = 0; argv && argv[i]; i++)
        free(argv[i]);
    free(argv);
}

/* ---- variables -------------------------------------------------------- */

typedef enum var {
    V_INITIATOR,
    V_EVENT,
    V_LIST,
    V_NODELIST,
    V_MASTERLIST,
    V_SLAVELIST,
    V_SYNCEDLIST,
    V_PARENT,
    V_CHILDREN,
    V_COUNT,
} var;

static const char *const VAR_NAMES[V_COUNT] = {
    "INITIATOR", "EVENT",      "LIST",   "NODELIST", "MASTERLIST",
    "SLAVELIST", "SYNCEDLIST", "PARENT", "CHILDREN",
};

static void put_server(FILE *out, const snap_server *ss, bool *first)
{
    fprintf(out, "%s[%s]:%d", *first ? "" : ",", ss->srv->address, ss->srv->port);
    *first = false;
}

/* The servers with any of the state bits (0: every server). */
static void put_list(FILE *out, const cluster_snapshot *s, uint32_t bits)
{
    bool first = true;
    for (size_t i = 0; i < s->nservers; i++)
        if (!bits || (s->servers[i].state & bits))
            put_server(out, &s->servers[i], &first);
}

static void put_children(FILE *out, const cluster_snapshot *s, size_t initiator)
{
    bool first = true;
    for (size_t i = 0; i < s->nservers; i++)
        if (s->servers[i].replicates_from == (int)initiator)
            put_server(out, &s->servers[i], &first);
}

static void put_var(FILE *out, var v, const cluster_snapshot *s, size_t initiator, mon_event ev)
{
    static const uint32_t LIST_BITS[V_COUNT] = {
        [V_NODELIST] = SRV_RUNNING,
        [V_MASTERLIST] = SRV_MASTER,
        [V_SLAVELIST] = SRV_SLAVE,
        [V_SYNCEDLIST] = SRV_SYNCED,
    };
    bool first = true;
    int parent = s->servers[initiator].replicates_from;
    switch (v) {
    case V_INITIATOR:
        put_server(out, &s->servers[initiator], &first);
        break;
    case V_EVENT:
        fputs(monitor_event_name(ev) ? monitor_event_name(ev) : "", out);
        break;
    case V_PARENT:
        if (parent >= 0 && (size_t)parent < s->nservers)
            put_server(out, &s->servers[parent], &first);
        break;
    case V_CHILDREN:
        put_children(out, s, initiator);
        break;
    default:
        put_list(out, s, LIST_BITS[v]);
        break;
    }
}

/* The longest variable name that p starts with, or V_COUNT. */
static var var_at(const char *p, size_t *len)
{
    var best = V_COUNT;
    *len = 0;
    for (int v = 0; v < V_COUNT; v++) {
        size_t n = strlen(VAR_NAMES[v]);
        if (n > *len && strncmp(p, VAR_NAMES[v], n) == 0) {
            best = (var)v;
            *len = n;
        }
    }
    return best;
}

char *script_substitute(const char *word, const cluster_snapshot *s, size_t initiator, mon_event ev)
{
    char *text = NULL;
    size_t len, n;
    FILE *out = open_memstream(&text, &len);
    if (!out)
        return NULL;
    for (const char *p = word; *p; p++) {
        var v = *p == '$' ? var_at(p + 1, &n) : V_COUNT;
        if (v == V_COUNT) {
            fputc(*p, out);
            continue;
        }
        put_var(out, v, s, initiator, ev);
        p += n;
    }
    if (fclose(out) != 0) {
        free(text);
        return NULL;
    }
    return text;
}

char **script_argv(char *const *tmpl, const cluster_snapshot *s, size_t initiator, mon_event ev)
{
    size_t n = 0;
    while (tmpl[n])
        n++;
    char **argv = calloc(n + 1, sizeof(*argv));
    for (size_t i = 0; argv && i < n; i++) {
        argv[i] = script_substitute(tmpl[i], s, initiator, ev);
        if (!argv[i]) {
            script_argv_free(argv);
            return NULL;
        }
    }
    return argv;
}
