/*
 * base64.h: standard Base64 (RFC 4648, with padding) over OpenSSL's EVP
 * block coder, for the values Ferry stores or receives as text: encrypted
 * passwords, password hashes and HTTP Basic credentials.
 */
#ifndef FERRY_SERVER_BASE64_H
#define FERRY_SERVER_BASE64_H

#include <stddef.h>
#include <stdint.h>

/* The text of len bytes (malloc'd, NUL-terminated), or NULL when out of memory. */
char *base64_encode(const uint8_t *raw, size_t len);
/* Decodes the len characters of text (a multiple of 4, no whitespace) into *out
 * (malloc'd, NUL-terminated for convenience). Returns the decoded length, or -1. */
int base64_decode(const char *text, size_t len, uint8_t **out);

#endif
