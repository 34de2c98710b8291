/*
 * users.c: the cache of backend user accounts (see users.h). Each service has
 * a loader thread that reads mysql.user with libmariadb (never on a worker),
 * swaps in a new immutable table, and posts the waiting sessions' callbacks
 * back to their workers.
 */
#include "server/users.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <mysql.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "server/clock.h"
#include "server/config.h"
#include "server/log.h"
#include "server/service.h"
#include "server/srv.h"
#include "server/srv_sql.h"

#define USERS_TIMEOUT_S 3
/* Columns in the order of USERS_COL_* (users.h). */
#define USERS_QUERY                                                                                \
    "SELECT User, Host, Password, plugin, authentication_string, Repl_slave_priv "                 \
    "FROM mysql.user WHERE is_role = 'N'"

typedef struct users_waiter {
    worker *w;
    worker_fn fn;
    void *arg;
} users_waiter;

struct users_cache {
    service *svc;
    ferry_server **servers; /* the cluster's servers, tried in order */
    size_t nservers;
    pthread_t thread;
    bool started;
    pthread_mutex_t lock;
    pthread_cond_t cond;
    users_table *current;
    bool stop, requested;
    users_waiter *waiters;
    size_t nwaiters, capwaiters;
};

/* ---- matching ---------------------------------------------------------- */

static bool wild_match(const char *pat, const char *s)
{
    for (; *pat; pat++, s++) {
        if (*pat == '%') {
            for (const char *t = s;; t++) {
                if (wild_match(pat + 1, t))
                    return true;
                if (!*t)
                    return false;
            }
        }
        if (!*s || (*pat != '_' && tolower((unsigned char)*pat) != tolower((unsigned char)*s)))
            return false;
    }
    return *s == '\0';
}

static bool netmask_match(const char *pat, const char *ip)
{
    char net[64];
    const char *slash = strchr(pat, '/');
    size_t n = (size_t)(slash - pat);
    struct in_addr a, m, c;
    if (n >= sizeof(net))
        return false;
    memcpy(net, pat, n);
    net[n] = '\0';
    if (inet_pton(AF_INET, net, &a) != 1 || inet_pton(AF_INET, slash + 1, &m) != 1 ||
        inet_pton(AF_INET, ip, &c) != 1)
        return false;
    return (c.s_addr & m.s_addr) == a.s_addr;
}

bool users_host_match(const char *pat, const char *ip)
{
    if (strncmp(ip, "::ffff:", 7) == 0 && strchr(ip, '.'))
        ip += 7;
    if (strcasecmp(pat, "localhost") == 0)
        return strcmp(ip, "127.0.0.1") == 0 || strcmp(ip, "::1") == 0 ||
               strcmp(ip, "localhost") == 0;
    if (strchr(pat, '/'))
        return netmask_match(pat, ip);
    return wild_match(pat, ip);
}

const user_account *users_match(const users_table *t, const char *user, const char *ip)
{
    for (size_t i = 0; i < t->n; i++)
        if (strcmp(t->accounts[i].user, user) == 0 && users_host_match(t->accounts[i].host, ip))
            return &t->accounts[i];
    return NULL;
}

/* ---- tables ------------------------------------------------------------ */

/* Higher is more specific: exact hosts, then netmasks, then by the length of
 * the literal prefix before the first wildcard ('%' alone is last). */
static int host_rank(const char *host)
{
    size_t lit = strcspn(host, "%_");
    if (host[lit] == '\0')
        return strchr(host, '/') ? 100000 : 200000;
    return (int)lit;
}

typedef struct ranked {
    user_account a;
    int rank;
    size_t order;
} ranked;

static int by_rank(const void *x, const void *y)
{
    const ranked *a = x, *b = y;
    if (a->rank != b->rank)
        return b->rank - a->rank;
    return a->order < b->order ? -1 : 1;
}

static bool fill_account(user_account *a, char *const row[USERS_NCOLS])
{
    const char *plugin = row[USERS_COL_PLUGIN] ? row[USERS_COL_PLUGIN] : "";
    const char *pw = row[USERS_COL_PASSWORD], *auth = row[USERS_COL_AUTH];
    const char *hash = pw && pw[0] ? pw : (auth ? auth : "");
    a->native = plugin[0] == '\0' || strcmp(plugin, PROTO_NATIVE_PLUGIN) == 0;
    a->has_hash = a->native && hash[0] != '\0';
    if (a->has_hash && !proto_native_hash_parse(hash, a->hash))
        a->native = a->has_hash = false;
    a->repl_slave = row[USERS_COL_REPL_SLAVE] && row[USERS_COL_REPL_SLAVE][0] == 'Y';
    a->user = strdup(row[USERS_COL_USER]);
    a->host = strdup(row[USERS_COL_HOST]);
    return a->user && a->host;
}

