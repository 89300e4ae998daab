/* String hashing for the open-addressing name tables of the IR and the front ends. */
#ifndef QCC_IR_HASH_H
#define QCC_IR_HASH_H

#include <stdint.h>

/* 64-bit FNV-1a of a NUL-terminated string. */
static inline uint64_t qcc_hash_str(const char *s) {
  uint64_t h = 1469598103934665603ull;
  for (; *s; ++s)
    h = (h ^ (unsigned char)*s) * 1099511628211ull;
  return h;
}

#endif
