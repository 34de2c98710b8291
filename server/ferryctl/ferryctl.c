/*
 * ferryctl.c: ferryctl, the operator's client for ferryd's admin API (the
 * Unix socket, or the TCP admin port with --port). Parses the options, finds
 * the command in COMMANDS (verb and noun, then its arguments), prints help
 * for one command or all, and runs it.
 */
#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "ferryctl.h"
#include "server/secret.h"

#define DEFAULT_SOCKET "/run/ferry/ferryd.sock"

/* ---- the views of the lists ---- */

#define COL(t, k)                                                                                  \
    {                                                                                              \
        .title = (t), .key = (k)                                                                   \
    }
#define FMT(t, f)                                                                                  \
    {                                                                                              \
        .title = (t), .format = (f)                                                                \
    }
#define OPT(t, k)                                                                                  \
    {                                                                                              \
        .title = (t), .key = (k), .optional = true                                                 \
    }

static const column SERVER_COLS[] = {
    COL("Server", "name"),
    COL("Address", "address"),
    COL("Port", "port"),
    COL("Connections", "connections"),
    COL("State", "state"),
    COL("GTID", "gtid"),
    {0},
};
static const column SERVICE_COLS[] = {
    COL("Service", "name"),
    COL("Router", "router"),
    COL("Connections", "connections"),
    OPT("Total Connections", "total_connections"),
    COL("Servers", "servers"),
    {0},
};
static const column LISTENER_COLS[] = {
    COL("Listener", "name"),
    COL("Service", "service"),
    COL("Address", "address"),
    COL("Port", "port"),
    COL("TLS", "tls"),
    COL("Connections", "connections"),
    {0},
};
static const column MONITOR_COLS[] = {
    COL("Monitor", "name"),    COL("Module", "module"), COL("Master", "master"),
    COL("Servers", "servers"), COL("Ticks", "seq"),     {0},
};
static const column SESSION_COLS[] = {
    COL("Id", "id"),
    FMT("Client", fmt_client),
    COL("User", "user"),
    COL("Service", "service"),
    COL("State", "state"),
    FMT("Age", fmt_age),
    {0},
};

const column BINLOG_FILE_COLS[] = {
    COL("File", "name"),
    COL("Size", "size"),
    {0},
};
const column BINLOG_REPLICA_COLS[] = {
    COL("Server Id", "server_id"),
    COL("Address", "address"),
    COL("State", "state"),
    COL("File", "file"),
    COL("Position", "position"),
    COL("Behind (bytes)", "behind_bytes"),
    COL("Idle (s)", "idle_s"),
    COL("Sent (bytes)", "bytes_sent"),
    {0},
};

static const list_view SERVERS = {"/v1/servers", SERVER_COLS};
static const list_view SERVICES = {"/v1/services", SERVICE_COLS};
static const list_view LISTENERS = {"/v1/listeners", LISTENER_COLS};
static const list_view MONITORS = {"/v1/monitors", MONITOR_COLS};
static const list_view SESSIONS = {"/v1/sessions", SESSION_COLS};

/* ---- the commands ---- */

#define LIST(noun, view, what)                                                                     \
    {                                                                                              \
        "list", noun, 0, 0, "", "List the " what ".", cmd_list, &(view)                            \
    }
#define SHOW(noun, coll, what)                                                                     \
    {                                                                                              \
        "show", noun, 1, 1, "NAME", "Show everything about one " what ".", cmd_show, coll          \
    }