static void table_free(users_table *t)
{
    for (size_t i = 0; i < t->n; i++) {
        free(t->accounts[i].user);
        free(t->accounts[i].host);
    }
    free(t->accounts);
    free(t);
}

users_table *users_table_build(char *const (*rows)[USERS_NCOLS], size_t n)
{
    users_table *t = calloc(1, sizeof(*t));
    ranked *r = calloc(n ? n : 1, sizeof(*r));
    if (!t || !r) {
        free(t);
        free(r);
        return NULL;
    }
    atomic_init(&t->refs, 1);
    t->loaded_ms = clock_mono_ms();
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        if (!rows[i][0] || !rows[i][0][0] || !rows[i][1])
            continue; /* anonymous accounts are not supported */
        if (!fill_account(&r[k].a, rows[i])) {
            free(r[k].a.user);
            free(r[k].a.host);
            continue;
        }
        r[k].rank = host_rank(r[k].a.host);
        r[k].order = k;
        k++;
    }
    qsort(r, k, sizeof(*r), by_rank);
    t->accounts = calloc(k ? k : 1, sizeof(*t->accounts));
    for (size_t i = 0; t->accounts && i < k; i++)
        t->accounts[i] = r[i].a;
    t->n = t->accounts ? k : 0;
    free(r);
    return t;
}

void users_unref(users_table *t)
{
    if (t && atomic_fetch_sub(&t->refs, 1) == 1)
        table_free(t);
}

users_table *users_get(users_cache *c)
{
    pthread_mutex_lock(&c->lock);
    users_table *t = c->current;
    atomic_fetch_add(&t->refs, 1);
    pthread_mutex_unlock(&c->lock);
    return t;
}

/* ---- loading ----------------------------------------------------------- */

static users_table *query_table(MYSQL *db)
{
    MYSQL_RES *res = NULL;
    if (mysql_query(db, USERS_QUERY) != 0 || !(res = mysql_store_result(db)))
        return NULL;
    if (mysql_num_fields(res) != USERS_NCOLS) {
        mysql_free_result(res);
        return NULL;
    }
    size_t n = mysql_num_rows(res);
    char *(*rows)[USERS_NCOLS] = calloc(n ? n : 1, sizeof(*rows));
    MYSQL_ROW row;
    for (size_t i = 0; rows && i < n && (row = mysql_fetch_row(res)); i++)
        memcpy(rows[i], row, sizeof(rows[i]));
    users_table *t = rows ? users_table_build((char *const(*)[USERS_NCOLS])rows, n) : NULL;
    free(rows);
    mysql_free_result(res);
    return t;
}

static void query_version(MYSQL *db, users_table *t)
{
    snprintf(t->version, sizeof(t->version), "%s", mysql_get_server_info(db));
}

static users_table *load_from(users_cache *c, ferry_server *srv, char *err, size_t errlen)
{
    MYSQL *db = srv_sql_init(srv, USERS_TIMEOUT_S, USERS_TIMEOUT_S, USERS_TIMEOUT_S);
    users_table *t = NULL;
    if (!db) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    if (mysql_real_connect(db, srv->address, cfg_str(c->svc->cfg, "user"),
                           cfg_str(c->svc->cfg, "password"), NULL, (unsigned)srv->port, NULL, 0) &&
        (t = query_table(db)))
        query_version(db, t);
    else
        snprintf(err, errlen, "%s", mysql_error(db));
    mysql_close(db);
    return t;
}

static users_table *load(users_cache *c)
{
    char err[512] = "no servers in the cluster";
    for (size_t i = 0; i < c->nservers; i++) {
        users_table *t = load_from(c, c->servers[i], err, sizeof(err));
        if (t) {
            log_info("service '%s': loaded %zu user accounts from '%s'", c->svc->name, t->n,
                     c->servers[i]->name);
            return t;
        }
        log_warning("service '%s': cannot load user accounts from '%s': %s", c->svc->name,
                    c->servers[i]->name, err);
    }
    log_error("service '%s': cannot load user accounts from any server (last error: %s); "
              "logins fail until a server answers",
              c->svc->name, err);
    return NULL;
}

