#include "ir/graph.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ir/hash.h"
#include "ir/op_registry.h"

/* Open-addressing name -> value table in the arena; old tables are abandoned on growth,
 * which costs at most twice the final size. */
typedef struct qcc_name_table {
  qcc_value **slots;
  uint32_t cap, count;
  uint32_t fresh_counter;
} qcc_name_table;

/* Marks a slot whose name was removed, so probe chains through it stay intact. Only its
 * address is used; it is never written. */
static const qcc_value removed_slot_marker;
#define removed_slot (*(qcc_value *)&removed_slot_marker)

/* The slot holding `name`, or the empty slot where it would go. */
static qcc_value **table_slot(const qcc_name_table *t, const char *name) {
  uint32_t mask = t->cap - 1;
  for (uint32_t i = (uint32_t)qcc_hash_str(name) & mask;; i = (i + 1) & mask) {
    qcc_value *v = t->slots[i];
    if (!v || (v != &removed_slot && strcmp(v->name, name) == 0))
      return &t->slots[i];
  }
}

static bool table_grow(qcc_graph *g) {
  qcc_name_table *t = g->names;
  uint32_t cap = t->cap ? t->cap * 2 : 64;
  qcc_value **old = t->slots;
  uint32_t old_cap = t->cap;
  t->slots = qcc_arena_alloc_array(g->arena, cap, sizeof(qcc_value *));
  if (!t->slots) {
    t->slots = old;
    return false;
  }
  t->cap = cap;
  t->count = 0;
  for (uint32_t i = 0; i < old_cap; ++i) {
    if (old[i] && old[i] != &removed_slot) {
      *table_slot(t, old[i]->name) = old[i];
      t->count++;
    }
  }
  return true;
}

static bool table_insert(qcc_graph *g, qcc_value *v) {
  qcc_name_table *t = g->names;
  if ((t->count + 1) * 4 > t->cap * 3 && !table_grow(g))
    return false;
  qcc_value **slot = table_slot(t, v->name);
  if (*slot)
    return false;
  *slot = v;
  t->count++;
  return true;
}

qcc_graph *qcc_graph_create(const char *name) {
  qcc_arena *a = qcc_arena_create();
  if (!a)
    return NULL;
  qcc_graph *g = qcc_arena_alloc(a, sizeof(*g));
  if (!g) {
    qcc_arena_destroy(a);
    return NULL;
  }
  g->arena = a;
  g->name = qcc_arena_strdup(a, name ? name : "main");
  g->names = qcc_arena_alloc(a, sizeof(qcc_name_table));
  if (!g->name || !g->names || !table_grow(g)) {
    qcc_arena_destroy(a);
    return NULL;
  }
  return g;
}

void qcc_graph_destroy(qcc_graph *g) {
  if (g)
    qcc_arena_destroy(g->arena);
}

static void table_remove(qcc_graph *g, const qcc_value *v) {
  qcc_value **slot = table_slot(g->names, v->name);
  if (*slot == v)
    *slot = &removed_slot; /* count keeps it: tombstones still lengthen probes */
}

qcc_value *qcc_graph_lookup(const qcc_graph *g, const char *name) {
  return *table_slot(g->names, name);
}

bool qcc_value_rename(qcc_value *v, const char *name) {
  qcc_graph *g = v->graph;
  if (qcc_graph_name_taken(g, name))
    return false;
  const char *copy = qcc_arena_strdup(g->arena, name);
  if (!copy)
    return false;
  table_remove(g, v);
  const char *old = v->name;
  v->name = copy;
  if (!table_insert(g, v)) {
    v->name = old;
    return false;
  }
  return true;
}

bool qcc_graph_name_taken(const qcc_graph *g, const char *name) {
  return qcc_graph_lookup(g, name) != NULL;
}

const char *qcc_graph_fresh_name(qcc_graph *g, const char *base) {
  char buf[64];
  for (;;) {
    uint32_t n = g->names->fresh_counter++;
    if (base && *base)
      snprintf(buf, sizeof buf, "%.40s_%u", base, n);
    else
      snprintf(buf, sizeof buf, "%u", n);
    if (!qcc_graph_name_taken(g, buf))
      return qcc_arena_strdup(g->arena, buf);
  }
}

static qcc_value *new_value(qcc_graph *g, const char *name, qcc_type type, qcc_loc loc) {
  qcc_value *v = qcc_arena_alloc(g->arena, sizeof(*v));
  if (!v)
    return NULL;
  v->name = name ? qcc_arena_strdup(g->arena, name) : qcc_graph_fresh_name(g, NULL);
  if (!v->name || !table_insert(g, v))
    return NULL;
  v->type = type;
  v->loc = loc;
  v->id = g->num_values++;
  v->graph = g;
  return v;
}

