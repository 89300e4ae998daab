#include "ir/arena.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

enum { ARENA_CHUNK = 64 * 1024, ARENA_ALIGN = 16 };
/* Refuse single requests beyond this: no legitimate IR object is that large. */
#define ARENA_MAX_REQUEST ((size_t)1 << 40)

typedef struct arena_chunk {
  struct arena_chunk *next;
  size_t size, used;
  _Alignas(16) unsigned char data[];
} arena_chunk;

struct qcc_arena {
  arena_chunk *head;
  size_t bytes_used;
};

qcc_arena *qcc_arena_create(void) { return calloc(1, sizeof(qcc_arena)); }

void qcc_arena_destroy(qcc_arena *arena) {
  if (!arena)
    return;
  arena_chunk *c = arena->head;
  while (c) {
    arena_chunk *next = c->next;
    free(c);
    c = next;
  }
  free(arena);
}

void *qcc_arena_alloc(qcc_arena *arena, size_t size) {
  if (size > ARENA_MAX_REQUEST)
    return NULL;
  size_t rounded = (size + ARENA_ALIGN - 1) & ~(size_t)(ARENA_ALIGN - 1);
  if (rounded == 0)
    rounded = ARENA_ALIGN;
  arena_chunk *c = arena->head;
  if (!c || c->size - c->used < rounded) {
    size_t chunk_size = rounded > ARENA_CHUNK / 4 ? rounded : ARENA_CHUNK;
    arena_chunk *fresh = malloc(sizeof(arena_chunk) + chunk_size);
    if (!fresh)
      return NULL;
    fresh->size = chunk_size;
    fresh->used = 0;
    if (c && rounded > ARENA_CHUNK / 4) {
      /* Big blocks go behind the current chunk so its free tail stays usable. */
      fresh->next = c->next;
      c->next = fresh;
    } else {
      fresh->next = c;
      arena->head = fresh;
    }
    c = fresh;
  }
  void *p = c->data + c->used;
  c->used += rounded;
  arena->bytes_used += rounded;
  memset(p, 0, rounded);
  return p;
}

void *qcc_arena_alloc_array(qcc_arena *arena, size_t count, size_t elem_size) {
  if (elem_size != 0 && count > SIZE_MAX / elem_size)
    return NULL;
  return qcc_arena_alloc(arena, count * elem_size);
}

char *qcc_arena_strndup(qcc_arena *arena, const char *s, size_t n) {
  char *p = qcc_arena_alloc(arena, n + 1);
  if (!p)
    return NULL;
  memcpy(p, s, n);
  p[n] = '\0';
  return p;
}

char *qcc_arena_strdup(qcc_arena *arena, const char *s) {
  return qcc_arena_strndup(arena, s, strlen(s));
}

void *qcc_arena_memdup(qcc_arena *arena, const void *p, size_t n) {
  void *q = qcc_arena_alloc(arena, n);
  if (q && n)
    memcpy(q, p, n);
  return q;
}

size_t qcc_arena_bytes_used(const qcc_arena *arena) { return arena->bytes_used; }