const command COMMANDS[] = {
    LIST("servers", SERVERS, "servers: address, connections, state and GTID"),
    LIST("services", SERVICES, "services: router, connections and servers"),
    LIST("listeners", LISTENERS, "listeners: service, address, port, TLS and connections"),
    LIST("monitors", MONITORS, "monitors: module, master and servers"),
    LIST("sessions", SESSIONS, "client sessions: client, user, service, state and age"),
    SHOW("server", "servers", "server"),
    SHOW("service", "services", "service"),
    SHOW("monitor", "monitors", "monitor (and its latest view of the cluster, with --json)"),
    SHOW("listener", "listeners", "listener"),
    {"show", "session", 1, 1, "ID", "Show one client session.", cmd_show, "sessions"},
    {"set", "server", 2, 2, "NAME maintenance|drain",
     "Put a server in maintenance (no traffic; the monitor moves the Master role away) or "
     "drain it (no new sessions). Waits until the monitor has applied it.",
     cmd_set, NULL},
    {"clear", "server", 2, 2, "NAME maintenance|drain",
     "Take a server out of maintenance or drain.", cmd_clear, NULL},
    {"alter", "server", 3, 3, "NAME priority N",
     "Change a server's master election priority (see the monitor's use_priority; a "
     "negative one, written after --, never becomes master).",
     cmd_alter, NULL},
    {"switchover", NULL, 1, 2, "MONITOR [SERVER]",
     "Move the Master role to SERVER (default: the best other usable server) at the next "
     "monitor tick. It stays there while SERVER is usable; waits until the monitor shows it.",
     cmd_switchover, NULL},
    {"binlog", "status", 1, 1, "SERVICE",
     "Show a binlog relay: its upstream master, committed GTID state, files, and the "
     "replicas reading it with their positions and how many bytes they are behind.",
     cmd_binlog_status, NULL},
    {"kill", "session", 1, 1, "ID", "Close a client session.", cmd_kill, NULL},
    {"rotate", "logs", 0, 0, "", "Reopen ferryd's log file (after logrotate moved it).", cmd_rotate,
     NULL},
    {"reload", NULL, 0, 0, "",
     "Read the configuration file again: an error changes nothing; log_level and server "
     "priorities take effect at once, other changes are listed as needing a restart; every "
     "service reloads its user accounts.",
     cmd_reload, NULL},
    {"metrics", NULL, 0, 0, "", "Print the Prometheus metrics (GET /metrics).", cmd_metrics, NULL},
    {"keygen", NULL, 0, 1, "[FILE]",
     "Write a new key for encrypted passwords to FILE (default -k, else " SECRET_DEFAULT_KEY
     "), mode 0400; --owner USER gives it to ferryd's user. Never overwrites a key.",
     cmd_keygen, NULL},
    {"encrypt", NULL, 1, 1, "PASSWORD",
     "Print PASSWORD encrypted with the key (-k FILE) for any password parameter; "
     "\"-\" reads it from standard input.",
     cmd_encrypt, NULL},
    {"hash-password", NULL, 0, 1, "[PASSWORD]",
     "Print a salted hash of PASSWORD (PBKDF2-SHA256) for the password of a user in "
     "ferry.admin_users; without PASSWORD, or with \"-\", it is read from standard input.",
     cmd_hash_password, NULL},
    {0},
};

/* ---- help ---- */

static void usage_line(FILE *out, const command *cmd)
{
    fprintf(out, "  ferryctl %s%s%s%s%s\n", cmd->verb, cmd->noun ? " " : "",
            cmd->noun ? cmd->noun : "", *cmd->args ? " " : "", cmd->args);
}

static void help_all(FILE *out)
{
    fputs("Usage: ferryctl [OPTIONS] COMMAND [ARGS]\n"
          "The command-line client of ferryd's admin API.\n\nCommands:\n",
          out);
    for (const command *cmd = COMMANDS; cmd->verb; cmd++)
        usage_line(out, cmd);
    fputs("\nOptions:\n"
          "  -S, --socket PATH   ferryd's admin socket (default $FERRY_SOCKET, else " DEFAULT_SOCKET
          ")\n"
          "      --port PORT     use ferryd's TCP admin port (ferry.admin_port) instead\n"
          "      --host HOST     its address (default 127.0.0.1)\n"
          "      --user USER     a user of ferry.admin_users\n"
          "      --password PW   that user's password (default $FERRY_ADMIN_PASSWORD)\n"
          "      --tls           use TLS, verifying ferryd's certificate with the system's CAs\n"
          "      --tls-ca FILE   use TLS, verifying ferryd's certificate with this CA\n"
          "      --json          print the API's JSON instead of a table\n"
          "  -k, --key-file FILE key file for keygen and encrypt\n"
          "      --owner USER    owner of the key file written by keygen\n"
          "  -h, --help          help; with a command, that command's help\n"
          "  -V, --version       print the version\n\n"
          "Exit status: 0 on success, 1 when ferryd refuses or cannot be reached (the reason\n"
          "is printed), 2 on a usage error.\n",
          out);
}

/* Prints text indented by two spaces, wrapped before column 78. */
static void print_wrapped(const char *text)
{
    size_t col = 0;
    fputs("\n ", stdout);
    while (*text) {
        size_t word = strcspn(text, " ");
        if (col > 0 && col + 1 + word > 76) {
            fputs("\n ", stdout);
            col = 0;
        }
        printf(" %.*s", (int)word, text);
        col += word + 1;
        text += word;
        text += strspn(text, " ");
    }
    putchar('\n');
}

/* Help of the commands matching the words given (verb, optional noun). */
static int help_for(int argc, char **argv)
{
    int shown = 0;
    for (const command *cmd = COMMANDS; cmd->verb; cmd++) {
        if (argc > 0 && strcmp(cmd->verb, argv[0]) != 0)
            continue;
        if (argc > 1 && cmd->noun && strcmp(cmd->noun, argv[1]) != 0)
            continue;
        if (shown++)
            putchar('\n');
        fputs("Usage:\n", stdout);
        usage_line(stdout, cmd);
        print_wrapped(cmd->help);
    }
    if (!shown) {
        fprintf(stderr, "ferryctl: unknown command '%s' (ferryctl --help lists them)\n", argv[0]);
        return EXIT_USAGE;
    }
    return 0;
}

