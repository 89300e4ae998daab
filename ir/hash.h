/* FNV-1a hashing: the open-addressing name tables of the IR and the front ends, and the
 * structural hashes of passes (common-subexpression elimination). */
#ifndef QCC_IR_HASH_H
#define QCC_IR_HASH_H

#include <stdint.h>

#include <stddef.h>

#define QCC_HASH_SEED 1469598103934665603ull

/* One FNV-1a step: folds `v` into the running hash `h`. */
static inline uint64_t qcc_hash_mix(uint64_t h, uint64_t v) { return (h ^ v) * 1099511628211ull; }

static inline uint64_t qcc_hash_bytes(uint64_t h, const void *p, size_t n) {
  const unsigned char *b = p;
  for (size_t i = 0; i < n; ++i)
    h = qcc_hash_mix(h, b[i]);
  return h;
}

/* 64-bit FNV-1a of a NUL-terminated string. */
static inline uint64_t qcc_hash_str(const char *s) {
  uint64_t h = QCC_HASH_SEED;
  for (; *s; ++s)
    h = qcc_hash_mix(h, (unsigned char)*s);
  return h;
}

#endif
