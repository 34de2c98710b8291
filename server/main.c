/*
 * main.c: ferryd, the Ferry daemon. Parses the command line, loads and checks
 * the configuration, starts monitors, user caches, workers and listeners,
 * then runs the main thread's loop (accepting and signals) until SIGTERM or
 * SIGINT, and shuts everything down in reverse order.
 */
#include <event2/event.h>
#include <event2/thread.h>
#include <getopt.h>
#include <mysql.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "monitor/monitor.h"
#include "server/admin.h"
#include "server/config.h"
#include "server/listener.h"
#include "server/log.h"
#include "server/registry.h"
#include "server/service.h"
#include "server/srv.h"
#include "server/users.h"
#include "server/worker.h"

#define DEFAULT_CONFIG "/etc/ferry/ferry.conf"
#define EXIT_CONFIG    2

static void usage(FILE *out)
{
    fprintf(out,
            "Usage: ferryd [-c FILE] [--check]\n"
            "Ferry, a MariaDB proxy for Galera clusters across data centres.\n\n"
            "  -c, --config FILE   configuration file (default %s)\n"
            "      --check         validate the configuration and exit (0 valid, 2 invalid)\n"
            "      --config-reference  print every configuration parameter as Markdown\n"
            "  -V, --version       print the version and exit\n"
            "  -h, --help          print this help and exit\n\n"
            "ferryd runs in the foreground and logs to the configured log_file (or syslog).\n"
            "SIGTERM or SIGINT: stop accepting, close sessions, exit 0. SIGHUP: reopen the log.\n",
            DEFAULT_CONFIG);
}

typedef struct options {
    const char *config;
    bool check;
} options;

static void parse_args(int argc, char **argv, options *o)
{
    static const struct option longopts[] = {{"config", required_argument, NULL, 'c'},
                                             {"check", no_argument, NULL, 'k'},
                                             {"config-reference", no_argument, NULL, 'r'},
                                             {"version", no_argument, NULL, 'V'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    int c;
    o->config = DEFAULT_CONFIG;
    while ((c = getopt_long(argc, argv, "c:Vh", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->config = optarg;
            break;
        case 'k':
            o->check = true;
            break;
        case 'r':
            config_print_reference(stdout);
            exit(0);
        case 'V':
            printf("ferryd %s\n", FERRY_VERSION);
            exit(0);
        case 'h':
            usage(stdout);
            exit(0);
        default:
            usage(stderr);
            exit(EXIT_CONFIG);
        }
    }
    if (optind < argc) {
        fprintf(stderr, "ferryd: unexpected argument '%s'\n", argv[optind]);
        usage(stderr);
        exit(EXIT_CONFIG);
    }
}

static int thread_count(const ferry_config *cfg)
{
    int n = (int)cfg_int(&cfg->global, "threads");
    if (n <= 0)
        n = (int)sysconf(_SC_NPROCESSORS_ONLN);
    if (n < 1)
        n = 1;
    return n < WORKER_MAX ? n : WORKER_MAX;
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
    struct event_base *base = arg;
    if (sig == SIGHUP) {
        if (log_reopen() < 0)
            log_error("cannot reopen the log file: %m");
        else
            log_notice("log file reopened");
        return;
    }
    log_notice("received %s: shutting down", sig == SIGTERM ? "SIGTERM" : "SIGINT");
    event_base_loopbreak(base);
}

static int start(ferry_config *cfg, struct event_base *base, char *err, size_t errlen)
{
    if (srv_init_all(cfg, err, errlen) < 0 || monitors_init(cfg, err, errlen) < 0 ||
        services_init(cfg, err, errlen) < 0)
        return -1;
    if (users_init_all(cfg) < 0) {
        snprintf(err, errlen, "cannot start the user account loaders");
        return -1;
    }
    int n = thread_count(cfg);
    if (workers_start(n) < 0) {
        snprintf(err, errlen, "cannot start %d worker threads", n);
        return -1;
    }
    if (monitors_start() < 0) {
        snprintf(err, errlen, "cannot start the monitor threads");
        return -1;
    }
    log_notice("%d worker threads running", n);
    if (listeners_open(cfg, base, err, errlen) < 0)
        return -1;
    return admin_start(cfg, base, err, errlen);
}

static void stop(void)
{
    listeners_disable();
    services_stop();
    monitors_stop();
    users_stop_all();
    workers_stop();
    admin_stop();
    listeners_free();
    users_free_all();
    services_free();
    srv_free_all();
}

static int run(ferry_config *cfg)
{
    char err[1024] = "";
    struct event_base *base = event_base_new();
    struct event *sigs[3];
    const int signums[3] = {SIGTERM, SIGINT, SIGHUP};
    for (int i = 0; i < 3; i++) {
        sigs[i] = evsignal_new(base, signums[i], on_signal, base);
        event_add(sigs[i], NULL);
    }
    int rc = 0;
    if (start(cfg, base, err, sizeof(err)) < 0) {
        log_error("cannot start: %s", err);
        rc = 1;
    } else {
        log_notice("ferryd %s started with %s", FERRY_VERSION, cfg->path);
        event_base_dispatch(base);
    }
    stop();
    for (int i = 0; i < 3; i++)
        event_free(sigs[i]);
    event_base_free(base);
    log_notice("ferryd stopped");
    return rc;
}

/* The log of ferry.log_target; -1 (errno set) when the log file cannot be opened. */
static int open_log(const cfg_object *g)
{
    log_level level = (log_level)log_level_parse(cfg_str(g, "log_level"));
    if (strcmp(cfg_str(g, "log_target"), "syslog") != 0)
        return log_open(cfg_str(g, "log_file"), level);
    log_open_syslog(level, cfg_str(g, "log_facility"));
    return 0;
}

int main(int argc, char **argv)
{
    options o = {0};
    modules_register_all(); /* before parse_args: --config-reference lists module parameters */
    parse_args(argc, argv, &o);
    ferry_config cfg;
    char err[1024];
    if (config_load(o.config, &cfg, err, sizeof(err)) < 0) {
        fprintf(stderr, "ferryd: %s\n", err);
        return EXIT_CONFIG;
    }
    if (o.check) {
        printf("ferryd: %s is valid\n", o.config);
        config_free(&cfg);
        return 0;
    }
    if (open_log(&cfg.global) < 0) {
        fprintf(stderr, "ferryd: cannot open log file '%s': %m\n",
                cfg_str(&cfg.global, "log_file"));
        config_free(&cfg);
        return EXIT_CONFIG;
    }
    signal(SIGPIPE, SIG_IGN);
    evthread_use_pthreads();
    mysql_library_init(0, NULL, NULL);
    int rc = run(&cfg);
    mysql_library_end();
    config_free(&cfg);
    log_close();
    return rc;
}
