/*
 * secret.h: encrypted passwords. A key file holds 32 random bytes as 64 hex
 * digits (ferryctl keygen writes it, mode 0400); ferryctl encrypt turns a
 * password into "enc:v1:BASE64" (AES-256-GCM: 12-byte IV, ciphertext, 16-byte
 * tag), and config_load decrypts such values of password parameters with the
 * key named by ferry.secrets_file. Used by server/config.c and ferryctl.
 */
#ifndef FERRY_SERVER_SECRET_H
#define FERRY_SERVER_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_KEY_LEN     32
#define SECRET_PREFIX      "enc:v1:"
#define SECRET_DEFAULT_KEY "/var/lib/ferry/ferry.key"

/* True when value is an encrypted password (starts with SECRET_PREFIX). */
bool secret_is_encrypted(const char *value);

/* A new random key. 0 or -1. */
int secret_key_generate(uint8_t key[SECRET_KEY_LEN]);
/* Writes key to a new file (never overwrites) with mode 0400. 0 or -1 with err. */
int secret_key_write(const char *path, const uint8_t key[SECRET_KEY_LEN], char *err, size_t errlen);
/* Reads a key file; refuses one that group or others may read. 0 or -1 with err. */
int secret_key_read(const char *path, uint8_t key[SECRET_KEY_LEN], char *err, size_t errlen);

/* "enc:v1:..." for plain (malloc'd), or NULL on failure. */
char *secret_encrypt(const uint8_t key[SECRET_KEY_LEN], const char *plain);
/* Decrypts an "enc:v1:" value into *plain (malloc'd). 0 or -1 with err, which never
 * contains the secret. */
int secret_decrypt(const uint8_t key[SECRET_KEY_LEN], const char *value, char **plain, char *err,
                   size_t errlen);
/* For config_load: reads key_path and decrypts value. 0 or -1 with err. */
int secret_reveal(const char *key_path, const char *value, char **plain, char *err, size_t errlen);

#endif
