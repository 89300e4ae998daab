/* Internals of the ONNX loader shared by its files: onnx_loader.c (indexing, ordering and
 * building the graph), onnx_names.c (name map, index heap), onnx_ops.c (op and opset checks),
 * onnx_types.c (graph input types) and onnx_attrs.c (attribute conversion). */
#ifndef QCC_FRONTEND_ONNX_INTERNAL_H
#define QCC_FRONTEND_ONNX_INTERNAL_H

#include "frontend/onnx_loader.h"
#include "ir/op_registry.h"
#include "onnx.pb-c.h"

static inline const char *onnx_str_or_empty(const char *s) { return s ? s : ""; }

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

/* Sizes the map for `expected` names; false on OOM. */
bool onnx_map_init(name_map *m, size_t expected);
const name_entry *onnx_map_find(const name_map *m, const char *name);
/* Returns the existing entry when the name is already present (nothing inserted). The map is
 * sized up front for every name, so it never fills. */
const name_entry *onnx_map_insert(name_map *m, const char *name, name_kind kind, uint32_t index);

/* ---- min-heap of node indices, for a Kahn sort that keeps the file's order when valid ---- */

typedef struct index_heap {
  uint32_t *v;
  size_t n;
} index_heap;

void onnx_heap_push(index_heap *h, uint32_t x);
uint32_t onnx_heap_pop(index_heap *h);

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

static inline qcc_loc onnx_file_loc(const loader *L) { return (qcc_loc){.file = L->path}; }
static inline qcc_loc onnx_node_loc(const loader *L, size_t i) {
  return (qcc_loc){.file = L->path, .node = L->node_names[i]};
}

static inline qcc_status onnx_nomem(loader *L) {
  qcc_diag_error(L->diag, onnx_file_loc(L), "out of memory");
  return QCC_ERR_NOMEM;
}

/* ---- ops and opsets (onnx_ops.c) ---- */

bool onnx_is_default_domain(const char *d);
/* The registry entry for a node's (domain, op_type), or NULL. */
const qcc_op_def *onnx_lookup_node_def(const Onnx__NodeProto *n);
bool onnx_node_is_constant(const Onnx__NodeProto *n);
/* One error listing every unsupported operator, with counts and the first node names. */
qcc_status onnx_check_supported_ops(loader *L);
/* The default-domain opset must be imported and supported; sets L->opset. */
qcc_status onnx_check_opsets(loader *L, const Onnx__ModelProto *m);
/* Node `index` of op `def` is written in the form of the imported opset: the op exists there
 * (LayerNormalization 17, Gelu 20), attributes that became inputs (ReduceSum's axes at 13,
 * ReduceMean's and ReduceMax's at 18, Split's split at 13) are given the way that opset takes
 * them, and no attribute is newer than it (noop_with_empty_axes, num_outputs). */
qcc_status onnx_check_node_form(loader *L, size_t index, const qcc_op_def *def);

/* ---- graph input types (onnx_types.c) ---- */

/* The --shape binding named `name` (its index in *idx), or NULL. */
const qcc_shape_binding *onnx_find_binding(const loader *L, const char *name, size_t *idx);
/* The type of a graph input, with --shape bindings applied. */
qcc_status onnx_input_type(loader *L, const Onnx__ValueInfoProto *vi, qcc_type *out);

/* ---- attributes (onnx_attrs.c) ---- */

/* Converts attribute `a` of node `node_index` into `out` (payloads in the graph arena). */
qcc_status onnx_convert_attr(loader *L, size_t node_index, const Onnx__AttributeProto *a,
                             qcc_attr *out);

#endif
