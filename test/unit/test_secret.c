/*
 * test_secret.c: encrypted passwords (server/secret.c): round trips, a wrong
 * key or a tampered value refused with a message that holds no secret, the
 * key file's format, permissions and no-overwrite rule, and config_load
 * decrypting "enc:v1:" password parameters (or failing with FILE:LINE).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "server/config.h"
#include "server/registry.h"
#include "server/secret.h"

static char dir[64];
static char key_path[128], other_key[128], conf_path[128];

static int setup(void **state)
{
    strcpy(dir, "/tmp/ferry-test-secret-XXXXXX");
    assert_non_null(mkdtemp(dir));
    snprintf(key_path, sizeof key_path, "%s/ferry.key", dir);
    snprintf(other_key, sizeof other_key, "%s/other.key", dir);
    snprintf(conf_path, sizeof conf_path, "%s/ferry.conf", dir);
    return 0;
}

static int teardown(void **state)
{
    unlink(key_path);
    unlink(other_key);
    unlink(conf_path);
    rmdir(dir);
    return 0;
}

static void make_key(const char *path, uint8_t key[SECRET_KEY_LEN])
{
    char err[512];
    unlink(path);
    assert_int_equal(secret_key_generate(key), 0);
    if (secret_key_write(path, key, err, sizeof err) != 0)
        fail_msg("%s", err);
}

static void test_round_trip(void **state)
{
    uint8_t key[SECRET_KEY_LEN];
    char err[512], *plain = NULL;
    assert_int_equal(secret_key_generate(key), 0);
    const char *passwords[] = {"maxmon_pw", "", "p\xc3\xa4ss w\"rd;$x",
                               "a longer password "
                               "with many more bytes"};
    for (size_t i = 0; i < sizeof passwords / sizeof passwords[0]; i++) {
        char *enc = secret_encrypt(key, passwords[i]);
        assert_non_null(enc);
        assert_true(secret_is_encrypted(enc));
        assert_null(strstr(enc, passwords[i][0] ? passwords[i] : "\x01"));
        assert_int_equal(secret_decrypt(key, enc, &plain, err, sizeof err), 0);
        assert_string_equal(plain, passwords[i]);
        free(plain);
        char *again = secret_encrypt(key, passwords[i]);
        assert_string_not_equal(again, enc); /* a fresh IV every time */
        free(again);
        free(enc);
    }
}

static void test_wrong_key_and_tampering(void **state)
{
    uint8_t key[SECRET_KEY_LEN], other[SECRET_KEY_LEN];
    char err[512], *plain = NULL;
    secret_key_generate(key);
    secret_key_generate(other);
    char *enc = secret_encrypt(key, "s3cret-value");
    assert_int_equal(secret_decrypt(other, enc, &plain, err, sizeof err), -1);
    assert_non_null(strstr(err, "wrong key"));
    assert_null(strstr(err, "s3cret"));
    size_t n = strlen(enc);
    enc[n - 5] = enc[n - 5] == 'A' ? 'B' : 'A';
    assert_int_equal(secret_decrypt(key, enc, &plain, err, sizeof err), -1);
    assert_int_equal(secret_decrypt(key, "enc:v1:!!!", &plain, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a valid encrypted password"));
    assert_int_equal(secret_decrypt(key, "enc:v1:QUJD", &plain, err, sizeof err), -1);
    assert_false(secret_is_encrypted("plain"));
    free(enc);
}

static void test_key_file(void **state)
{
    uint8_t key[SECRET_KEY_LEN], back[SECRET_KEY_LEN];
    char err[512];
    make_key(key_path, key);
    struct stat st;
    assert_int_equal(stat(key_path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0400);
    assert_int_equal(secret_key_read(key_path, back, err, sizeof err), 0);
    assert_memory_equal(key, back, SECRET_KEY_LEN);
    /* never overwritten */
    assert_int_equal(secret_key_write(key_path, key, err, sizeof err), -1);
    assert_non_null(strstr(err, "File exists"));
    /* readable by others: refused */
    chmod(key_path, 0644);
    assert_int_equal(secret_key_read(key_path, back, err, sizeof err), -1);
    assert_non_null(strstr(err, "chmod 400"));
    chmod(key_path, 0600);
    /* not a key */
    FILE *f = fopen(key_path, "w");
    fputs("not a key\n", f);
    fclose(f);
    assert_int_equal(secret_key_read(key_path, back, err, sizeof err), -1);
    assert_non_null(strstr(err, "64 hex digits"));
    assert_int_equal(secret_key_read("/nonexistent/key", back, err, sizeof err), -1);
}

static int load_conf(const char *password, const char *keyfile, ferry_config *cfg, char *err,
                     size_t errlen)
{
    FILE *f = fopen(conf_path, "w");
    fprintf(f,
            "ferry = { secrets_file = \"%s\"; };\n"
            "servers = ( { name = \"s1\"; address = \"127.0.0.1\"; } );\n"
            "monitors = ( { name = \"mon\"; module = \"mariadbmon\"; servers = [ \"s1\" ];\n"
            "  user = \"maxmon\"; password = \"%s\"; } );\n",
            keyfile, password);
    fclose(f);
    return config_load(conf_path, cfg, err, errlen);
}

static void test_config_decrypts(void **state)
{
    uint8_t key[SECRET_KEY_LEN], other[SECRET_KEY_LEN];
    char err[1024] = "";
    ferry_config cfg;
    make_key(key_path, key);
    make_key(other_key, other);
    char *enc = secret_encrypt(key, "maxmon_pw");
    if (load_conf(enc, key_path, &cfg, err, sizeof err) != 0)
        fail_msg("%s", err);
    assert_string_equal(cfg_str(&cfg.monitors[0], "password"), "maxmon_pw");
    config_free(&cfg);
    /* plaintext still works */
    assert_int_equal(load_conf("plain_pw", key_path, &cfg, err, sizeof err), 0);
    assert_string_equal(cfg_str(&cfg.monitors[0], "password"), "plain_pw");
    config_free(&cfg);
    /* the wrong key: a startup error naming the line and the parameter */
    assert_int_equal(load_conf(enc, other_key, &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, ":4: monitor 'mon': parameter 'password': cannot decrypt"));
    assert_non_null(strstr(err, other_key));
    /* no key file */
    assert_int_equal(load_conf(enc, "/nonexistent.key", &cfg, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot read key file /nonexistent.key"));
    free(enc);
}

int main(void)
{
    modules_register_all();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_wrong_key_and_tampering),
        cmocka_unit_test(test_key_file),
        cmocka_unit_test(test_config_decrypts),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
