/*
 * handshake.c: the connection phase. Encodes and decodes the server greeting
 * (v10 with MariaDB's extended capabilities), the client's handshake response
 * and SSL_REQUEST, auth switch requests and COM_CHANGE_USER. Sessions use it
 * towards clients, backend connections towards servers.
 *
 * Decoders are strict: every field the capability flags announce must be
 * present and names must be NUL-terminated inside the payload and fit their
 * arrays; otherwise PROTO_BAD. Bytes after the last announced field are
 * ignored (as MariaDB does).
 *
 * Auth switch data: for mysql_native_password the server sends the 20-byte
 * scramble followed by a NUL. proto_auth_switch_write appends that NUL and
 * proto_auth_switch_parse strips it, for that plugin only (other plugins'
 * data, e.g. ed25519's nonce, may legitimately end in 0 and pass untouched).
 */
#include "protocol/handshake.h"
#include "protocol/packet.h"

#include <string.h>

#define GREETING_FILLER   6  /* reserved bytes before the 4 of extended caps */
#define RESPONSE_FILLER   19 /* reserved bytes before the 4 of extended caps */
#define SCRAMBLE_PART1    8
#define SCRAMBLE_PART2    (PROTO_SCRAMBLE_LEN - SCRAMBLE_PART1)
#define PLUGIN_AUTH_DATA  (PROTO_SCRAMBLE_LEN + 1)
#define COM_CHANGE_USER_B 0x11

/* How auth data is carried: lenenc, a 1-byte length, or NUL-terminated. */
enum auth_form { AUTH_LENENC, AUTH_LEN8, AUTH_NULSTR };

