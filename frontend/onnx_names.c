/* The ONNX loader's name map and index heap. */
#include "frontend/onnx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/hash.h"

/* ---- name -> index map (open addressing, heap owned) ------------------------------------ */

static name_entry *map_slot(const name_map *m, const char *name) {
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)qcc_hash_str(name) & mask;; i = (i + 1) & mask)
    if (!m->slots[i].name || strcmp(m->slots[i].name, name) == 0)
      return &m->slots[i];
}

bool onnx_map_init(name_map *m, size_t expected) {
  size_t cap = 64;
  while (cap / 2 < expected + 1) {
    if (cap > SIZE_MAX / 4)
      return false;
    cap *= 2;
  }
  m->slots = calloc(cap, sizeof(name_entry));
  m->cap = cap;
  m->count = 0;
  return m->slots != NULL;
}

const name_entry *onnx_map_find(const name_map *m, const char *name) {
  const name_entry *e = map_slot(m, name);
  return e->name ? e : NULL;
}

const name_entry *onnx_map_insert(name_map *m, const char *name, name_kind kind, uint32_t index) {
  name_entry *e = map_slot(m, name);
  if (e->name)
    return e;
  e->name = name;
  e->kind = kind;
  e->index = index;
  m->count++;
  return NULL;
}

/* ---- min-heap of node indices, for a Kahn sort that keeps the file's order when valid ---- */

void onnx_heap_push(index_heap *h, uint32_t x) {
  size_t i = h->n++;
  h->v[i] = x;
  while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
    uint32_t t = h->v[i];
    h->v[i] = h->v[(i - 1) / 2];
    h->v[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

uint32_t onnx_heap_pop(index_heap *h) {
  uint32_t top = h->v[0];
  h->v[0] = h->v[--h->n];
  for (size_t i = 0;;) {
    size_t l = 2 * i + 1, r = l + 1, m = i;
    if (l < h->n && h->v[l] < h->v[m])
      m = l;
    if (r < h->n && h->v[r] < h->v[m])
      m = r;
    if (m == i)
      break;
    uint32_t t = h->v[i];
    h->v[i] = h->v[m];
    h->v[m] = t;
    i = m;
  }
  return top;
}
