/*
 * config.c: loads ferry.conf (libconfig) into a ferry_config, called by ferryd's main at
 * start. One generic reader checks an object against its parameter table (the fixed table of
 * its kind, plus its module's table from the registry) and is reused for nested groups; a
 * table of kinds drives the cross checks (names, references, ports). It also prints the
 * parameter reference in Markdown for the README and --help-config.
 */
#include "server/config.h"

#include "server/log.h"
#include "server/pwhash.h"
#include "server/registry.h"
#include "server/secret.h"

#include <errno.h>
#include <libconfig.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define WHAT_LEN  1024 /* one error's text, before "FILE:LINE: " */
#define LABEL_LEN 256  /* "listener 'rw-listener' tls" */

/* ---- parameter tables ---- */

/* clang-format off */
#define REQUIRED(n, t, h)    {.name = (n), .type = (t), .required = true, .help = (h)}
#define OPTIONAL(n, t, d, h) {.name = (n), .type = (t), .def = (d), .help = (h)}
#define INT(n, d, lo, hi, h) {.name = (n), .type = CFG_INT, .def = (d), .min = (lo), .max = (hi), \
                              .help = (h)}
#define GROUP(n, sub_, h)    {.name = (n), .type = CFG_GROUP, .sub = (sub_), .help = (h)}
/* clang-format on */

static const char *const LOG_TARGETS[] = {"file", "syslog", NULL};

static const cfg_param CFG_ADMIN_USER_PARAMS[] = {
    REQUIRED("name", CFG_STRING, "User name for HTTP Basic authentication"),
    {.name = "password",
     .type = CFG_STRING,
     .required = true,
     .check = pwhash_check,
     .help = "Password hash from `ferryctl hash-password` (never the password itself)"},
    {0},
};

static const cfg_param CFG_ADMIN_TLS_PARAMS[] = {
    REQUIRED("cert", CFG_STRING, "Server certificate file (PEM)"),
    REQUIRED("key", CFG_STRING, "Private key file (PEM)"),
    OPTIONAL("ca", CFG_STRING, NULL, "CA file (PEM) that verifies client certificates if sent"),
    {0},
};

const cfg_param CFG_GLOBAL_PARAMS[] = {
    {.name = "threads",
     .type = CFG_AUTO_INT,
     .def = "auto",
     .min = 1,
     .max = 1024,
     .help = "Worker threads: \"auto\" (one per CPU) or a number"},
    OPTIONAL("datadir", CFG_STRING, "/var/lib/ferry",
             "Directory for relayed binlogs and other state"),
    OPTIONAL("log_file", CFG_STRING, "-", "Log file; \"-\" writes to stderr"),
    {.name = "log_level",
     .type = CFG_ENUM,
     .def = "notice",
     .choices = LOG_LEVEL_NAMES,
     .help = "Least severe level that is logged"},
    {.name = "log_target",
     .type = CFG_ENUM,
     .def = "file",
     .choices = LOG_TARGETS,
     .help = "Where the log goes: log_file, or syslog (ident ferryd, facility log_facility)"},
    {.name = "log_facility",
     .type = CFG_ENUM,
     .def = "daemon",
     .choices = LOG_FACILITY_NAMES,
     .help = "Syslog facility, with log_target = \"syslog\""},
    OPTIONAL("admin_socket", CFG_STRING, "/run/ferry/ferryd.sock",
             "Unix socket of the admin API (HTTP + JSON) that ferryctl talks to; \"\": none"),
    OPTIONAL("admin_address", CFG_STRING, "127.0.0.1", "Address that admin_port listens on"),
    INT("admin_port", "0", 0, 65535,
        "TCP port serving the whole admin API to admin_users (HTTP Basic); 0: off"),
    {.name = "admin_users",
     .type = CFG_GROUPLIST,
     .sub = CFG_ADMIN_USER_PARAMS,
     .help = "Users of admin_port: ( { name = \"ops\"; password = \"pbkdf2-sha256$...\"; } )"},
    GROUP("admin_tls", CFG_ADMIN_TLS_PARAMS,
          "TLS (HTTPS) on admin_port; on when the group is present"),
    OPTIONAL("metrics_address", CFG_STRING, "0.0.0.0", "Address that metrics_port listens on"),
    INT("metrics_port", "0", 0, 65535,
        "TCP port serving GET /metrics (Prometheus) to scrapers; 0: off (the admin socket "
        "serves /metrics too)"),
    OPTIONAL("secrets_file", CFG_STRING, SECRET_DEFAULT_KEY,
             "Key file (from ferryctl keygen) that decrypts `enc:v1:` passwords"),
    OPTIONAL("substitute_variables", CFG_BOOL, "false",
             "Replace `$VAR` and `${VAR}` in string values from the environment (`$$`: a `$`)"),
    {0},
};

static const cfg_param CFG_SERVER_TLS_PARAMS[] = {
    OPTIONAL("ca", CFG_STRING, NULL, "CA certificate file (PEM) that verifies the backend"),
    OPTIONAL("cert", CFG_STRING, NULL, "Client certificate file (PEM)"),
    OPTIONAL("key", CFG_STRING, NULL, "Client private key file (PEM)"),
    OPTIONAL("verify_peer", CFG_BOOL, "false", "Verify the backend's certificate against ca"),
    {0},
};

const cfg_param CFG_SERVER_PARAMS[] = {
    REQUIRED("name", CFG_STRING, "Unique name of the server"),
    REQUIRED("address", CFG_STRING, "Host name or IP address of the backend"),
    INT("port", "3306", 1, 65535, "TCP port of the backend"),
    INT("priority", "0", 0, 0, "Master election priority (see the monitor's use_priority)"),
    GROUP("tls", CFG_SERVER_TLS_PARAMS, "TLS to the backend; on when the group is present"),
    {0},
};

