/* ONNX ModelProto -> qcc graph.
 *
 * Order of work: parse (protobuf-c), list unsupported operators in one error, check opsets,
 * index every defined name, sort nodes topologically (Kahn, stable), then build inputs,
 * constants and ops, inferring each op's result types as it is created. */
#include "frontend/onnx_loader.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"
#include "ir/hash.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"
#include "onnx.pb-c.h"

/* Opsets before 10 are accepted for the ops whose meaning did not change since (the ONNX
 * backend tests still ship such models); legacy attributes are reported as unknown. */
enum { MIN_OPSET = 1, MAX_OPSET = 19 };

static const char *str_or_empty(const char *s) { return s ? s : ""; }

/* ---- name -> index map (open addressing, heap owned) ------------------------------------ */

typedef enum { NAME_INPUT, NAME_INITIALIZER, NAME_NODE } name_kind;

typedef struct name_entry {
  const char *name;
  name_kind kind;
  uint32_t index; /* input / initializer / node index */
} name_entry;

typedef struct name_map {
  name_entry *slots;
  size_t cap, count;
} name_map;

static name_entry *map_slot(const name_map *m, const char *name) {
  size_t mask = m->cap - 1;
  for (size_t i = (size_t)qcc_hash_str(name) & mask;; i = (i + 1) & mask)
    if (!m->slots[i].name || strcmp(m->slots[i].name, name) == 0)
      return &m->slots[i];
}