static bool push_value(qcc_graph *g, qcc_value ***arr, uint32_t *n, uint32_t *cap, qcc_value *v) {
  if (*n == *cap) {
    uint32_t ncap = *cap ? *cap * 2 : 8;
    qcc_value **fresh = qcc_arena_alloc_array(g->arena, ncap, sizeof(*fresh));
    if (!fresh)
      return false;
    if (*n)
      memcpy(fresh, *arr, *n * sizeof(*fresh));
    *arr = fresh;
    *cap = ncap;
  }
  (*arr)[(*n)++] = v;
  return true;
}

qcc_value *qcc_graph_add_input(qcc_graph *g, const char *name, qcc_type type, qcc_loc loc) {
  qcc_value *v = new_value(g, name, type, loc);
  if (!v || !push_value(g, &g->inputs, &g->num_inputs, &g->cap_inputs, v))
    return NULL;
  return v;
}

bool qcc_graph_add_output(qcc_graph *g, qcc_value *v) {
  return push_value(g, &g->outputs, &g->num_outputs, &g->cap_outputs, v);
}

static void use_link(qcc_use *u, qcc_value *v) {
  u->value = v;
  u->prev = NULL;
  u->next = NULL;
  if (!v)
    return;
  u->next = v->first_use;
  if (v->first_use)
    v->first_use->prev = u;
  v->first_use = u;
}

static void use_unlink(qcc_use *u) {
  qcc_value *v = u->value;
  if (!v)
    return;
  if (u->prev)
    u->prev->next = u->next;
  else
    v->first_use = u->next;
  if (u->next)
    u->next->prev = u->prev;
  u->value = NULL;
  u->prev = u->next = NULL;
}

static void link_op(qcc_graph *g, qcc_op *op, qcc_op *before) {
  op->graph = g;
  if (!before) {
    op->prev = g->last;
    op->next = NULL;
    if (g->last)
      g->last->next = op;
    else
      g->first = op;
    g->last = op;
    return;
  }
  op->next = before;
  op->prev = before->prev;
  if (before->prev)
    before->prev->next = op;
  else
    g->first = op;
  before->prev = op;
}

static void unlink_op(qcc_op *op) {
  qcc_graph *g = op->graph;
  if (op->prev)
    op->prev->next = op->next;
  else
    g->first = op->next;
  if (op->next)
    op->next->prev = op->prev;
  else
    g->last = op->prev;
  op->prev = op->next = NULL;
}

qcc_op *qcc_op_create(qcc_graph *g, const qcc_op_spec *spec, qcc_op *before) {
  qcc_arena *a = g->arena;
  qcc_op *op = qcc_arena_alloc(a, sizeof(*op));
  if (!op)
    return NULL;
  op->def = spec->def;
  op->loc = spec->loc;
  if (spec->node_name && !(op->name = qcc_arena_strdup(a, spec->node_name)))
    return NULL;
  op->num_operands = spec->num_operands;
  op->num_results = spec->num_results;
  op->num_attrs = spec->num_attrs;
  op->operands = qcc_arena_alloc_array(a, spec->num_operands, sizeof(qcc_use));
  op->results = qcc_arena_alloc_array(a, spec->num_results, sizeof(qcc_value *));
  op->attrs = qcc_arena_alloc_array(a, spec->num_attrs, sizeof(qcc_attr));
  if (!op->operands || !op->results || !op->attrs)
    return NULL;
  if (spec->num_attrs)
    memcpy(op->attrs, spec->attrs, spec->num_attrs * sizeof(qcc_attr));
  for (uint32_t i = 0; i < spec->num_results; ++i) {
    const char *name = spec->result_names ? spec->result_names[i] : NULL;
    qcc_type t = spec->result_types ? spec->result_types[i] : qcc_type_unranked(QCC_F32);
    qcc_value *v = new_value(g, name, t, spec->loc);
    if (!v)
      return NULL;
    v->def = op;
    v->result_index = i;
    op->results[i] = v;
  }
  for (uint32_t i = 0; i < spec->num_operands; ++i) {
    op->operands[i].user = op;
    op->operands[i].index = i;
    use_link(&op->operands[i], spec->operands[i]);
  }
  link_op(g, op, before);
  return op;
}

qcc_op *qcc_const_create(qcc_graph *g, const char *name, const qcc_const *k, qcc_loc loc,
                         qcc_op *before) {
  qcc_const *copy = qcc_arena_memdup(g->arena, k, sizeof(*k));
  if (!copy)
    return NULL;
  const char *names[1] = {name};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_Constant),
                      .loc = loc,
                      .num_results = 1,
                      .result_names = names,
                      .result_types = &k->type};
  qcc_op *op = qcc_op_create(g, &spec, before);
  if (op)
    op->konst = copy;
  return op;
}