/* Reads a NUL-terminated string into dst (cap bytes with its NUL); too long is bad. */
static void get_name(proto_rd *r, char *dst, size_t cap)
{
    size_t n;
    const char *s = proto_get_nulstr(r, &n);
    if (!s || n >= cap) {
        r->bad = true;
        dst[0] = '\0';
        return;
    }
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/*
 * Whether a side with these caps carries MariaDB's extended capabilities in
 * the filler (it does unless it is, or talks to, plain MySQL).
 */
static bool ext_caps_in_filler(uint64_t caps)
{
    return (caps & CLIENT_MYSQL) == 0;
}

static void put_ext_caps(proto_buf *out, uint64_t caps)
{
    proto_put_u32(out, ext_caps_in_filler(caps) ? (uint32_t)(caps >> 32) : 0);
}

static void put_auth(proto_buf *out, enum auth_form form, const uint8_t *data, size_t len)
{
    switch (form) {
    case AUTH_LENENC:
        proto_put_lenenc_str(out, data, len);
        break;
    case AUTH_LEN8: /* at most 255 bytes fit */
        len = len > UINT8_MAX ? UINT8_MAX : len;
        proto_put_u8(out, (uint8_t)len);
        proto_put_bytes(out, data, len);
        break;
    case AUTH_NULSTR: /* legacy form: data cannot hold a NUL */
        proto_put_bytes(out, data, strnlen((const char *)data, len));
        proto_put_u8(out, 0);
        break;
    }
}

static void get_auth(proto_rd *r, enum auth_form form, uint8_t dst[PROTO_AUTH_MAX], size_t *dst_len)
{
    const uint8_t *data = NULL;
    size_t n = 0;
    switch (form) {
    case AUTH_LENENC:
        data = proto_get_lenenc_str(r, &n);
        break;
    case AUTH_LEN8:
        n = proto_get_u8(r);
        data = proto_get_bytes(r, n);
        break;
    case AUTH_NULSTR:
        data = (const uint8_t *)proto_get_nulstr(r, &n);
        break;
    }
    *dst_len = 0;
    if (!data || n > PROTO_AUTH_MAX) {
        r->bad = true;
        return;
    }
    memcpy(dst, data, n);
    *dst_len = n;
}

/* Connection attributes: a lenenc-prefixed blob; we keep its content. */
static void get_attrs(proto_rd *r, const uint8_t **attrs, size_t *attrs_len)
{
    *attrs = proto_get_lenenc_str(r, attrs_len);
    if (!*attrs)
        r->bad = true;
}

static void put_attrs(proto_buf *out, const uint8_t *attrs, size_t attrs_len)
{
    proto_put_lenenc_str(out, attrs, attrs ? attrs_len : 0);
}

void proto_greeting_write(proto_buf *out, const proto_greeting *g)
{
    bool plugin_auth = g->caps & CLIENT_PLUGIN_AUTH;
    proto_put_u8(out, 10);
    proto_put_nulstr(out, g->version);
    proto_put_u32(out, g->conn_id);
    proto_put_bytes(out, g->scramble, SCRAMBLE_PART1);
    proto_put_u8(out, 0);
    proto_put_u16(out, (uint16_t)g->caps);
    proto_put_u8(out, g->charset);
    proto_put_u16(out, g->status);
    proto_put_u16(out, (uint16_t)(g->caps >> 16));
    proto_put_u8(out, plugin_auth ? PLUGIN_AUTH_DATA : 0);
    proto_put_zero(out, GREETING_FILLER);
    put_ext_caps(out, g->caps);
    if (g->caps & CLIENT_SECURE_CONNECTION) {
        proto_put_bytes(out, g->scramble + SCRAMBLE_PART1, SCRAMBLE_PART2);
        proto_put_u8(out, 0);
    }
    if (plugin_auth)
        proto_put_nulstr(out, g->plugin);
}

/* The server version is informational: a longer one is cut to fit, not refused. */
static void get_version(proto_rd *r, char dst[PROTO_VERSION_MAX])
{
    size_t n;
    const char *s = proto_get_nulstr(r, &n);
    if (n >= PROTO_VERSION_MAX)
        n = PROTO_VERSION_MAX - 1;
    if (s)
        memcpy(dst, s, n);
    dst[n] = '\0';
}

int proto_greeting_parse(const uint8_t *p, size_t len, proto_greeting *g)
{
    memset(g, 0, sizeof *g);
    proto_rd r = proto_rd_init(p, len);
    g->protocol = proto_get_u8(&r);
    if (g->protocol != 10)
        return PROTO_BAD; /* also an ERR packet (0xff) */
    get_version(&r, g->version);
    g->conn_id = proto_get_u32(&r);
    const uint8_t *part1 = proto_get_bytes(&r, SCRAMBLE_PART1);
    proto_get_u8(&r); /* filler */
    g->caps = proto_get_u16(&r);
    g->charset = proto_get_u8(&r);
    g->status = proto_get_u16(&r);
    g->caps |= (uint64_t)proto_get_u16(&r) << 16;
    int auth_len = proto_get_u8(&r);
    proto_get_bytes(&r, GREETING_FILLER);
    uint32_t ext = proto_get_u32(&r);
    if (r.bad)
        return PROTO_BAD;
    if (ext_caps_in_filler(g->caps))
        g->caps |= (uint64_t)ext << 32;
    memcpy(g->scramble, part1, SCRAMBLE_PART1);
    if (g->caps & CLIENT_SECURE_CONNECTION) {
        /* part 2 is max(13, auth_len - 8) bytes; its last is a NUL */
        int part2_len = auth_len - SCRAMBLE_PART1 > 13 ? auth_len - SCRAMBLE_PART1 : 13;
        const uint8_t *part2 = proto_get_bytes(&r, (size_t)part2_len);
        if (part2)
            memcpy(g->scramble + SCRAMBLE_PART1, part2, SCRAMBLE_PART2);
    }
    if (g->caps & CLIENT_PLUGIN_AUTH)
        get_name(&r, g->plugin, sizeof g->plugin);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

/* caps, max_packet, charset and the filler: the SSL_REQUEST and the response's first 32 bytes. */
static void put_response_head(proto_buf *out, uint64_t caps, uint32_t max_packet, uint8_t charset)
{
    proto_put_u32(out, (uint32_t)caps);
    proto_put_u32(out, max_packet);
    proto_put_u8(out, charset);
    proto_put_zero(out, RESPONSE_FILLER);
    put_ext_caps(out, caps);
}

static void get_response_head(proto_rd *r, uint64_t server_caps, proto_hs_response *resp)
{
    resp->caps = proto_get_u32(r);
    resp->max_packet = proto_get_u32(r);
    resp->charset = proto_get_u8(r);
    proto_get_bytes(r, RESPONSE_FILLER);
    uint32_t ext = proto_get_u32(r);
    if (ext_caps_in_filler(server_caps) && ext_caps_in_filler(resp->caps))
        resp->caps |= (uint64_t)ext << 32;
}

static enum auth_form response_auth_form(uint64_t caps)
{
    if (caps & CLIENT_PLUGIN_AUTH_LENENC_DATA)
        return AUTH_LENENC;
    return caps & CLIENT_SECURE_CONNECTION ? AUTH_LEN8 : AUTH_NULSTR;
}

static enum auth_form change_user_auth_form(uint64_t caps)
{
    return caps & CLIENT_SECURE_CONNECTION ? AUTH_LEN8 : AUTH_NULSTR;
}

int proto_hs_response_parse(const uint8_t *p, size_t len, uint64_t server_caps,
                            proto_hs_response *resp)
{
    memset(resp, 0, sizeof *resp);
    proto_rd r = proto_rd_init(p, len);
    get_response_head(&r, server_caps, resp);
    if (r.bad || !(resp->caps & CLIENT_PROTOCOL_41))
        return PROTO_BAD;
    if (len == PROTO_SSL_REQUEST_LEN)
        return resp->caps & CLIENT_SSL ? PROTO_NEED_MORE : PROTO_BAD;
    get_name(&r, resp->user, sizeof resp->user);
    get_auth(&r, response_auth_form(resp->caps), resp->auth, &resp->auth_len);
    if (resp->caps & CLIENT_CONNECT_WITH_DB)
        get_name(&r, resp->db, sizeof resp->db);
    if (resp->caps & CLIENT_PLUGIN_AUTH)
        get_name(&r, resp->plugin, sizeof resp->plugin);
    if (resp->caps & CLIENT_CONNECT_ATTRS)
        get_attrs(&r, &resp->attrs, &resp->attrs_len);
    return r.bad ? PROTO_BAD : PROTO_OK;
}

void proto_hs_response_write(proto_buf *out, const proto_hs_response *resp)
{
    put_response_head(out, resp->caps, resp->max_packet, resp->charset);
    proto_put_nulstr(out, resp->user);
    put_auth(out, response_auth_form(resp->caps), resp->auth, resp->auth_len);
    if (resp->caps & CLIENT_CONNECT_WITH_DB)
        proto_put_nulstr(out, resp->db);
    if (resp->caps & CLIENT_PLUGIN_AUTH)
        proto_put_nulstr(out, resp->plugin);
    if (resp->caps & CLIENT_CONNECT_ATTRS)
        put_attrs(out, resp->attrs, resp->attrs_len);
}

void proto_ssl_request_write(proto_buf *out, uint64_t caps, uint32_t max_packet, uint8_t charset)
{
    put_response_head(out, caps | CLIENT_SSL, max_packet, charset);
}

static bool is_native(const char *plugin)
{
    return strcmp(plugin, PROTO_NATIVE_PLUGIN) == 0;
}

void proto_auth_switch_write(proto_buf *out, const char *plugin, const uint8_t *data, size_t len)
{
    proto_put_u8(out, 0xfe);
    proto_put_nulstr(out, plugin);
    proto_put_bytes(out, data, len);
    if (is_native(plugin))
        proto_put_u8(out, 0);
}

int proto_auth_switch_parse(const uint8_t *p, size_t len, char plugin[PROTO_PLUGIN_MAX],
                            uint8_t *data, size_t *data_len, size_t data_max)
{
    proto_rd r = proto_rd_init(p, len);
    *data_len = 0;
    plugin[0] = '\0';
    if (proto_get_u8(&r) != 0xfe)
        return PROTO_BAD;
    get_name(&r, plugin, PROTO_PLUGIN_MAX);
    size_t n;
    const uint8_t *rest = proto_get_rest(&r, &n);
    if (r.bad)
        return PROTO_BAD;
    if (is_native(plugin) && n > 0 && rest[n - 1] == 0)
        n--;
    if (n > data_max)
        return PROTO_BAD;
    if (n > 0)
        memcpy(data, rest, n);
    *data_len = n;
    return PROTO_OK;
}

int proto_change_user_parse(const uint8_t *p, size_t len, uint64_t caps, proto_change_user *c)
{
    memset(c, 0, sizeof *c);
    proto_rd r = proto_rd_init(p, len);
    if (proto_get_u8(&r) != COM_CHANGE_USER_B)
        return PROTO_BAD;
    get_name(&r, c->user, sizeof c->user);
    get_auth(&r, change_user_auth_form(caps), c->auth, &c->auth_len);
    get_name(&r, c->db, sizeof c->db);
    if (!r.bad && proto_rd_left(&r) > 0) { /* old clients stop after the database */
        c->charset = proto_get_u16(&r);
        if (caps & CLIENT_PLUGIN_AUTH)
            get_name(&r, c->plugin, sizeof c->plugin);
        if (caps & CLIENT_CONNECT_ATTRS)
            get_attrs(&r, &c->attrs, &c->attrs_len);
    }
    return r.bad ? PROTO_BAD : PROTO_OK;
}

void proto_change_user_write(proto_buf *out, uint64_t caps, const proto_change_user *c)
{
    proto_put_u8(out, COM_CHANGE_USER_B);
    proto_put_nulstr(out, c->user);
    put_auth(out, change_user_auth_form(caps), c->auth, c->auth_len);
    proto_put_nulstr(out, c->db);
    proto_put_u16(out, c->charset);
    if (caps & CLIENT_PLUGIN_AUTH)
        proto_put_nulstr(out, c->plugin);
    if (caps & CLIENT_CONNECT_ATTRS)
        put_attrs(out, c->attrs, c->attrs_len);
}
