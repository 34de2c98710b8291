/*
 * secret.c: AES-256-GCM password encryption with OpenSSL's EVP interface, and
 * the key file it uses. config_load calls secret_reveal for "enc:v1:" values;
 * ferryctl's keygen and encrypt commands call the rest.
 */
#include "server/secret.h"

#include "server/base64.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define IV_LEN  12
#define TAG_LEN 16
#define HEX_LEN (SECRET_KEY_LEN * 2)

bool secret_is_encrypted(const char *value)
{
    return value && strncmp(value, SECRET_PREFIX, strlen(SECRET_PREFIX)) == 0;
}

int secret_key_generate(uint8_t key[SECRET_KEY_LEN])
{
    return RAND_bytes(key, SECRET_KEY_LEN) == 1 ? 0 : -1;
}

int secret_key_write(const char *path, const uint8_t key[SECRET_KEY_LEN], char *err, size_t errlen)
{
    char hex[HEX_LEN + 2];
    for (int i = 0; i < SECRET_KEY_LEN; i++)
        snprintf(hex + 2 * i, 3, "%02x", key[i]);
    hex[HEX_LEN] = '\n';
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0400);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create key file %s: %s%s", path, strerror(errno),
                 errno == EEXIST ? " (remove it first if you really mean to replace the key: "
                                   "passwords encrypted with it become unreadable)"
                                 : "");
        return -1;
    }
    ssize_t n = write(fd, hex, HEX_LEN + 1);
    int saved = errno;
    OPENSSL_cleanse(hex, sizeof hex);
    if (close(fd) < 0 || n != HEX_LEN + 1) {
        snprintf(err, errlen, "cannot write key file %s: %s", path, strerror(n < 0 ? saved : EIO));
        unlink(path);
        return -1;
    }
    return 0;
}

static int parse_hex_key(const char *text, size_t len, uint8_t key[SECRET_KEY_LEN])
{
    while (len > 0 && (text[len - 1] == '\n' || text[len - 1] == '\r' || text[len - 1] == ' '))
        len--;
    if (len != HEX_LEN)
        return -1;
    for (int i = 0; i < SECRET_KEY_LEN; i++) {
        unsigned v;
        if (sscanf(text + 2 * i, "%2x", &v) != 1)
            return -1;
        key[i] = (uint8_t)v;
    }
    return 0;
}

int secret_key_read(const char *path, uint8_t key[SECRET_KEY_LEN], char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot read key file %s: %s", path, strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    if (st.st_mode & (S_IRWXG | S_IRWXO)) {
        snprintf(err, errlen,
                 "key file %s may be read by group or others (mode %03o); chmod 400 it", path,
                 (unsigned)(st.st_mode & 0777));
        close(fd);
        return -1;
    }
    char text[HEX_LEN + 8];
    ssize_t n = read(fd, text, sizeof text);
    close(fd);
    int rc = n > 0 ? parse_hex_key(text, (size_t)n, key) : -1;
    OPENSSL_cleanse(text, sizeof text);
    if (rc < 0)
        snprintf(err, errlen,
                 "key file %s does not hold a key (64 hex digits from ferryctl keygen)", path);
    return rc;
}

/* One AES-256-GCM pass. enc: iv is filled in and tag written; else tag is checked. */
static int gcm(bool enc, const uint8_t *key, uint8_t *iv, const uint8_t *in, int inlen,
               uint8_t *out, uint8_t *tag)
{
    EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
    int len = 0, fin = 0, ok = ctx != NULL;
    ok = ok && (!enc || RAND_bytes(iv, IV_LEN) == 1);
    ok = ok && EVP_CipherInit_ex(ctx, EVP_aes_256_gcm(), NULL, key, iv, enc) == 1;
    ok = ok && EVP_CipherUpdate(ctx, out, &len, in, inlen) == 1;
    ok = ok && (enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TAG_LEN, tag) == 1);
    ok = ok && EVP_CipherFinal_ex(ctx, out + len, &fin) == 1;
    ok = ok && (!enc || EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TAG_LEN, tag) == 1);
    EVP_CIPHER_CTX_free(ctx);
    return ok ? len + fin : -1;
}

char *secret_encrypt(const uint8_t key[SECRET_KEY_LEN], const char *plain)
{
    size_t plen = strlen(plain), raw_len = IV_LEN + plen + TAG_LEN;
    uint8_t *raw = malloc(raw_len);
    char *text = NULL, *out = NULL;
    if (raw && gcm(true, key, raw, (const uint8_t *)plain, (int)plen, raw + IV_LEN,
                   raw + IV_LEN + plen) >= 0)
        text = base64_encode(raw, raw_len);
    free(raw);
    if (text && asprintf(&out, "%s%s", SECRET_PREFIX, text) < 0)
        out = NULL;
    free(text);
    return out;
}

int secret_decrypt(const uint8_t key[SECRET_KEY_LEN], const char *value, char **plain, char *err,
                   size_t errlen)
{
    uint8_t *raw = NULL;
    const char *text = secret_is_encrypted(value) ? value + strlen(SECRET_PREFIX) : "";
    int n = base64_decode(text, strlen(text), &raw);
    if (n < IV_LEN + TAG_LEN) {
        free(raw);
        snprintf(err, errlen,
                 "not a valid encrypted password (expected " SECRET_PREFIX
                 "... as printed by ferryctl encrypt)");
        return -1;
    }
    int clen = n - IV_LEN - TAG_LEN;
    char *out = malloc((size_t)clen + 1);
    int m =
        out ? gcm(false, key, raw, raw + IV_LEN, clen, (uint8_t *)out, raw + IV_LEN + clen) : -1;
    free(raw);
    if (m < 0) {
        free(out);
        snprintf(err, errlen,
                 "cannot decrypt the password: wrong key file, or the value "
                 "was not made with this key by ferryctl encrypt");
        return -1;
    }
    out[m] = '\0';
    *plain = out;
    return 0;
}

int secret_reveal(const char *key_path, const char *value, char **plain, char *err, size_t errlen)
{
    uint8_t key[SECRET_KEY_LEN];
    char why[512];
    if (!key_path || !*key_path) {
        snprintf(err, errlen, "the password is encrypted but ferry.secrets_file is empty");
        return -1;
    }
    if (secret_key_read(key_path, key, why, sizeof why) < 0) {
        snprintf(err, errlen, "the password is encrypted: %s (ferry.secrets_file)", why);
        return -1;
    }
    int rc = secret_decrypt(key, value, plain, why, sizeof why);
    OPENSSL_cleanse(key, sizeof key);
    if (rc < 0)
        snprintf(err, errlen, "%s (key file %s)", why, key_path);
    return rc;
}