static void install(users_cache *c, users_table *t)
{
    pthread_mutex_lock(&c->lock);
    if (t) {
        if (!t->version[0] && c->current)
            memcpy(t->version, c->current->version, sizeof(t->version));
        users_unref(c->current);
        c->current = t;
    }
    users_waiter *w = c->waiters;
    size_t n = c->nwaiters;
    c->waiters = NULL;
    c->nwaiters = c->capwaiters = 0;
    pthread_mutex_unlock(&c->lock);
    for (size_t i = 0; i < n; i++)
        worker_post(w[i].w, w[i].fn, w[i].arg);
    free(w);
}

static void *loader_main(void *arg)
{
    users_cache *c = arg;
    pthread_mutex_lock(&c->lock);
    while (!c->stop) {
        if (!c->requested) {
            pthread_cond_wait(&c->cond, &c->lock);
            continue;
        }
        c->requested = false;
        pthread_mutex_unlock(&c->lock);
        install(c, load(c));
        pthread_mutex_lock(&c->lock);
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

static int add_waiter(users_cache *c, worker *w, worker_fn fn, void *arg)
{
    if (c->nwaiters == c->capwaiters) {
        size_t cap = c->capwaiters ? c->capwaiters * 2 : 16;
        users_waiter *nw = realloc(c->waiters, cap * sizeof(*nw));
        if (!nw)
            return -1;
        c->waiters = nw;
        c->capwaiters = cap;
    }
    c->waiters[c->nwaiters++] = (users_waiter){w, fn, arg};
    return 0;
}

void users_request_reload(users_cache *c)
{
    pthread_mutex_lock(&c->lock);
    c->requested = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

void users_refresh(users_cache *c, int64_t min_age_ms, worker *w, worker_fn fn, void *arg)
{
    pthread_mutex_lock(&c->lock);
    bool fresh = clock_mono_ms() - c->current->loaded_ms < min_age_ms;
    bool queued = !fresh && (!fn || add_waiter(c, w, fn, arg) == 0);
    if (queued) {
        c->requested = true;
        pthread_cond_signal(&c->cond);
    }
    pthread_mutex_unlock(&c->lock);
    if (!queued && fn)
        worker_post(w, fn, arg);
}

/* ---- life cycle -------------------------------------------------------- */

static int cache_create(service *svc, const ferry_config *cfg)
{
    users_cache *c = calloc(1, sizeof(*c));
    const cfg_object *mon = config_monitor(cfg, svc->cluster);
    size_t n = 0;
    char **names = mon ? cfg_list(mon, "servers", &n) : NULL;
    if (!c || !(c->servers = calloc(n ? n : 1, sizeof(*c->servers)))) {
        free(c);
        return -1;
    }
    for (size_t i = 0; i < n; i++)
        c->servers[c->nservers++] = srv_find(names[i]);
    c->svc = svc;
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->cond, NULL);
    c->current = load(c);
    if (!c->current) {
        c->current = users_table_build(NULL, 0);
        c->current->loaded_ms -= 1000000; /* stale: the first login reloads */
    }
    svc->users = c;
    c->started = pthread_create(&c->thread, NULL, loader_main, c) == 0;
    return c->started ? 0 : -1;
}

int users_init_all(const struct ferry_config *cfg)
{
    for (size_t i = 0; i < services_count(); i++)
        if (cache_create(service_at(i), cfg) < 0)
            return -1;
    return 0;
}

static void cache_stop(users_cache *c)
{
    pthread_mutex_lock(&c->lock);
    c->stop = true;
    pthread_cond_signal(&c->cond);
    pthread_mutex_unlock(&c->lock);
    if (c->started)
        pthread_join(c->thread, NULL);
    c->started = false;
}

void users_stop_all(void)
{
    for (size_t i = 0; i < services_count(); i++)
        if (service_at(i)->users)
            cache_stop(service_at(i)->users);
}

void users_free_all(void)
{
    for (size_t i = 0; i < services_count(); i++) {
        users_cache *c = service_at(i)->users;
        if (!c)
            continue;
        cache_stop(c);
        users_unref(c->current);
        free(c->waiters);
        free(c->servers);
        pthread_mutex_destroy(&c->lock);
        pthread_cond_destroy(&c->cond);
        free(c);
        service_at(i)->users = NULL;
    }
}
