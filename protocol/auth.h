/*
 * auth.h: mysql_native_password arithmetic. The server stores
 * SHA1(SHA1(password)); a client answers a 20-byte scramble with
 * SHA1(password) XOR SHA1(scramble . SHA1(SHA1(password))). Knowing the stored
 * hash and the scramble, a proxy can recover SHA1(password) from a client's
 * answer and use it to answer a backend's different scramble.
 */
#ifndef FERRY_PROTOCOL_AUTH_H
#define FERRY_PROTOCOL_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROTO_SCRAMBLE_LEN  20
#define PROTO_SHA1_LEN      20
#define PROTO_NATIVE_PLUGIN "mysql_native_password"

/* Fills out with a fresh random scramble of printable, non-NUL bytes. */
void proto_scramble_new(uint8_t out[PROTO_SCRAMBLE_LEN]);

/* The answer a client with SHA1(password) = sha1_pw gives to scramble. */
void proto_native_reply(const uint8_t sha1_pw[PROTO_SHA1_LEN],
                        const uint8_t scramble[PROTO_SCRAMBLE_LEN], uint8_t out[PROTO_SHA1_LEN]);

/* The answer from a plaintext password ("" gives an empty answer: *out_len = 0). */
void proto_native_reply_from_password(const char *password,
                                      const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                                      uint8_t out[PROTO_SHA1_LEN], size_t *out_len);

/*
 * Checks a client's answer against the stored double hash; on success writes
 * SHA1(password) to sha1_pw and returns true.
 */
bool proto_native_check(const uint8_t *reply, size_t reply_len,
                        const uint8_t scramble[PROTO_SCRAMBLE_LEN],
                        const uint8_t stored[PROTO_SHA1_LEN], uint8_t sha1_pw[PROTO_SHA1_LEN]);

/* Parses the "*<40 hex digits>" form of mysql.user.Password into 20 bytes. */
bool proto_native_hash_parse(const char *text, uint8_t out[PROTO_SHA1_LEN]);

#endif