static bool map_init(name_map *m, size_t expected) {
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

static const name_entry *map_find(const name_map *m, const char *name) {
  const name_entry *e = map_slot(m, name);
  return e->name ? e : NULL;
}

/* Returns the existing entry when the name is already present (nothing inserted). The map is
 * sized up front for every name, so it never fills. */
static const name_entry *map_insert(name_map *m, const char *name, name_kind kind, uint32_t index) {
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

typedef struct index_heap {
  uint32_t *v;
  size_t n;
} index_heap;

static void heap_push(index_heap *h, uint32_t x) {
  size_t i = h->n++;
  h->v[i] = x;
  while (i > 0 && h->v[(i - 1) / 2] > h->v[i]) {
    uint32_t t = h->v[i];
    h->v[i] = h->v[(i - 1) / 2];
    h->v[(i - 1) / 2] = t;
    i = (i - 1) / 2;
  }
}

static uint32_t heap_pop(index_heap *h) {
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

/* ---- loader state -------------------------------------------------------------------------- */

typedef struct loader {
  const char *path; /* arena copy, used in every loc */
  char *base_dir;   /* heap: directory of the model, for external data */
  const qcc_onnx_options *opts;
  qcc_diag *diag;
  qcc_graph *g;
  const Onnx__GraphProto *gp;
  int64_t opset;
  const char **node_names; /* arena: node name or generated "OpType_<i>" */
  name_map names;
  uint32_t *order;    /* heap: topological order of node indices */
  bool *binding_used; /* heap: one per --shape binding */
} loader;

static qcc_loc file_loc(const loader *L) { return (qcc_loc){.file = L->path}; }
static qcc_loc node_loc(const loader *L, size_t i) {
  return (qcc_loc){.file = L->path, .node = L->node_names[i]};
}

static bool is_default_domain(const char *d) { return !d || !*d || strcmp(d, "ai.onnx") == 0; }

static const qcc_op_def *lookup_node_def(const Onnx__NodeProto *n) {
  const char *op_type = str_or_empty(n->op_type);
  const qcc_op_def *def = qcc_op_lookup(op_type);
  if (!def)
    return NULL;
  if (is_default_domain(n->domain))
    return def->domain[0] == '\0' ? def : NULL;
  if (strcmp(n->domain, "com.microsoft") == 0)
    return strcmp(def->domain, "com.microsoft") == 0 ? def : NULL;
  return NULL;
}

static bool node_is_constant(const Onnx__NodeProto *n) {
  return is_default_domain(n->domain) && n->op_type && strcmp(n->op_type, "Constant") == 0;
}

static qcc_status nomem(loader *L) {
  qcc_diag_error(L->diag, file_loc(L), "out of memory");
  return QCC_ERR_NOMEM;
}

static qcc_status assign_node_names(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  L->node_names =
      qcc_arena_alloc_array(L->g->arena, gp->n_node ? gp->n_node : 1, sizeof(const char *));
  if (!L->node_names)
    return nomem(L);
  for (size_t i = 0; i < gp->n_node; ++i) {
    const Onnx__NodeProto *n = gp->node[i];
    const char *name = n->name;
    if (name && *name) {
      L->node_names[i] = qcc_arena_strdup(L->g->arena, name);
    } else {
      char buf[96];
      snprintf(buf, sizeof buf, "%.64s_%zu", n->op_type && *n->op_type ? n->op_type : "node", i);
      L->node_names[i] = qcc_arena_strdup(L->g->arena, buf);
    }
    if (!L->node_names[i])
      return nomem(L);
  }
  return QCC_OK;
}

/* One error listing every unsupported operator, with counts and the first node names. */
static qcc_status check_supported_ops(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t n = gp->n_node;
  /* For each node: index of the first node with the same (domain, op_type), if unsupported. */
  uint32_t *first = malloc((n ? n : 1) * sizeof(uint32_t));
  uint32_t *count = calloc(n ? n : 1, sizeof(uint32_t));
  if (!first || !count) {
    free(first);
    free(count);
    return nomem(L);
  }
  name_map kinds;
  if (!map_init(&kinds, n)) {
    free(first);
    free(count);
    return nomem(L);
  }
  /* Keys are "domain\x1fop_type"; heap copies freed below. */
  char **keys = calloc(n ? n : 1, sizeof(char *));
  bool any = false, failed = false;
  for (size_t i = 0; keys && i < n; ++i) {
    const Onnx__NodeProto *node = gp->node[i];
    first[i] = UINT32_MAX;
    if (node_is_constant(node) || lookup_node_def(node))
      continue;
    const char *dom = is_default_domain(node->domain) ? "" : node->domain;
    const char *op = str_or_empty(node->op_type);
    size_t klen = strlen(dom) + 1 + strlen(op) + 1;
    if (!(keys[i] = malloc(klen))) {
      failed = true;
      break;
    }
    snprintf(keys[i], klen, "%s\x1f%s", dom, op);
    const name_entry *e = map_insert(&kinds, keys[i], NAME_NODE, (uint32_t)i);
    first[i] = e ? e->index : (uint32_t)i;
    count[first[i]]++;
    any = true;
  }
  qcc_status st = QCC_OK;
  if (!keys || failed) {
    st = nomem(L);
  } else if (any) {
    /* Build the message in a growing buffer. */
    size_t cap = 256, len = 0;
    char *msg = malloc(cap);
    for (size_t i = 0; msg && i < n; ++i) {
      if (first[i] != i)
        continue;
      const Onnx__NodeProto *node = gp->node[i];
      char part[512];
      int m = snprintf(part, sizeof part, "%s%s%s%.200s (%u node%s: ", len ? ", " : "",
                       is_default_domain(node->domain) ? "" : node->domain,
                       is_default_domain(node->domain) ? "" : "::", str_or_empty(node->op_type),
                       count[i], count[i] == 1 ? "" : "s");
      uint32_t shown = 0;
      for (size_t j = i; j < n && shown < 3 && m > 0 && (size_t)m < sizeof part; ++j)
        if (first[j] == i)
          m += snprintf(part + m, sizeof part - (size_t)m, "%s'%.80s'", shown++ ? ", " : "",
                        L->node_names[j]);
      if (m > 0 && (size_t)m < sizeof part)
        m += snprintf(part + m, sizeof part - (size_t)m, "%s)", count[i] > 3 ? ", ..." : "");
      if (m < 0 || (size_t)m >= sizeof part)
        m = (int)strlen(part);
      while (len + (size_t)m + 1 > cap) {
        cap *= 2;
        char *grown = realloc(msg, cap);
        if (!grown) {
          free(msg);
          msg = NULL;
          break;
        }
        msg = grown;
      }
      if (msg) {
        memcpy(msg + len, part, (size_t)m);
        len += (size_t)m;
        msg[len] = '\0';
      }
    }
    if (!msg) {
      st = nomem(L);
    } else {
      qcc_diag_error(L->diag, file_loc(L), "unsupported operators: %s", msg);
      free(msg);
      st = QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; keys && i < n; ++i)
    free(keys[i]);
  free(keys);
  free(kinds.slots);
  free(first);
  free(count);
  return st;
}

static qcc_status check_opsets(loader *L, const Onnx__ModelProto *m) {
  bool found = false;
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if (!is_default_domain(o->domain))
      continue; /* com.microsoft, ai.onnx.ml, ...: only ops actually used matter */
    if (o->version < MIN_OPSET || o->version > MAX_OPSET) {
      qcc_diag_error(L->diag, file_loc(L),
                     "unsupported opset version %" PRId64 " for the default domain (supported: "
                     "%d to %d)",
                     o->version, MIN_OPSET, MAX_OPSET);
      return QCC_ERR_INPUT;
    }
    found = true;
    L->opset = o->version;
  }
  if (!found) {
    qcc_diag_error(L->diag, file_loc(L), "model does not import the default ONNX opset");
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

/* ---- types ----------------------------------------------------------------------------------- */

/* dim_param -> [A-Za-z0-9_] identifier not starting with a digit. */
static const char *sanitize_symbol(qcc_arena *a, const char *s) {
  size_t n = strlen(s);
  char *out = qcc_arena_alloc(a, n + 2);
  if (!out)
    return NULL;
  size_t k = 0;
  if (s[0] >= '0' && s[0] <= '9')
    out[k++] = '_';
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out[k++] = ok ? c : '_';
  }
  out[k] = '\0';
  return out;
}

static const qcc_shape_binding *find_binding(const loader *L, const char *name, size_t *idx) {
  if (!L->opts)
    return NULL;
  for (uint32_t i = 0; i < L->opts->num_shapes; ++i)
    if (L->opts->shapes[i].name && strcmp(L->opts->shapes[i].name, name) == 0) {
      *idx = i;
      return &L->opts->shapes[i];
    }
  return NULL;
}

/* Type of a graph input from its ValueInfo, with --shape bindings applied. */
static qcc_status input_type(loader *L, const Onnx__ValueInfoProto *vi, qcc_type *out) {
  const char *name = str_or_empty(vi->name);
  qcc_loc loc = file_loc(L);
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
    qcc_diag_error(L->diag, loc, "graph input '%s' is not a tensor", name);
    return QCC_ERR_INPUT;
  }
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  qcc_elem elem;
  char buf[24];
  if (!tt->has_elem_type || !qcc_onnx_elem_from_dtype(tt->elem_type, &elem)) {
    qcc_diag_error(L->diag, loc, "graph input '%s' has unsupported element type %s", name,
                   qcc_onnx_dtype_name(tt->has_elem_type ? tt->elem_type : 0, buf));
    return QCC_ERR_INPUT;
  }
  int32_t rank = QCC_RANK_UNKNOWN;
  qcc_dim *dims = NULL;
  if (tt->shape) {
    if (tt->shape->n_dim > QCC_MAX_RANK) {
      qcc_diag_error(L->diag, loc, "graph input '%s' has rank %zu; at most %d is supported", name,
                     tt->shape->n_dim, QCC_MAX_RANK);
      return QCC_ERR_INPUT;
    }
    rank = (int32_t)tt->shape->n_dim;
    if (!(dims = qcc_arena_alloc_array(L->g->arena, (size_t)rank + 1, sizeof(qcc_dim))))
      return nomem(L);
    for (int32_t i = 0; i < rank; ++i) {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      dims[i] = (qcc_dim){.size = -1, .sym = NULL};
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
        if (d->dim_value < 0) {
          qcc_diag_error(L->diag, loc,
                         "graph input '%s' has negative dimension %" PRId64 " at index %d", name,
                         d->dim_value, i);
          return QCC_ERR_INPUT;
        }
        dims[i].size = d->dim_value;
      } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                 d->dim_param && *d->dim_param) {
        const char *sym = sanitize_symbol(L->g->arena, d->dim_param);
        if (!sym)
          return nomem(L);
        /* The binding may use the symbol as written in the model or as qcc prints it. */
        size_t bi, unused;
        const qcc_shape_binding *b = find_binding(L, d->dim_param, &bi);
        if (!b)
          b = find_binding(L, sym, &bi);
        if (b && !find_binding(L, name, &unused) && !map_find(&L->names, b->name)) {
          /* A binding named like the symbol (and no input) fixes it everywhere. */
          if (b->rank != 1 || b->dims[0] < 0) {
            qcc_diag_error(L->diag, loc, "--shape %s: a symbolic dimension takes exactly one size",
                           b->name);
            return QCC_ERR_INPUT;
          }
          dims[i].size = b->dims[0];
          L->binding_used[bi] = true;
        } else {
          dims[i].sym = sym;
        }
      }
    }
  }
  size_t bi;
  const qcc_shape_binding *b = find_binding(L, name, &bi);
  if (b) {
    if (b->rank < 0 || b->rank > QCC_MAX_RANK || (rank >= 0 && b->rank != rank)) {
      qcc_diag_error(L->diag, loc, "--shape %s: rank %d does not match the input's rank %d", name,
                     b->rank, rank);
      return QCC_ERR_INPUT;
    }
    for (int32_t i = 0; i < b->rank; ++i)
      if (b->dims[i] < 0) {
        qcc_diag_error(L->diag, loc, "--shape %s: negative dimension", name);
        return QCC_ERR_INPUT;
      }
    rank = b->rank;
    if (!(dims = qcc_arena_alloc_array(L->g->arena, (size_t)rank + 1, sizeof(qcc_dim))))
      return nomem(L);
    for (int32_t i = 0; i < rank; ++i)
      dims[i] = (qcc_dim){.size = b->dims[i], .sym = NULL};
    L->binding_used[bi] = true;
  }
  *out = (qcc_type){.elem = elem, .rank = rank, .dims = dims};
  return QCC_OK;
}

/* ---- attributes ------------------------------------------------------------------------------ */

static qcc_status convert_attr(loader *L, size_t node_index, const Onnx__AttributeProto *a,
                               qcc_attr *out) {
  qcc_arena *arena = L->g->arena;
  qcc_loc loc = node_loc(L, node_index);
  const char *name = str_or_empty(a->name);
  if (!*name) {
    qcc_diag_error(L->diag, loc, "attribute without a name");
    return QCC_ERR_INPUT;
  }
  if (a->ref_attr_name && *a->ref_attr_name) {
    qcc_diag_error(L->diag, loc, "attribute '%s' refers to a function attribute", name);
    return QCC_ERR_INPUT;
  }
  if (!(out->name = qcc_arena_strdup(arena, name)))
    return nomem(L);
  Onnx__AttributeProto__AttributeType type = a->has_type ? a->type : 0;
  if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
    /* Very old IR versions left `type` out; infer it from the field in use. */
    if (a->has_f)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    else if (a->has_i)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    else if (a->has_s)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    else if (a->t)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    else if (a->n_floats)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    else if (a->n_ints)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    else if (a->n_strings)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  }
  switch (type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    out->kind = QCC_ATTR_FLOAT;
    out->f = a->f;
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    out->kind = QCC_ATTR_INT;
    out->i = a->i;
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    out->kind = QCC_ATTR_STRING;
    if (a->s.len && memchr(a->s.data, 0, a->s.len)) {
      qcc_diag_error(L->diag, loc, "attribute '%s': string contains a NUL byte", name);
      return QCC_ERR_INPUT;
    }
    if (!(out->s = qcc_arena_strndup(arena, a->s.len ? (const char *)a->s.data : "", a->s.len)))
      return nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    if (a->n_ints > UINT32_MAX)
      break;
    out->kind = QCC_ATTR_INTS;
    out->ints.n = (uint32_t)a->n_ints;
    if (!(out->ints.v = qcc_arena_memdup(arena, a->ints, a->n_ints * sizeof(int64_t))))
      return nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    if (a->n_floats > UINT32_MAX)
      break;
    out->kind = QCC_ATTR_FLOATS;
    out->floats.n = (uint32_t)a->n_floats;
    if (!(out->floats.v = qcc_arena_memdup(arena, a->floats, a->n_floats * sizeof(float))))
      return nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
    if (a->n_strings > UINT32_MAX)
      break;
    const char **v = qcc_arena_alloc_array(arena, a->n_strings + 1, sizeof(char *));
    if (!v)
      return nomem(L);
    for (size_t i = 0; i < a->n_strings; ++i) {
      const ProtobufCBinaryData *s = &a->strings[i];
      if (s->len && memchr(s->data, 0, s->len)) {
        qcc_diag_error(L->diag, loc, "attribute '%s': string contains a NUL byte", name);
        return QCC_ERR_INPUT;
      }
      if (!(v[i] = qcc_arena_strndup(arena, s->len ? (const char *)s->data : "", s->len)))
        return nomem(L);
    }
    out->kind = QCC_ATTR_STRINGS;
    out->strings.v = v;
    out->strings.n = (uint32_t)a->n_strings;
    return QCC_OK;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    if (!a->t)
      break;
    qcc_const *k = qcc_arena_alloc(arena, sizeof(*k));
    if (!k)
      return nomem(L);
    char what[160];
    snprintf(what, sizeof what, "%.120s.%.30s", L->node_names[node_index], name);
    qcc_status st = qcc_onnx_decode_tensor(a->t, what, L->base_dir, arena, L->diag, loc, k);
    if (st != QCC_OK)
      return st;
    out->kind = QCC_ATTR_TENSOR;
    out->tensor = k;
    return QCC_OK;
  }
  default: {
    static const char *const kinds[] = {
        "UNDEFINED",      "FLOAT",      "INT",        "STRING",  "TENSOR", "GRAPH",
        "FLOATS",         "INTS",       "STRINGS",    "TENSORS", "GRAPHS", "SPARSE_TENSOR",
        "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
    const char *kname = (unsigned)type < sizeof kinds / sizeof kinds[0] ? kinds[type] : "unknown";
    qcc_diag_error(L->diag, loc, "attribute '%s' has unsupported type %s", name, kname);
    return QCC_ERR_INPUT;
  }
  }
  qcc_diag_error(L->diag, loc, "attribute '%s' is malformed", name);
  return QCC_ERR_INPUT;
}

