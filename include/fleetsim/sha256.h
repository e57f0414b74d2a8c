/* sha256.h - SHA-256 (FIPS 180-4) of a buffer, as 64 lowercase hex digits. */
#ifndef FLEETSIM_SHA256_H
#define FLEETSIM_SHA256_H

#include <stddef.h>

/* Writes the digest of data[0..len) into hex (65 bytes incl. NUL). */
void fs_sha256_hex(const void *data, size_t len, char hex[65]);

#endif