void qcc_op_set_operand(qcc_op *op, uint32_t index, qcc_value *v) {
  qcc_use *u = &op->operands[index];
  use_unlink(u);
  use_link(u, v);
}

void qcc_value_replace_all_uses(qcc_value *from, qcc_value *to) {
  while (from->first_use) {
    qcc_use *u = from->first_use;
    use_unlink(u);
    use_link(u, to);
  }
  /* Graph outputs are not uses; redirect them too. */
  qcc_graph *g = from->graph;
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    if (g->outputs[i] == from)
      g->outputs[i] = to;
}

bool qcc_value_has_uses(const qcc_value *v) { return v->first_use != NULL; }

uint32_t qcc_value_use_count(const qcc_value *v) {
  uint32_t n = 0;
  for (const qcc_use *u = v->first_use; u; u = u->next)
    ++n;
  return n;
}

void qcc_op_erase(qcc_op *op) {
  for (uint32_t i = 0; i < op->num_operands; ++i)
    use_unlink(&op->operands[i]);
  for (uint32_t r = 0; r < op->num_results; ++r)
    table_remove(op->graph, op->results[r]);
  unlink_op(op);
}

void qcc_op_move_before(qcc_op *op, qcc_op *before) {
  qcc_graph *g = op->graph;
  unlink_op(op);
  link_op(g, op, before);
}

const qcc_attr *qcc_op_attr(const qcc_op *op, const char *name) {
  for (uint32_t i = 0; i < op->num_attrs; ++i)
    if (strcmp(op->attrs[i].name, name) == 0)
      return &op->attrs[i];
  return NULL;
}

/* The attribute as written when it has kind `want` (or, for a float, an int), else the default
 * of the op's attribute table, else NULL. Aborts on a name the op does not declare. */
static const qcc_attr *attr_or_default(const qcc_op *op, const char *name, qcc_attr_kind want) {
  const qcc_attr_spec *spec = qcc_op_attr_spec(op->def, name);
  if (!spec) {
    fprintf(stderr, "qcc: internal error: %s has no attribute '%s'\n", op->def->name, name);
    abort();
  }
  const qcc_attr *a = qcc_op_attr(op, name);
  if (a && (a->kind == want || (want == QCC_ATTR_FLOAT && a->kind == QCC_ATTR_INT)))
    return a;
  return spec->has_default ? &spec->dflt : NULL;
}

static const qcc_attr *scalar_attr(const qcc_op *op, const char *name, qcc_attr_kind want) {
  const qcc_attr *a = attr_or_default(op, name, want);
  if (!a) {
    fprintf(stderr, "qcc: internal error: %s attribute '%s' is absent and has no default\n",
            op->def->name, name);
    abort();
  }
  return a;
}

int64_t qcc_op_attr_int(const qcc_op *op, const char *name) {
  return scalar_attr(op, name, QCC_ATTR_INT)->i;
}

float qcc_op_attr_float(const qcc_op *op, const char *name) {
  const qcc_attr *a = scalar_attr(op, name, QCC_ATTR_FLOAT);
  return a->kind == QCC_ATTR_INT ? (float)a->i : a->f;
}

const char *qcc_op_attr_string(const qcc_op *op, const char *name) {
  return scalar_attr(op, name, QCC_ATTR_STRING)->s;
}

uint32_t qcc_op_attr_ints(const qcc_op *op, const char *name, const int64_t **v) {
  const qcc_attr *a = attr_or_default(op, name, QCC_ATTR_INTS);
  *v = a ? a->ints.v : NULL;
  return a ? a->ints.n : 0;
}

uint32_t qcc_op_attr_floats(const qcc_op *op, const char *name, const float **v) {
  const qcc_attr *a = attr_or_default(op, name, QCC_ATTR_FLOATS);
  *v = a ? a->floats.v : NULL;
  return a ? a->floats.n : 0;
}

qcc_value *qcc_op_operand(const qcc_op *op, uint32_t i) {
  return i < op->num_operands ? op->operands[i].value : NULL;
}

const qcc_const *qcc_value_const(const qcc_value *v) { return v && v->def ? v->def->konst : NULL; }

uint32_t qcc_graph_renumber(qcc_graph *g) {
  uint32_t id = 0;
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    g->inputs[i]->id = id++;
  qcc_graph_for_each_op(g, op) for (uint32_t r = 0; r < op->num_results; ++r) op->results[r]->id =
      id++;
  g->num_values = id;
  return id;
}