/* ---- graph indexing and topological order ------------------------------------------------------
 */

static bool name_is_initializer(const loader *L, const char *name) {
  const name_entry *e = map_find(&L->names, name);
  return e && e->kind == NAME_INITIALIZER;
}

static qcc_status index_names(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t total = gp->n_initializer + gp->n_input;
  for (size_t i = 0; i < gp->n_node; ++i) {
    if (gp->node[i]->n_output > SIZE_MAX / 4 - total)
      return nomem(L);
    total += gp->node[i]->n_output;
  }
  if (!map_init(&L->names, total))
    return nomem(L);
  qcc_loc loc = file_loc(L);
  for (size_t i = 0; i < gp->n_initializer; ++i) {
    const char *name = str_or_empty(gp->initializer[i]->name);
    if (!*name) {
      qcc_diag_error(L->diag, loc, "initializer %zu has no name", i);
      return QCC_ERR_INPUT;
    }
    if (map_insert(&L->names, name, NAME_INITIALIZER, (uint32_t)i)) {
      qcc_diag_error(L->diag, loc, "initializer '%s' is defined twice", name);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < gp->n_input; ++i) {
    const char *name = str_or_empty(gp->input[i]->name);
    if (!*name) {
      qcc_diag_error(L->diag, loc, "graph input %zu has no name", i);
      return QCC_ERR_INPUT;
    }
    const name_entry *e = map_insert(&L->names, name, NAME_INPUT, (uint32_t)i);
    if (e && e->kind != NAME_INITIALIZER) {
      qcc_diag_error(L->diag, loc, "graph input '%s' is declared twice", name);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < gp->n_node; ++i) {
    const Onnx__NodeProto *n = gp->node[i];
    for (size_t j = 0; j < n->n_output; ++j) {
      const char *name = str_or_empty(n->output[j]);
      if (!*name)
        continue;
      const name_entry *e = map_insert(&L->names, name, NAME_NODE, (uint32_t)i);
      if (e) {
        const char *prev = e->kind == NAME_NODE    ? "another node"
                           : e->kind == NAME_INPUT ? "a graph input"
                                                   : "an initializer";
        qcc_diag_error(L->diag, node_loc(L, i), "output '%s' is already defined by %s", name, prev);
        return QCC_ERR_INPUT;
      }
    }
  }
  return QCC_OK;
}

/* Index of the node producing `name`, or -1. */
static int64_t producer(const loader *L, const char *name) {
  const name_entry *e = map_find(&L->names, name);
  return e && e->kind == NAME_NODE ? (int64_t)e->index : -1;
}

static qcc_status sort_nodes(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t n = gp->n_node;
  if (n > UINT32_MAX - 1) {
    qcc_diag_error(L->diag, file_loc(L), "too many nodes");
    return QCC_ERR_INPUT;
  }
  /* Dangling inputs first: they would otherwise look like unsatisfiable dependencies. */
  size_t edges = 0;
  for (size_t i = 0; i < n; ++i) {
    const Onnx__NodeProto *node = gp->node[i];
    for (size_t j = 0; j < node->n_input; ++j) {
      const char *in = str_or_empty(node->input[j]);
      if (!*in)
        continue;
      if (!map_find(&L->names, in)) {
        qcc_diag_error(L->diag, node_loc(L, i),
                       "input '%s' is not produced by any node, initializer or graph input", in);
        return QCC_ERR_INPUT;
      }
      if (producer(L, in) >= 0)
        ++edges;
    }
  }
  /* Successor lists in CSR form: succ[start[p] .. start[p+1]) are the consumers of node p. */
  size_t *start = calloc(n + 1, sizeof(size_t));
  uint32_t *succ = malloc((edges ? edges : 1) * sizeof(uint32_t));
  uint32_t *indeg = calloc(n ? n : 1, sizeof(uint32_t));
  size_t *fill = calloc(n ? n : 1, sizeof(size_t));
  index_heap heap = {.v = malloc((n ? n : 1) * sizeof(uint32_t)), .n = 0};
  L->order = malloc((n ? n : 1) * sizeof(uint32_t));
  qcc_status st = QCC_OK;
  if (!start || !succ || !indeg || !fill || !heap.v || !L->order) {
    st = nomem(L);
    goto done;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j) {
      int64_t p = producer(L, str_or_empty(gp->node[i]->input[j]));
      if (p >= 0) {
        start[p + 1]++;
        indeg[i]++;
      }
    }
  for (size_t i = 0; i < n; ++i)
    start[i + 1] += start[i];
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j) {
      int64_t p = producer(L, str_or_empty(gp->node[i]->input[j]));
      if (p >= 0)
        succ[start[p] + fill[p]++] = (uint32_t)i;
    }
  for (size_t i = 0; i < n; ++i)
    if (indeg[i] == 0)
      heap_push(&heap, (uint32_t)i);
  size_t done_count = 0;
  while (heap.n) {
    uint32_t i = heap_pop(&heap);
    L->order[done_count++] = i;
    for (size_t k = start[i]; k < start[i + 1]; ++k)
      if (--indeg[succ[k]] == 0)
        heap_push(&heap, succ[k]);
  }
  if (done_count != n) {
    /* Walk back through unsorted producers until a node repeats: it lies on a cycle. */
    bool *seen = calloc(n, sizeof(bool));
    if (!seen) {
      st = nomem(L);
      goto done;
    }
    size_t cur = 0;
    while (indeg[cur] == 0)
      ++cur;
    const char *via = "";
    while (!seen[cur]) {
      seen[cur] = true;
      const Onnx__NodeProto *node = gp->node[cur];
      for (size_t j = 0; j < node->n_input; ++j) {
        const char *in = str_or_empty(node->input[j]);
        int64_t p = producer(L, in);
        if (p >= 0 && indeg[p] > 0) {
          cur = (size_t)p;
          via = in;
          break;
        }
      }
    }
    free(seen);
    qcc_diag_error(L->diag, node_loc(L, cur), "graph has a cycle through output '%s' of this node",
                   via);
    st = QCC_ERR_INPUT;
  }
done:
  free(start);
  free(succ);
  free(indeg);
  free(fill);
  free(heap.v);
  return st;
}

/* ---- building -------------------------------------------------------------------------------- */

static qcc_status build_inputs(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  for (size_t i = 0; i < gp->n_input; ++i) {
    const Onnx__ValueInfoProto *vi = gp->input[i];
    if (name_is_initializer(L, vi->name))
      continue; /* an initializer with a declared input: a constant */
    qcc_type t;
    qcc_status st = input_type(L, vi, &t);
    if (st != QCC_OK)
      return st;
    qcc_loc loc = file_loc(L);
    if (!qcc_graph_add_input(L->g, vi->name, t, loc))
      return nomem(L);
  }
  if (L->opts)
    for (uint32_t i = 0; i < L->opts->num_shapes; ++i)
      if (!L->binding_used[i]) {
        const char *name = str_or_empty(L->opts->shapes[i].name);
        const name_entry *e = map_find(&L->names, name);
        if (e && e->kind == NAME_INPUT)
          continue; /* already reported */
        qcc_diag_error(L->diag, file_loc(L),
                       "--shape %s: the model has no graph input or symbolic dimension of "
                       "this name",
                       name);
        return QCC_ERR_INPUT;
      }
  return QCC_OK;
}

static qcc_status build_initializers(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  /* Reference check is quadratic only in pathological files; index the uses once. */
  name_map used;
  size_t uses = gp->n_output;
  for (size_t i = 0; i < gp->n_node; ++i) {
    if (gp->node[i]->n_input > SIZE_MAX / 4 - uses)
      return nomem(L);
    uses += gp->node[i]->n_input;
  }
  if (!map_init(&used, uses))
    return nomem(L);
  for (size_t i = 0; i < gp->n_output; ++i)
    map_insert(&used, str_or_empty(gp->output[i]->name), NAME_NODE, 0);
  for (size_t i = 0; i < gp->n_node; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j)
      map_insert(&used, str_or_empty(gp->node[i]->input[j]), NAME_NODE, 0);
  qcc_status st = QCC_OK;
  for (size_t i = 0; i < gp->n_initializer && st == QCC_OK; ++i) {
    const Onnx__TensorProto *t = gp->initializer[i];
    if (!map_find(&used, t->name))
      continue; /* unused weights stay out of the graph */
    qcc_const k;
    qcc_loc loc = file_loc(L);
    st = qcc_onnx_decode_tensor(t, t->name, L->base_dir, L->g->arena, L->diag, loc, &k);
    if (st == QCC_OK && !qcc_const_create(L->g, t->name, &k, loc, NULL))
      st = nomem(L);
  }
  free(used.slots);
  return st;
}

/* Constant node: value (tensor) or one of the scalar/list forms. */
static qcc_status build_constant(loader *L, size_t index) {
  const Onnx__NodeProto *n = L->gp->node[index];
  qcc_loc loc = node_loc(L, index);
  qcc_arena *arena = L->g->arena;
  if (n->n_output != 1 || n->n_input != 0 || !n->output[0] || !*n->output[0]) {
    qcc_diag_error(L->diag, loc, "Constant must have no inputs and one named output");
    return QCC_ERR_INPUT;
  }
  if (n->n_attribute != 1) {
    qcc_diag_error(L->diag, loc, "Constant must have exactly one attribute, found %zu",
                   n->n_attribute);
    return QCC_ERR_INPUT;
  }
  const Onnx__AttributeProto *a = n->attribute[0];
  const char *an = str_or_empty(a->name);
  qcc_const k = {0};
  int64_t count = -1;
  qcc_elem elem = QCC_F32;
  const void *src = NULL;
  if (strcmp(an, "value") == 0 && a->t) {
    qcc_status st =
        qcc_onnx_decode_tensor(a->t, n->output[0], L->base_dir, arena, L->diag, loc, &k);
    if (st != QCC_OK)
      return st;
  } else if (strcmp(an, "value_float") == 0 && a->has_f) {
    elem = QCC_F32, src = &a->f, count = -1;
  } else if (strcmp(an, "value_int") == 0 && a->has_i) {
    elem = QCC_I64, src = &a->i, count = -1;
  } else if (strcmp(an, "value_floats") == 0) {
    elem = QCC_F32, src = a->floats, count = (int64_t)a->n_floats;
  } else if (strcmp(an, "value_ints") == 0) {
    elem = QCC_I64, src = a->ints, count = (int64_t)a->n_ints;
  } else {
    qcc_diag_error(L->diag, loc, "Constant attribute '%s' is not supported", an);
    return QCC_ERR_INPUT;
  }
  if (!k.data) {
    int64_t dims[1] = {count};
    int32_t rank = count < 0 ? 0 : 1;
    if (!qcc_type_make_static(arena, elem, rank, dims, &k.type))
      return nomem(L);
    k.nbytes = (count < 0 ? 1 : (size_t)count) * qcc_elem_size(elem);
    if (!(k.data = qcc_arena_alloc(arena, k.nbytes ? k.nbytes : 1)))
      return nomem(L);
    if (k.nbytes)
      memcpy((void *)k.data, src, k.nbytes);
  }
  qcc_op *op = qcc_const_create(L->g, n->output[0], &k, loc, NULL);
  if (!op)
    return nomem(L);
  op->name = L->node_names[index];
  return QCC_OK;
}

static qcc_status build_node(loader *L, size_t index) {
  const Onnx__NodeProto *n = L->gp->node[index];
  if (node_is_constant(n))
    return build_constant(L, index);
  qcc_loc loc = node_loc(L, index);
  qcc_arena *arena = L->g->arena;
  const qcc_op_def *def = lookup_node_def(n);
  if (n->n_input > UINT16_MAX || n->n_output > UINT16_MAX || n->n_attribute > UINT16_MAX) {
    qcc_diag_error(L->diag, loc, "node has too many inputs, outputs or attributes");
    return QCC_ERR_INPUT;
  }
  qcc_value **operands = qcc_arena_alloc_array(arena, n->n_input + 1, sizeof(qcc_value *));
  const char **results = qcc_arena_alloc_array(arena, n->n_output + 1, sizeof(char *));
  bool add_coerce = strcmp(def->name, "Softmax") == 0 && L->opset < 13;
  size_t nattrs = n->n_attribute + (add_coerce ? 1 : 0);
  qcc_attr *attrs = qcc_arena_alloc_array(arena, nattrs + 1, sizeof(qcc_attr));
  if (!operands || !results || !attrs)
    return nomem(L);
  for (size_t i = 0; i < n->n_input; ++i) {
    const char *in = str_or_empty(n->input[i]);
    if (!*in)
      continue; /* omitted optional operand */
    if (!(operands[i] = qcc_graph_lookup(L->g, in))) {
      qcc_diag_error(L->diag, loc, "input '%s' is not defined", in);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < n->n_output; ++i)
    results[i] = n->output[i] && *n->output[i] ? n->output[i] : NULL; /* NULL: fresh name */
  for (size_t i = 0; i < n->n_attribute; ++i) {
    qcc_status st = convert_attr(L, index, n->attribute[i], &attrs[i]);
    if (st != QCC_OK)
      return st;
  }
  if (add_coerce) {
    /* Softmax before opset 13 flattens to 2-D around `axis`; the op def models that. */
    attrs[n->n_attribute] = (qcc_attr){.name = "coerce_2d", .kind = QCC_ATTR_INT, .i = 1};
  }
  qcc_op_spec spec = {.def = def,
                      .node_name = L->node_names[index],
                      .loc = loc,
                      .num_operands = (uint32_t)n->n_input,
                      .operands = operands,
                      .num_results = (uint32_t)n->n_output,
                      .result_names = results,
                      .num_attrs = (uint32_t)nattrs,
                      .attrs = attrs};
  qcc_op *op = qcc_op_create(L->g, &spec, NULL);
  if (!op)
    return nomem(L);
  return qcc_infer_op_types(op, L->diag);
}

static qcc_status build_outputs(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  for (size_t i = 0; i < gp->n_output; ++i) {
    const char *name = str_or_empty(gp->output[i]->name);
    qcc_value *v = *name ? qcc_graph_lookup(L->g, name) : NULL;
    if (!v) {
      qcc_diag_error(L->diag, file_loc(L), "graph output '%s' is not defined", name);
      return QCC_ERR_INPUT;
    }
    if (!qcc_graph_add_output(L->g, v))
      return nomem(L);
  }
  if (gp->n_output == 0) {
    qcc_diag_error(L->diag, file_loc(L), "graph has no outputs");
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

static char *dir_of(const char *path) {
  const char *slash = strrchr(path, '/');
  if (!slash)
    return strdup(".");
  if (slash == path)
    return strdup("/");
  size_t n = (size_t)(slash - path);
  char *d = malloc(n + 1);
  if (d) {
    memcpy(d, path, n);
    d[n] = '\0';
  }
  return d;
}

static qcc_status load_model(loader *L, const Onnx__ModelProto *m) {
  qcc_loc loc = file_loc(L);
  if (!m->graph) {
    qcc_diag_error(L->diag, loc, "model has no graph");
    return QCC_ERR_INPUT;
  }
  L->gp = m->graph;
  qcc_status st = assign_node_names(L);
  if (st == QCC_OK)
    st = check_supported_ops(L);
  if (st == QCC_OK)
    st = check_opsets(L, m);
  if (st == QCC_OK && L->gp->n_sparse_initializer) {
    qcc_diag_error(L->diag, loc, "sparse initializers are not supported");
    st = QCC_ERR_INPUT;
  }
  if (st == QCC_OK)
    st = index_names(L);
  if (st == QCC_OK)
    st = sort_nodes(L);
  if (st == QCC_OK)
    st = build_inputs(L);
  if (st == QCC_OK)
    st = build_initializers(L);
  for (size_t i = 0; st == QCC_OK && i < L->gp->n_node; ++i)
    st = build_node(L, L->order[i]);
  if (st == QCC_OK)
    st = build_outputs(L);
  if (st == QCC_OK)
    st = qcc_verify_graph(L->g, L->diag);
  return st;
}

qcc_status qcc_load_onnx_file(const char *path, const qcc_onnx_options *opts, qcc_diag *diag,
                              qcc_graph **out) {
  *out = NULL;
  qcc_loc loc = {.file = path};
  uint8_t *bytes;
  size_t size;
  qcc_status st = qcc_onnx_read_file(path, diag, loc, &bytes, &size);
  if (st != QCC_OK)
    return st;
  Onnx__ModelProto *m = onnx__model_proto__unpack(NULL, size, bytes);
  free(bytes);
  if (!m) {
    qcc_diag_error(diag, loc, "not a valid ONNX model (protobuf parse failed)");
    return QCC_ERR_INPUT;
  }
  loader L = {.opts = opts, .diag = diag};
  const char *gname = m->graph && m->graph->name && *m->graph->name ? m->graph->name : "main";
  L.g = qcc_graph_create(gname);
  L.base_dir = dir_of(path);
  uint32_t nb = opts ? opts->num_shapes : 0;
  L.binding_used = calloc(nb ? nb : 1, sizeof(bool));
  if (!L.g || !L.base_dir || !L.binding_used || !(L.path = qcc_arena_strdup(L.g->arena, path))) {
    qcc_diag_error(diag, loc, "out of memory");
    st = QCC_ERR_NOMEM;
  } else {
    st = load_model(&L, m);
  }
  onnx__model_proto__free_unpacked(m, NULL);
  free(L.names.slots);
  free(L.order);
  free(L.base_dir);
  free(L.binding_used);
  if (st != QCC_OK) {
    qcc_graph_destroy(L.g);
    return st;
  }
  *out = L.g;
  return QCC_OK;
}
