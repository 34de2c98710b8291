/*
 * config.h: ferryd's configuration. The file is libconfig syntax with four
 * lists of objects (servers, monitors, services, listeners) and a "ferry"
 * group. Each kind of object has a table of parameters (cfg_param); monitors
 * and services add the parameters of their module, looked up in the registry.
 * config_load checks everything a typo can break (unknown parameters, wrong
 * types, out-of-range values, dangling names, duplicate names and ports) and
 * reports the first error as "FILE:LINE: KIND 'NAME': parameter 'P': what".
 */
#ifndef FERRY_SERVER_CONFIG_H
#define FERRY_SERVER_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

typedef enum cfg_type {
    CFG_STRING,
    CFG_INT,
    CFG_BOOL,
    CFG_STRLIST,   /* an array of strings: [ "a", "b" ] */
    CFG_ENUM,      /* a string, one of choices */
    CFG_GROUP,     /* a nested group with its own parameter table (sub) */
    CFG_AUTO_INT,  /* the string "auto" (num = 0) or an integer in min..max; str holds the text */
    CFG_GROUPLIST, /* a list of groups ( { ... }, ... ) with the table sub; names unique */
} cfg_type;

typedef struct cfg_param {
    const char *name;
    cfg_type type;
    const char *def; /* default as text (NULL: none); documents itself in the README */
    bool required;
    int64_t min, max;            /* CFG_INT, CFG_AUTO_INT bounds (both 0: unbounded) */
    const char *const *choices;  /* CFG_ENUM: NULL-terminated */
    const struct cfg_param *sub; /* CFG_GROUP, CFG_GROUPLIST: NULL-terminated by name == NULL */
    const char *help;            /* one line for the README and --help-config */
    /* CFG_STRING: what the value must look like beyond its type; 0 or -1 with err. */
    int (*check)(const char *value, char *err, size_t errlen);
} cfg_param;

typedef struct cfg_object cfg_object;

typedef struct cfg_value {
    bool set;    /* given in the file (false: default applies) */
    char *str;   /* CFG_STRING, CFG_ENUM */
    int64_t num; /* CFG_INT */
    bool flag;   /* CFG_BOOL */
    char **list; /* CFG_STRLIST */
    size_t nlist;
    cfg_object *group; /* CFG_GROUP (NULL when not given); CFG_GROUPLIST: an array */
    size_t ngroups;    /* objects in group */
} cfg_value;

struct cfg_object {
    char *name;       /* "name" parameter; for the ferry group, "ferry" */
    const char *kind; /* "server", "monitor", "service", "listener", "ferry", or the group's name */
    int line;
    const cfg_param *params; /* NULL-terminated (name == NULL) */
    cfg_value *values;       /* one per param, defaults filled in */
};

/* Accessors by parameter name; asking for a name not in the table aborts. */
const char *cfg_str(const cfg_object *o, const char *name); /* NULL when unset and no default */
int64_t cfg_int(const cfg_object *o, const char *name);
bool cfg_bool(const cfg_object *o, const char *name);
char **cfg_list(const cfg_object *o, const char *name, size_t *n);
const cfg_object *cfg_group(const cfg_object *o, const char *name); /* NULL when not given */
const cfg_object *cfg_groups(const cfg_object *o, const char *name, size_t *n); /* GROUPLIST */
bool cfg_is_set(const cfg_object *o, const char *name);
/* Copies the value of one scalar parameter (string, enum, int, bool) from
 * another object of the same kind: a reload keeps what it applied at runtime
 * in the running configuration, so it is shown and compared from then on. */
void cfg_adopt(cfg_object *to, const cfg_object *from, const char *name);
/* A parameter holding a password ("password", "replication_password", ...):
 * it may be encrypted (enc:v1:) and is never shown. */
bool cfg_is_password(const cfg_param *p);

typedef struct ferry_config {
    char *path;
    cfg_object global; /* the "ferry" group */
    cfg_object *servers;
    size_t nservers;
    cfg_object *monitors;
    size_t nmonitors;
    cfg_object *services;
    size_t nservices;
    cfg_object *listeners;
    size_t nlisteners;
} ferry_config;

/* Returns 0, or -1 with the error in err. */
int config_load(const char *path, ferry_config *cfg, char *err, size_t errlen);
void config_free(ferry_config *cfg);

/* Lookups by name (NULL when absent). */
const cfg_object *config_server(const ferry_config *cfg, const char *name);
const cfg_object *config_monitor(const ferry_config *cfg, const char *name);
const cfg_object *config_service(const ferry_config *cfg, const char *name);

/* The fixed parameter tables of each kind (modules add theirs). */
extern const cfg_param CFG_GLOBAL_PARAMS[];
extern const cfg_param CFG_SERVER_PARAMS[];
extern const cfg_param CFG_MONITOR_PARAMS[];
extern const cfg_param CFG_SERVICE_PARAMS[];
extern const cfg_param CFG_LISTENER_PARAMS[];
extern const cfg_param CFG_TLS_PARAMS[];

/* Prints every parameter of every kind and module as a Markdown table. */
void config_print_reference(FILE *out);

#endif