/* ---- dispatch ---- */

static const command *find(int argc, char **argv, int *words)
{
    for (const command *cmd = COMMANDS; cmd->verb; cmd++) {
        if (strcmp(cmd->verb, argv[0]) != 0)
            continue;
        *words = cmd->noun ? 2 : 1;
        if (!cmd->noun || (argc > 1 && strcmp(cmd->noun, argv[1]) == 0))
            return cmd;
    }
    return NULL;
}

static int run(const ctl *c, int argc, char **argv)
{
    int words = 1;
    const command *cmd = find(argc, argv, &words);
    if (!cmd) {
        fprintf(stderr, "ferryctl: unknown command '%s%s%s' (ferryctl --help lists them)\n",
                argv[0], argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
        return EXIT_USAGE;
    }
    int nargs = argc - words;
    if (nargs < cmd->min_args || nargs > cmd->max_args) {
        fputs("ferryctl: wrong number of arguments. Usage:\n", stderr);
        usage_line(stderr, cmd);
        return EXIT_USAGE;
    }
    return cmd->run(c, argv + words, cmd->data);
}

/* The options that pick the TCP admin port; a usage error is reported here. */
static int check_target(admin_target *t)
{
    if (!t->port && (t->host || t->user || t->tls || t->tls_ca)) {
        fputs("ferryctl: --host, --user, --tls and --tls-ca need --port\n", stderr);
        return EXIT_USAGE;
    }
    if (!t->socket || !*t->socket)
        t->socket = DEFAULT_SOCKET;
    if (!t->host)
        t->host = "127.0.0.1";
    if (!t->password)
        t->password = getenv("FERRY_ADMIN_PASSWORD");
    if (t->user && !t->password) {
        fputs("ferryctl: --user needs --password or FERRY_ADMIN_PASSWORD\n", stderr);
        return EXIT_USAGE;
    }
    return 0;
}

/* Sets what opt names in c; false for an unknown option. */
static bool take_option(ctl *c, int opt, bool *help)
{
    switch (opt) {
    case 'S':
        c->target.socket = optarg;
        break;
    case 'H':
        c->target.host = optarg;
        break;
    case 'P':
        c->target.port = optarg;
        break;
    case 'u':
        c->target.user = optarg;
        break;
    case 'p':
        c->target.password = optarg;
        break;
    case 'C':
        c->target.tls_ca = optarg;
        break;
    case 'T':
        c->target.tls = true;
        break;
    case 'j':
        c->json = true;
        break;
    case 'k':
        c->key_file = optarg;
        break;
    case 'o':
        c->owner = optarg;
        break;
    case 'h':
        *help = true;
        break;
    default:
        return false;
    }
    return true;
}

int main(int argc, char **argv)
{
    static const struct option OPTS[] = {{"socket", required_argument, NULL, 'S'},
                                         {"host", required_argument, NULL, 'H'},
                                         {"port", required_argument, NULL, 'P'},
                                         {"user", required_argument, NULL, 'u'},
                                         {"password", required_argument, NULL, 'p'},
                                         {"tls-ca", required_argument, NULL, 'C'},
                                         {"tls", no_argument, NULL, 'T'},
                                         {"json", no_argument, NULL, 'j'},
                                         {"key-file", required_argument, NULL, 'k'},
                                         {"owner", required_argument, NULL, 'o'},
                                         {"help", no_argument, NULL, 'h'},
                                         {"version", no_argument, NULL, 'V'},
                                         {NULL, 0, NULL, 0}};
    ctl c = {.target.socket = getenv("FERRY_SOCKET")};
    bool help = false;
    int opt;
    while ((opt = getopt_long(argc, argv, "S:k:hV", OPTS, NULL)) != -1) {
        if (opt == 'V') {
            printf("ferryctl %s\n", FERRY_VERSION);
            return 0;
        }
        if (!take_option(&c, opt, &help)) {
            fputs("ferryctl --help lists the options\n", stderr);
            return EXIT_USAGE;
        }
    }
    if (check_target(&c.target))
        return EXIT_USAGE;
    argc -= optind;
    argv += optind;
    if (argc > 0 && strcmp(argv[0], "help") == 0)
        return argc > 1 ? help_for(argc - 1, argv + 1) : (help_all(stdout), 0);
    if (help || argc == 0) {
        if (argc > 0)
            return help_for(argc, argv);
        help_all(help ? stdout : stderr);
        return help ? 0 : EXIT_USAGE;
    }
    return run(&c, argc, argv);
}