const cfg_param CFG_MONITOR_PARAMS[] = {
    REQUIRED("name", CFG_STRING, "Unique name of the monitor"),
    REQUIRED("module", CFG_STRING, "Monitor module, e.g. galeramon"),
    REQUIRED("servers", CFG_STRLIST, "Servers this monitor watches; a server has one monitor"),
    REQUIRED("user", CFG_STRING, "Account the monitor logs in with"),
    REQUIRED("password", CFG_STRING, "Password of user"),
    INT("interval_ms", "2000", 100, 3600000, "Milliseconds between two polls of the servers"),
    INT("connect_timeout", "3", 1, 3600, "Seconds to wait for a connection to a server"),
    INT("read_timeout", "3", 1, 3600, "Seconds to wait for a server's reply"),
    INT("write_timeout", "3", 1, 3600, "Seconds to wait when sending to a server"),
    OPTIONAL("script", CFG_STRING, NULL, "Command run when a server changes state"),
    OPTIONAL("events", CFG_STRING, "all", "Comma-separated events that run the script, or all"),
    INT("script_timeout", "90", 1, 3600, "Seconds the script may run before it is killed"),
    {0},
};

const cfg_param CFG_SERVICE_PARAMS[] = {
    REQUIRED("name", CFG_STRING, "Unique name of the service"),
    REQUIRED("router", CFG_STRING, "Router module, e.g. readwritesplit"),
    REQUIRED("cluster", CFG_STRING, "Monitor whose servers this service routes to"),
    REQUIRED("user", CFG_STRING, "Account that loads the user accounts from the backends"),
    REQUIRED("password", CFG_STRING, "Password of user"),
    INT("users_refresh_ms", "5000", 0, 86400000,
        "A failed login reloads the accounts when the cache is older than this (ms)"),
    {0},
};

const cfg_param CFG_TLS_PARAMS[] = {
    REQUIRED("cert", CFG_STRING, "Server certificate file (PEM)"),
    REQUIRED("key", CFG_STRING, "Private key file (PEM)"),
    OPTIONAL("ca", CFG_STRING, NULL, "CA file (PEM) that verifies client certificates"),
    OPTIONAL("required", CFG_BOOL, "false", "Refuse clients that do not switch to TLS"),
    {0},
};

const cfg_param CFG_LISTENER_PARAMS[] = {
    REQUIRED("name", CFG_STRING, "Unique name of the listener"),
    REQUIRED("service", CFG_STRING, "Service that the clients of this listener use"),
    OPTIONAL("address", CFG_STRING, "0.0.0.0", "Address to listen on"),
    {.name = "port",
     .type = CFG_INT,
     .required = true,
     .min = 1,
     .max = 65535,
     .help = "TCP port to listen on; one listener per port"},
    GROUP("tls", CFG_TLS_PARAMS, "TLS for clients; offered when the group is present"),
    {0},
};

/* ---- small helpers ---- */

typedef struct loader {
    const char *path;
    bool subst; /* ferry.substitute_variables */
    ferry_config *cfg;
    char *err;
    size_t errlen;
} loader;

static void *xalloc(void *p)
{
    if (!p) {
        fputs("ferry: out of memory\n", stderr);
        abort();
    }
    return p;
}

static char *xstrdup(const char *s)
{
    return xalloc(strdup(s));
}

static size_t count_params(const cfg_param *p)
{
    size_t n = 0;
    while (p && p[n].name)
        n++;
    return n;
}

static int param_index(const cfg_param *p, const char *name)
{
    for (int i = 0; p && p[i].name; i++)
        if (strcmp(p[i].name, name) == 0)
            return i;
    return -1;
}

/* Appends ", item" (or the first item) to buf. */
static void append(char *buf, size_t len, const char *item)
{
    size_t used = strlen(buf);
    snprintf(buf + used, len - used, "%s%s", used ? ", " : "", item);
}

#define PRINTF_LIKE(f, a) __attribute__((format(printf, f, a)))

static int why(char *what, const char *fmt, ...) PRINTF_LIKE(2, 3);
static int why(char *what, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, WHAT_LEN, fmt, ap);
    va_end(ap);
    return -1;
}

static const char *type_name(const config_setting_t *s)
{
    switch (config_setting_type(s)) {
    case CONFIG_TYPE_GROUP:
        return "a group";
    case CONFIG_TYPE_INT:
    case CONFIG_TYPE_INT64:
        return "an integer";
    case CONFIG_TYPE_FLOAT:
        return "a float";
    case CONFIG_TYPE_STRING:
        return "a string";
    case CONFIG_TYPE_BOOL:
        return "a boolean";
    case CONFIG_TYPE_ARRAY:
        return "an array";
    default:
        return "a list";
    }
}

/* ---- error reporting: "FILE:LINE: what" ---- */

