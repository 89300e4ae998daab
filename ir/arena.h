/* Bump allocator that owns all IR memory of one graph: freeing the graph is one call. */
#ifndef QCC_IR_ARENA_H
#define QCC_IR_ARENA_H

#include <stddef.h>

typedef struct qcc_arena qcc_arena;

qcc_arena *qcc_arena_create(void);
void qcc_arena_destroy(qcc_arena *arena);

/* Zeroed, 16-byte aligned; NULL when out of memory or the size is absurd. */
void *qcc_arena_alloc(qcc_arena *arena, size_t size);
/* count * elem_size with overflow checking. */
void *qcc_arena_alloc_array(qcc_arena *arena, size_t count, size_t elem_size);
char *qcc_arena_strdup(qcc_arena *arena, const char *s);
char *qcc_arena_strndup(qcc_arena *arena, const char *s, size_t n);
void *qcc_arena_memdup(qcc_arena *arena, const void *p, size_t n);
/* Bytes handed out so far (for memory accounting in tests and benches). */
size_t qcc_arena_bytes_used(const qcc_arena *arena);

#endif
