/*
 * srv_sql.c: libmariadb handles set up for a configured server (see
 * srv_sql.h).
 */
#include "server/srv_sql.h"

#include <mysql.h>

static void set_timeout(MYSQL *c, enum mysql_option opt, unsigned seconds)
{
    if (seconds)
        mysql_optionsv(c, opt, &seconds);
}

static void set_file(MYSQL *c, enum mysql_option opt, const cfg_object *tls, const char *name)
{
    const char *path = cfg_str(tls, name);
    if (path && *path)
        mysql_optionsv(c, opt, path);
}

/* TLS required; the files and the verification of the server's certificate
 * as configured. */
static void set_tls(MYSQL *c, const cfg_object *tls)
{
    my_bool on = 1, verify = cfg_bool(tls, "verify_peer");
    mysql_optionsv(c, MYSQL_OPT_SSL_ENFORCE, &on);
    set_file(c, MYSQL_OPT_SSL_CA, tls, "ca");
    set_file(c, MYSQL_OPT_SSL_CERT, tls, "cert");
    set_file(c, MYSQL_OPT_SSL_KEY, tls, "key");
    mysql_optionsv(c, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
}

MYSQL *srv_sql_init(const ferry_server *srv, unsigned connect_s, unsigned read_s, unsigned write_s)
{
    MYSQL *c = mysql_init(NULL);
    if (!c)
        return NULL;
    set_timeout(c, MYSQL_OPT_CONNECT_TIMEOUT, connect_s);
    set_timeout(c, MYSQL_OPT_READ_TIMEOUT, read_s);
    set_timeout(c, MYSQL_OPT_WRITE_TIMEOUT, write_s);
    const cfg_object *tls = cfg_group(srv->cfg, "tls");
    if (tls)
        set_tls(c, tls);
    return c;
}