static int fail(loader *L, const config_setting_t *at, const char *fmt, ...) PRINTF_LIKE(3, 4);
static int fail(loader *L, const config_setting_t *at, const char *fmt, ...)
{
    char what[WHAT_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    const char *file =
        at && config_setting_source_file(at) ? config_setting_source_file(at) : L->path;
    if (at)
        snprintf(L->err, L->errlen, "%s:%d: %s", file, config_setting_source_line(at), what);
    else
        snprintf(L->err, L->errlen, "%s: %s", file, what);
    return -1;
}

static int param_fail(loader *L, const config_setting_t *at, const char *label, const char *param,
                      const char *what)
{
    return fail(L, at, "%s: parameter '%s': %s", label, param, what);
}

static int missing(loader *L, const config_setting_t *at, const char *label, const char *param)
{
    return fail(L, at, "%s: missing required parameter '%s'", label, param);
}

/* The member's setting, for its line; the object's when the member is absent. */
static const config_setting_t *member(const config_setting_t *s, const char *name)
{
    const config_setting_t *m = config_setting_get_member(s, name);
    return m ? m : s;
}

/* ---- environment variables: $VAR, ${VAR}, $$ ---- */

static int put_variable(FILE *out, const char **pos, char *what)
{
    const char *p = *pos + 1;
    bool braced = *p == '{';
    p += braced;
    size_t n = strspn(p, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_");
    if (n == 0 || (braced && p[n] != '}'))
        return why(what, "a '$' must start $NAME or ${NAME} (write $$ for a literal $)");
    char *name = xalloc(strndup(p, n));
    const char *value = getenv(name);
    if (!value) {
        why(what, "environment variable '%s' is not set", name);
        free(name);
        return -1;
    }
    free(name);
    fputs(value, out);
    *pos = p + n + braced;
    return 0;
}

static int substitute(const char *in, char **out, char *what)
{
    size_t len;
    FILE *m = xalloc(open_memstream(out, &len));
    int rc = 0;
    for (const char *p = in; *p && rc == 0;) {
        if (*p == '$' && p[1] != '$') {
            rc = put_variable(m, &p, what);
            continue;
        }
        fputc(*p, m);
        p += *p == '$' ? 2 : 1; /* "$$" is one '$' */
    }
    fclose(m);
    if (rc < 0) {
        free(*out);
        *out = NULL;
    }
    return rc;
}

/* A string value as the object will hold it: substituted when enabled. */
static int expand(const loader *L, const char *raw, char **out, char *what)
{
    if (!L->subst) {
        *out = xstrdup(raw);
        return 0;
    }
    return substitute(raw, out, what);
}

/* ---- values: from the file and from the table's defaults ---- */

static bool takes_text(cfg_type t)
{
    return t == CFG_STRING || t == CFG_ENUM || t == CFG_AUTO_INT;
}

static bool takes_int(cfg_type t)
{
    return t == CFG_INT || t == CFG_AUTO_INT;
}

static const char *expected(cfg_type t)
{
    switch (t) {
    case CFG_INT:
        return "an integer";
    case CFG_BOOL:
        return "a boolean";
    case CFG_AUTO_INT:
        return "\"auto\" or an integer";
    default:
        return "a string";
    }
}

static int check_range(const cfg_param *p, int64_t n, char *what)
{
    if ((p->min || p->max) && (n < p->min || n > p->max))
        return why(what, "%lld is out of range %lld..%lld", (long long)n, (long long)p->min,
                   (long long)p->max);
    return 0;
}

static int parse_number(const cfg_param *p, const char *text, cfg_value *v, char *what)
{
    char *end;
    errno = 0;
    long long n = strtoll(text, &end, 10);
    if (!*text || *end || errno)
        return why(what, "expected %s, got '%s'", expected(p->type), text);
    v->num = n;
    return check_range(p, n, what);
}

static int check_choice(const cfg_param *p, const char *text, char *what)
{
    char known[WHAT_LEN] = "";
    for (const char *const *c = p->choices; *c; c++) {
        if (strcmp(*c, text) == 0)
            return 0;
        append(known, sizeof known, *c);
    }
    return why(what, "'%s' is not one of %s", text, known);
}

/* Takes text (STRING, ENUM, AUTO_INT) and keeps it in v->str, or frees it on error. */
static int parse_text(const cfg_param *p, char *text, cfg_value *v, char *what)
{
    int rc = 0;
    if (p->type == CFG_ENUM)
        rc = check_choice(p, text, what);
    else if (p->type == CFG_AUTO_INT && strcmp(text, "auto") != 0)
        rc = parse_number(p, text, v, what);
    if (rc < 0) {
        free(text);
        return -1;
    }
    v->str = text;
    return 0;
}

static int set_int(const cfg_param *p, int64_t n, cfg_value *v, char *what)
{
    if (check_range(p, n, what) < 0)
        return -1;
    v->num = n;
    if (p->type == CFG_AUTO_INT) {
        char text[32];
        snprintf(text, sizeof text, "%lld", (long long)n);
        v->str = xstrdup(text);
    }
    return 0;
}

/* A table's default is code, not configuration: a bad one aborts. */
static void set_default(const cfg_param *p, cfg_value *v)
{
    char what[WHAT_LEN] = "no defaults for lists and groups";
    int rc = -1;
    if (p->type == CFG_INT)
        rc = parse_number(p, p->def, v, what);
    else if (p->type == CFG_BOOL && (!strcmp(p->def, "true") || !strcmp(p->def, "false"))) {
        v->flag = strcmp(p->def, "true") == 0;
        rc = 0;
    } else if (takes_text(p->type))
        rc = parse_text(p, xstrdup(p->def), v, what);
    if (rc < 0) {
        fprintf(stderr, "ferry: parameter '%s': bad default \"%s\": %s\n", p->name, p->def, what);
        abort();
    }
}

static int read_scalar(const loader *L, const config_setting_t *c, const cfg_param *p, cfg_value *v,
                       char *what)
{
    int t = config_setting_type(c);
    if (t == CONFIG_TYPE_STRING && takes_text(p->type)) {
        char *text;
        if (expand(L, config_setting_get_string(c), &text, what) < 0)
            return -1;
        return parse_text(p, text, v, what);
    }
    if ((t == CONFIG_TYPE_INT || t == CONFIG_TYPE_INT64) && takes_int(p->type))
        return set_int(p, config_setting_get_int64(c), v, what);
    if (t == CONFIG_TYPE_BOOL && p->type == CFG_BOOL) {
        v->flag = config_setting_get_bool(c);
        return 0;
    }
    return why(what, "expected %s, got %s", expected(p->type), type_name(c));
}

static int read_list(const loader *L, const config_setting_t *c, cfg_value *v, char *what)
{
    if (!config_setting_is_array(c) && !config_setting_is_list(c))
        return why(what, "expected a list of strings [ \"a\", \"b\" ], got %s", type_name(c));
    int n = config_setting_length(c);
    v->list = xalloc(calloc((size_t)n + 1, sizeof *v->list));
    for (int i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(c, (unsigned)i);
        if (config_setting_type(e) != CONFIG_TYPE_STRING)
            return why(what, "item %d: expected a string, got %s", i + 1, type_name(e));
        if (expand(L, config_setting_get_string(e), &v->list[i], what) < 0)
            return -1;
        v->nlist = (size_t)i + 1;
    }
    return 0;
}

/* ---- objects ---- */

static void init_object(cfg_object *o, const char *kind, const config_setting_t *s,
                        const cfg_param *params)
{
    o->kind = kind;
    o->line = s ? config_setting_source_line(s) : 0;
    o->params = params;
    o->values = xalloc(calloc(count_params(params) + 1, sizeof *o->values));
}

static int read_object(loader *L, const config_setting_t *s, cfg_object *o, const char *label);

/* A nested group becomes an object of kind p->name that carries its parent's name. */
static int read_group(loader *L, const config_setting_t *c, const cfg_object *parent,
                      const cfg_param *p, cfg_value *v, const char *label)
{
    char sub[LABEL_LEN];
    snprintf(sub, sizeof sub, "%s %s", label, p->name);
    v->group = xalloc(calloc(1, sizeof *v->group));
    v->ngroups = 1;
    init_object(v->group, p->name, c, p->sub);
    v->group->name = parent->name ? xstrdup(parent->name) : NULL;
    v->set = true;
    return read_object(L, c, v->group, sub);
}

/* The object before o in objs whose "name" is o's, if the table has names. */
static const cfg_object *same_name(const cfg_object *objs, const cfg_object *o)
{
    int i = param_index(o->params, "name");
    for (const cfg_object *prev = objs; i >= 0 && prev < o; prev++)
        if (strcmp(prev->values[i].str, o->values[i].str) == 0)
            return prev;
    return NULL;
}

/* Each item of a list of groups becomes an object of kind p->name, like read_group's. */
static int read_group_list(loader *L, const config_setting_t *c, const cfg_object *parent,
                           const cfg_param *p, cfg_value *v, const char *label)
{
    if (!config_setting_is_list(c))
        return fail(L, c, "%s: parameter '%s': expected a list of groups ( { ... }, ... ), got %s",
                    label, p->name, type_name(c));
    size_t n = (size_t)config_setting_length(c);
    v->group = xalloc(calloc(n + 1, sizeof *v->group));
    v->set = true;
    for (size_t i = 0; i < n; i++) {
        const config_setting_t *e = config_setting_get_elem(c, (unsigned)i);
        char sub[LABEL_LEN];
        snprintf(sub, sizeof sub, "%s %s #%zu", label, p->name, i + 1);
        if (!config_setting_is_group(e))
            return fail(L, e, "%s: expected a group { ... }, got %s", sub, type_name(e));
        cfg_object *o = &v->group[v->ngroups++]; /* counted now, so that it is freed */
        init_object(o, p->name, e, p->sub);
        o->name = parent->name ? xstrdup(parent->name) : NULL;
        if (read_object(L, e, o, sub) < 0)
            return -1;
        const cfg_object *twin = same_name(v->group, o);
        if (twin)
            return fail(L, e, "%s: the name '%s' is also used at line %d", sub, cfg_str(o, "name"),
                        twin->line);
    }
    return 0;
}

/* ---- encrypted passwords (server/secret.c) ---- */

bool cfg_is_password(const cfg_param *p)
{
    size_t n = strlen(p->name), k = strlen("password");
    return p->type == CFG_STRING && n >= k && strcmp(p->name + n - k, "password") == 0;
}

/* Replaces an "enc:v1:" value with its plaintext, decrypted with ferry.secrets_file. */
static int reveal(const loader *L, cfg_value *v, char *what)
{
    const char *key_file = cfg_str(&L->cfg->global, "secrets_file");
    char *plain;
    if (secret_reveal(key_file, v->str, &plain, what, WHAT_LEN) < 0)
        return -1;
    free(v->str);
    v->str = plain;
    return 0;
}

static int read_value(loader *L, const config_setting_t *c, cfg_object *o, size_t i,
                      const char *label)
{
    const cfg_param *p = &o->params[i];
    cfg_value *v = &o->values[i];
    char what[WHAT_LEN];
    int rc;
    if (p->type == CFG_GROUP && config_setting_is_group(c))
        return read_group(L, c, o, p, v, label);
    if (p->type == CFG_GROUPLIST)
        return read_group_list(L, c, o, p, v, label);
    if (p->type == CFG_GROUP)
        rc = why(what, "expected a group { ... }, got %s", type_name(c));
    else if (p->type == CFG_STRLIST)
        rc = read_list(L, c, v, what);
    else
        rc = read_scalar(L, c, p, v, what);
    if (rc == 0 && cfg_is_password(p) && secret_is_encrypted(v->str))
        rc = reveal(L, v, what);
    if (rc == 0 && p->check)
        rc = p->check(v->str, what, WHAT_LEN);
    if (rc < 0)
        return param_fail(L, c, label, p->name, what);
    v->set = true;
    return 0;
}

/* Reads one parameter ahead of the others; 1 when the file does not give it. */
static int read_member(loader *L, const config_setting_t *s, cfg_object *o, const char *name,
                       const char *label)
{
    const config_setting_t *c = config_setting_get_member(s, name);
    if (!c)
        return 1;
    return read_value(L, c, o, (size_t)param_index(o->params, name), label);
}

static int unknown_param(loader *L, const config_setting_t *c, const cfg_param *params,
                         const char *label)
{
    char known[WHAT_LEN] = "";
    for (const cfg_param *p = params; p->name; p++)
        append(known, sizeof known, p->name);
    return fail(L, c, "%s: unknown parameter '%s' (known: %s)", label, config_setting_name(c),
                known);
}

/* The generic reader: every member of s against o->params, then required ones and defaults.
 * Values already read (name, module) are kept. s may be NULL (an absent optional group). */
static int read_object(loader *L, const config_setting_t *s, cfg_object *o, const char *label)
{
    int n = s ? config_setting_length(s) : 0;
    for (int i = 0; i < n; i++) {
        const config_setting_t *c = config_setting_get_elem(s, (unsigned)i);
        int idx = param_index(o->params, config_setting_name(c));
        if (idx < 0)
            return unknown_param(L, c, o->params, label);
        if (!o->values[idx].set && read_value(L, c, o, (size_t)idx, label) < 0)
            return -1;
    }
    for (size_t i = 0; o->params[i].name; i++) {
        const cfg_param *p = &o->params[i];
        if (!o->values[i].set && p->required)
            return missing(L, s, label, p->name);
        if (!o->values[i].set && p->def)
            set_default(p, &o->values[i]);
    }
    return 0;
}

static void free_object(cfg_object *o, const cfg_param *fixed);

static void free_value(cfg_value *v, const cfg_param *p)
{
    free(v->str);
    for (size_t i = 0; i < v->nlist; i++)
        free(v->list[i]);
    free(v->list);
    for (size_t i = 0; i < v->ngroups; i++)
        free_object(&v->group[i], p->sub);
    free(v->group);
}

/* o->params is owned (merged with a module's table) when it is not the fixed table. */
static void free_object(cfg_object *o, const cfg_param *fixed)
{
    for (size_t i = 0; o->values && o->params[i].name; i++)
        free_value(&o->values[i], &o->params[i]);
    free(o->values);
    free(o->name);
    if (o->params != fixed)
        free((void *)o->params);
    memset(o, 0, sizeof *o);
}

/* ---- the kinds of objects ---- */

typedef struct kind_desc {
    const char *kind;  /* "server": in messages and cfg_object.kind */
    const char *list;  /* top-level setting: "servers" */
    const char *title; /* reference section */
    const cfg_param *params;
    const char *module_param; /* names a registered module whose table is appended */
    const char *module_kind;  /* "monitor module", "router" */
    const char *(*module_at)(size_t i, const cfg_param **params);
    const char *ref_param; /* names object(s) of kind ref_kind, which must exist */
    int ref_kind;
    int (*check)(loader *L, const config_setting_t *s, const cfg_object *o, const char *label);
    size_t objs, count; /* where ferry_config keeps them */
} kind_desc;

enum { K_SERVER, K_MONITOR, K_SERVICE, K_LISTENER, K_COUNT };

static const char *monitor_at(size_t i, const cfg_param **params)
{
    const monitor_ops *m = registry_monitor_at(i);
    *params = m ? m->params : NULL;
    return m ? m->name : NULL;
}

static const char *router_at(size_t i, const cfg_param **params)
{
    const router_ops *r = registry_router_at(i);
    *params = r ? r->params : NULL;
    return r ? r->name : NULL;
}

static bool in_list(char *const *list, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0)
            return true;
    return false;
}

/* The monitor other than self that lists the server. */
static const cfg_object *owner_of(const ferry_config *cfg, const char *server,
                                  const cfg_object *self)
{
    for (size_t i = 0; i < cfg->nmonitors; i++) {
        const cfg_object *m = &cfg->monitors[i];
        size_t n;
        char **list = cfg_list(m, "servers", &n);
        if (m != self && in_list(list, n, server))
            return m;
    }
    return NULL;
}

static int check_monitor(loader *L, const config_setting_t *s, const cfg_object *o,
                         const char *label)
{
    char what[WHAT_LEN];
    size_t n;
    char **list = cfg_list(o, "servers", &n);
    for (size_t i = 0; i < n; i++) {
        const cfg_object *m = owner_of(L->cfg, list[i], o); /* monitors read before this one */
        if (in_list(list, i, list[i]))
            why(what, "server '%s' is listed twice", list[i]);
        else if (m)
            why(what, "server '%s' already belongs to monitor '%s' (line %d)", list[i], m->name,
                m->line);
        else
            continue;
        return param_fail(L, member(s, "servers"), label, "servers", what);
    }
    return 0;
}

static int check_listener(loader *L, const config_setting_t *s, const cfg_object *o,
                          const char *label)
{
    char what[WHAT_LEN];
    int64_t port = cfg_int(o, "port");
    for (size_t i = 0; i < L->cfg->nlisteners; i++) {
        const cfg_object *l = &L->cfg->listeners[i];
        if (l != o && cfg_int(l, "port") == port) {
            why(what, "port %lld is already used by listener '%s' (line %d)", (long long)port,
                l->name, l->line);
            return param_fail(L, member(s, "port"), label, "port", what);
        }
    }
    return 0;
}

/* Lets the router check what its own parameters mean (ferryd --check too). */
static int check_service(loader *L, const config_setting_t *s, const cfg_object *o,
                         const char *label)
{
    const router_ops *r = registry_router(cfg_str(o, "router"));
    char what[WHAT_LEN] = "";
    if (!r || !r->check || r->check(o, what, sizeof what) == 0)
        return 0;
    return fail(L, s, "%s: %s", label, what);
}

#define SLOT(objs_, n) .objs = offsetof(ferry_config, objs_), .count = offsetof(ferry_config, n)

static const kind_desc KINDS[K_COUNT] = {
    [K_SERVER] = {.kind = "server",
                  .list = "servers",
                  .title = "servers",
                  .params = CFG_SERVER_PARAMS,
                  SLOT(servers, nservers)},
    [K_MONITOR] = {.kind = "monitor",
                   .list = "monitors",
                   .title = "monitors (all modules)",
                   .params = CFG_MONITOR_PARAMS,
                   .module_param = "module",
                   .module_kind = "monitor module",
                   .module_at = monitor_at,
                   .ref_param = "servers",
                   .ref_kind = K_SERVER,
                   .check = check_monitor,
                   SLOT(monitors, nmonitors)},
    [K_SERVICE] = {.kind = "service",
                   .list = "services",
                   .title = "services (all routers)",
                   .params = CFG_SERVICE_PARAMS,
                   .module_param = "router",
                   .module_kind = "router",
                   .module_at = router_at,
                   .ref_param = "cluster",
                   .ref_kind = K_MONITOR,
                   .check = check_service,
                   SLOT(services, nservices)},
    [K_LISTENER] = {.kind = "listener",
                    .list = "listeners",
                    .title = "listeners",
                    .params = CFG_LISTENER_PARAMS,
                    .ref_param = "service",
                    .ref_kind = K_SERVICE,
                    .check = check_listener,
                    SLOT(listeners, nlisteners)},
};

static cfg_object **objs_of(const ferry_config *cfg, const kind_desc *k, size_t **n)
{
    *n = (size_t *)((char *)cfg + k->count);
    return (cfg_object **)((char *)cfg + k->objs);
}

static const cfg_object *find_object(const ferry_config *cfg, const kind_desc *k, const char *name,
                                     const cfg_object *skip)
{
    size_t *n;
    cfg_object *objs = *objs_of(cfg, k, &n);
    for (size_t i = 0; i < *n; i++)
        if (&objs[i] != skip && objs[i].name && strcmp(objs[i].name, name) == 0)
            return &objs[i];
    return NULL;
}

static int check_name(loader *L, const config_setting_t *s, const cfg_object *o, const char *label)
{
    char what[WHAT_LEN] = "";
    const cfg_object *other = NULL;
    for (int k = 0; k < K_COUNT && !other; k++)
        other = find_object(L->cfg, &KINDS[k], o->name, o);
    if (other)
        why(what, "duplicate name '%s' (also a %s at line %d)", o->name, other->kind, other->line);
    else if (!*o->name)
        why(what, "the name must not be empty");
    else if (strcmp(o->name, "ferry") == 0)
        why(what, "the name 'ferry' is reserved for the global group");
    return *what ? param_fail(L, member(s, "name"), label, "name", what) : 0;
}

static int check_refs(loader *L, const kind_desc *k, const config_setting_t *s, const cfg_object *o,
                      const char *label)
{
    if (!k->ref_param)
        return 0;
    const cfg_value *v = &o->values[param_index(o->params, k->ref_param)];
    char *const *names = v->list ? v->list : &v->str;
    size_t n = v->list ? v->nlist : 1;
    char what[WHAT_LEN];
    for (size_t i = 0; i < n; i++) {
        if (find_object(L->cfg, &KINDS[k->ref_kind], names[i], NULL))
            continue;
        why(what, "no %s named '%s'", KINDS[k->ref_kind].kind, names[i]);
        return param_fail(L, member(s, k->ref_param), label, k->ref_param, what);
    }
    return 0;
}

static cfg_param *merge_params(const cfg_param *a, const cfg_param *b)
{
    size_t na = count_params(a), nb = count_params(b);
    cfg_param *m = xalloc(calloc(na + nb + 1, sizeof *m));
    memcpy(m, a, na * sizeof *m);
    for (size_t i = 0; i < nb; i++) {
        if (param_index(a, b[i].name) >= 0) {
            fprintf(stderr, "ferry: module parameter '%s' is already a common one\n", b[i].name);
            abort();
        }
        m[na + i] = b[i];
    }
    return m;
}

/* Appends a module's parameters to o's table (which o then owns), with room for their values. */
static void extend_params(cfg_object *o, const cfg_param *extra)
{
    size_t n = count_params(o->params), total = n + count_params(extra);
    o->params = merge_params(o->params, extra);
    o->values = xalloc(realloc(o->values, (total + 1) * sizeof *o->values));
    memset(o->values + n, 0, (total + 1 - n) * sizeof *o->values);
}

/* Reads the module parameter and appends that module's table to o's. */
static int add_module_params(loader *L, const kind_desc *k, const config_setting_t *s,
                             cfg_object *o, const char *label)
{
    int rc = read_member(L, s, o, k->module_param, label);
    if (rc != 0)
        return rc < 0 ? -1 : missing(L, s, label, k->module_param);
    const char *module = cfg_str(o, k->module_param), *name;
    const cfg_param *extra;
    char what[WHAT_LEN], known[WHAT_LEN] = "";
    for (size_t i = 0; (name = k->module_at(i, &extra)); i++) {
        if (strcmp(name, module) == 0) {
            extend_params(o, extra);
            return 0;
        }
        append(known, sizeof known, name);
    }
    why(what, "no %s named '%s' (known: %s)", k->module_kind, module, known);
    return param_fail(L, member(s, k->module_param), label, k->module_param, what);
}

static int load_object(loader *L, const kind_desc *k, const config_setting_t *s, size_t index,
                       cfg_object *o)
{
    char label[LABEL_LEN];
    snprintf(label, sizeof label, "%s #%zu", k->kind, index + 1);
    if (!config_setting_is_group(s))
        return fail(L, s, "%s: expected a group { ... }, got %s", label, type_name(s));
    init_object(o, k->kind, s, k->params);
    int rc = read_member(L, s, o, "name", label);
    if (rc != 0)
        return rc < 0 ? -1 : missing(L, s, label, "name");
    o->name = xstrdup(cfg_str(o, "name"));
    snprintf(label, sizeof label, "%s '%s'", k->kind, o->name);
    if (check_name(L, s, o, label) < 0)
        return -1;
    if (k->module_param && add_module_params(L, k, s, o, label) < 0)
        return -1;
    if (read_object(L, s, o, label) < 0 || check_refs(L, k, s, o, label) < 0)
        return -1;
    return k->check ? k->check(L, s, o, label) : 0;
}

static int load_list(loader *L, const config_setting_t *root, const kind_desc *k)
{
    const config_setting_t *list = config_setting_get_member(root, k->list);
    if (!list)
        return 0;
    if (!config_setting_is_list(list) && !config_setting_is_array(list))
        return fail(L, list, "'%s' must be a list of groups ( { ... }, ... ), got %s", k->list,
                    type_name(list));
    size_t n = (size_t)config_setting_length(list), *count;
    cfg_object **objs = objs_of(L->cfg, k, &count);
    *objs = xalloc(calloc(n + 1, sizeof **objs));
    for (size_t i = 0; i < n; i++) {
        *count = i + 1; /* the partly read one too, so that config_free frees it */
        if (load_object(L, k, config_setting_get_elem(list, (unsigned)i), i, &(*objs)[i]) < 0)
            return -1;
    }
    return 0;
}

static int check_top_level(loader *L, const config_setting_t *root)
{
    char known[WHAT_LEN] = "ferry";
    for (int k = 0; k < K_COUNT; k++)
        append(known, sizeof known, KINDS[k].list);
    for (int i = 0; i < config_setting_length(root); i++) {
        const config_setting_t *c = config_setting_get_elem(root, (unsigned)i);
        const char *name = config_setting_name(c);
        bool ok = strcmp(name, "ferry") == 0;
        for (int k = 0; k < K_COUNT && !ok; k++)
            ok = strcmp(name, KINDS[k].list) == 0;
        if (!ok)
            return fail(L, c, "unknown setting '%s' (known: %s)", name, known);
    }
    return 0;
}

/* A TCP admin port is an open door without users to check. */
static int check_global(loader *L, const config_setting_t *s)
{
    const cfg_object *g = &L->cfg->global;
    size_t nusers;
    cfg_groups(g, "admin_users", &nusers);
    if (cfg_int(g, "admin_port") == 0 || nusers > 0)
        return 0;
    return param_fail(L, member(s, "admin_port"), "ferry", "admin_port",
                      "the TCP admin listener needs admin_users ( { name = \"...\"; password = "
                      "\"...\"; } ) with hashes from ferryctl hash-password");
}

static int load_global(loader *L, const config_setting_t *root)
{
    const config_setting_t *s = config_setting_get_member(root, "ferry");
    const config_setting_t *subst = s ? config_setting_get_member(s, "substitute_variables") : 0;
    L->subst =
        subst && config_setting_type(subst) == CONFIG_TYPE_BOOL && config_setting_get_bool(subst);
    init_object(&L->cfg->global, "ferry", s, CFG_GLOBAL_PARAMS);
    L->cfg->global.name = xstrdup("ferry");
    if (s && !config_setting_is_group(s))
        return fail(L, s, "ferry: expected a group { ... }, got %s", type_name(s));
    if (read_object(L, s, &L->cfg->global, "ferry") < 0)
        return -1;
    return check_global(L, s);
}

static int load_root(loader *L, const config_setting_t *root)
{
    if (check_top_level(L, root) < 0 || load_global(L, root) < 0)
        return -1;
    for (int k = 0; k < K_COUNT; k++)
        if (load_list(L, root, &KINDS[k]) < 0)
            return -1;
    return 0;
}

static int parse_file(loader *L, config_t *lc)
{
    FILE *f = fopen(L->path, "r");
    if (!f) {
        snprintf(L->err, L->errlen, "%s: cannot open: %s", L->path, strerror(errno));
        return -1;
    }
    fclose(f);
    config_init(lc);
    if (config_read_file(lc, L->path))
        return 0;
    if (config_error_type(lc) == CONFIG_ERR_FILE_IO)
        snprintf(L->err, L->errlen, "%s: cannot read: %s", L->path, config_error_text(lc));
    else
        snprintf(L->err, L->errlen, "%s:%d: %s",
                 config_error_file(lc) ? config_error_file(lc) : L->path, config_error_line(lc),
                 config_error_text(lc));
    config_destroy(lc);
    return -1;
}

int config_load(const char *path, ferry_config *cfg, char *err, size_t errlen)
{
    loader L = {.path = path, .cfg = cfg, .err = err, .errlen = errlen};
    config_t lc;
    memset(cfg, 0, sizeof *cfg);
    if (parse_file(&L, &lc) < 0)
        return -1;
    cfg->path = xstrdup(path);
    int rc = load_root(&L, config_root_setting(&lc));
    config_destroy(&lc);
    if (rc < 0)
        config_free(cfg);
    return rc;
}

void config_free(ferry_config *cfg)
{
    for (int k = 0; k < K_COUNT; k++) {
        size_t *n;
        cfg_object **objs = objs_of(cfg, &KINDS[k], &n);
        for (size_t i = 0; i < *n; i++)
            free_object(&(*objs)[i], KINDS[k].params);
        free(*objs);
    }
    free_object(&cfg->global, CFG_GLOBAL_PARAMS);
    free(cfg->path);
    memset(cfg, 0, sizeof *cfg);
}

const cfg_object *config_server(const ferry_config *cfg, const char *name)
{
    return find_object(cfg, &KINDS[K_SERVER], name, NULL);
}

const cfg_object *config_monitor(const ferry_config *cfg, const char *name)
{
    return find_object(cfg, &KINDS[K_MONITOR], name, NULL);
}

const cfg_object *config_service(const ferry_config *cfg, const char *name)
{
    return find_object(cfg, &KINDS[K_SERVICE], name, NULL);
}

/* ---- accessors ---- */

#define TYPE(t) (1u << (t))

/* The value of a parameter of one of the given types; anything else is a bug in the caller. */
static const cfg_value *value_of(const cfg_object *o, const char *name, unsigned types,
                                 const char *fn)
{
    int i = param_index(o->params, name);
    if (i < 0 || !(TYPE(o->params[i].type) & types)) {
        fprintf(stderr, "ferry: %s: %s has no parameter '%s' of that type\n", fn, o->kind, name);
        abort();
    }
    return &o->values[i];
}

const char *cfg_str(const cfg_object *o, const char *name)
{
    return value_of(o, name, TYPE(CFG_STRING) | TYPE(CFG_ENUM) | TYPE(CFG_AUTO_INT), __func__)->str;
}

int64_t cfg_int(const cfg_object *o, const char *name)
{
    return value_of(o, name, TYPE(CFG_INT) | TYPE(CFG_AUTO_INT), __func__)->num;
}

bool cfg_bool(const cfg_object *o, const char *name)
{
    return value_of(o, name, TYPE(CFG_BOOL), __func__)->flag;
}

char **cfg_list(const cfg_object *o, const char *name, size_t *n)
{
    const cfg_value *v = value_of(o, name, TYPE(CFG_STRLIST), __func__);
    if (n)
        *n = v->nlist;
    return v->list;
}

const cfg_object *cfg_group(const cfg_object *o, const char *name)
{
    return value_of(o, name, TYPE(CFG_GROUP), __func__)->group;
}

const cfg_object *cfg_groups(const cfg_object *o, const char *name, size_t *n)
{
    const cfg_value *v = value_of(o, name, TYPE(CFG_GROUPLIST), __func__);
    *n = v->ngroups;
    return v->group;
}

bool cfg_is_set(const cfg_object *o, const char *name)
{
    return value_of(o, name, ~0u, __func__)->set;
}

void cfg_adopt(cfg_object *to, const cfg_object *from, const char *name)
{
    const unsigned scalar = TYPE(CFG_STRING) | TYPE(CFG_ENUM) | TYPE(CFG_INT) | TYPE(CFG_BOOL);
    const cfg_value *src = value_of(from, name, scalar, __func__);
    cfg_value *dst = (cfg_value *)value_of(to, name, scalar, __func__);
    char *str = src->str ? xstrdup(src->str) : NULL;
    free(dst->str);
    *dst = (cfg_value){.set = src->set, .str = str, .num = src->num, .flag = src->flag};
}

/* ---- the Markdown reference ---- */

static void print_type(FILE *out, const cfg_param *p)
{
    static const char *const names[] = {
        [CFG_STRING] = "string",
        [CFG_INT] = "integer",
        [CFG_BOOL] = "boolean",
        [CFG_STRLIST] = "list of strings",
        [CFG_ENUM] = "one of",
        [CFG_GROUP] = "group",
        [CFG_AUTO_INT] = "`auto` or integer",
        [CFG_GROUPLIST] = "list of groups",
    };
    fputs(names[p->type], out);
    for (const char *const *c = p->choices; p->type == CFG_ENUM && *c; c++)
        fprintf(out, "%s `%s`", c == p->choices ? "" : ",", *c);
    if (takes_int(p->type) && (p->min || p->max))
        fprintf(out, " %lld..%lld", (long long)p->min, (long long)p->max);
}

/* Table cells: a '|' would end the cell. */
static void print_cell(FILE *out, const char *text)
{
    for (; *text; text++) {
        if (*text == '|')
            fputc('\\', out);
        fputc(*text, out);
    }
}

static void print_table(FILE *out, const char *title, const cfg_param *params)
{
    fprintf(out, "### %s\n\n| parameter | type | default | description |\n|---|---|---|---|\n",
            title);
    for (const cfg_param *p = params; p->name; p++) {
        fprintf(out, "| `%s` | ", p->name);
        print_type(out, p);
        fputs(" | ", out);
        if (p->required)
            fputs("required", out);
        else if (p->def)
            fprintf(out, "`%s`", p->def);
        fputs(" | ", out);
        print_cell(out, p->help ? p->help : "");
        fputs(" |\n", out);
    }
    fputc('\n', out);
    for (const cfg_param *p = params; p->name; p++) {
        char sub[LABEL_LEN];
        snprintf(sub, sizeof sub, "%s: %s", title, p->name);
        if (p->type == CFG_GROUP || p->type == CFG_GROUPLIST)
            print_table(out, sub, p->sub);
    }
}

static void print_modules(FILE *out, const kind_desc *k)
{
    const cfg_param *params;
    const char *name;
    for (size_t i = 0; k->module_at && (name = k->module_at(i, &params)); i++) {
        char title[LABEL_LEN];
        snprintf(title, sizeof title, "%s %s", k->module_kind, name);
        if (count_params(params))
            print_table(out, title, params);
    }
}

void config_print_reference(FILE *out)
{
    print_table(out, "ferry", CFG_GLOBAL_PARAMS);
    for (int k = 0; k < K_COUNT; k++) {
        print_table(out, KINDS[k].title, KINDS[k].params);
        print_modules(out, &KINDS[k]);
    }
}
