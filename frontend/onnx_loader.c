/* ONNX ModelProto -> qcc graph.
 *
 * Order of work: parse (protobuf-c), list unsupported operators in one error, check opsets,
 * index every defined name, sort nodes topologically (Kahn, stable), then build inputs,
 * constants and ops, inferring each op's result types as it is created. */
#include "frontend/onnx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"
#include "ir/op_registry.h"
#include "ir/verifier.h"

static qcc_status assign_node_names(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  L->node_names =
      qcc_arena_alloc_array(L->g->arena, gp->n_node ? gp->n_node : 1, sizeof(const char *));
  if (!L->node_names)
    return onnx_nomem(L);
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
      return onnx_nomem(L);
  }
  return QCC_OK;
}

/* ---- graph indexing and topological order ------------------------------------------------------
 */

static bool name_is_initializer(const loader *L, const char *name) {
  const name_entry *e = onnx_map_find(&L->names, name);
  return e && e->kind == NAME_INITIALIZER;
}

static qcc_status index_names(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t total = gp->n_initializer + gp->n_input;
  for (size_t i = 0; i < gp->n_node; ++i) {
    if (gp->node[i]->n_output > SIZE_MAX / 4 - total)
      return onnx_nomem(L);
    total += gp->node[i]->n_output;
  }
  if (!onnx_map_init(&L->names, total))
    return onnx_nomem(L);
  qcc_loc loc = onnx_file_loc(L);
  for (size_t i = 0; i < gp->n_initializer; ++i) {
    const char *name = onnx_str_or_empty(gp->initializer[i]->name);
    if (!*name) {
      qcc_diag_error(L->diag, loc, "initializer %zu has no name", i);
      return QCC_ERR_INPUT;
    }
    if (onnx_map_insert(&L->names, name, NAME_INITIALIZER, (uint32_t)i)) {
      qcc_diag_error(L->diag, loc, "initializer '%s' is defined twice", name);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < gp->n_input; ++i) {
    const char *name = onnx_str_or_empty(gp->input[i]->name);
    if (!*name) {
      qcc_diag_error(L->diag, loc, "graph input %zu has no name", i);
      return QCC_ERR_INPUT;
    }
    const name_entry *e = onnx_map_insert(&L->names, name, NAME_INPUT, (uint32_t)i);
    if (e && e->kind != NAME_INITIALIZER) {
      qcc_diag_error(L->diag, loc, "graph input '%s' is declared twice", name);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < gp->n_node; ++i) {
    const Onnx__NodeProto *n = gp->node[i];
    for (size_t j = 0; j < n->n_output; ++j) {
      const char *name = onnx_str_or_empty(n->output[j]);
      if (!*name)
        continue;
      const name_entry *e = onnx_map_insert(&L->names, name, NAME_NODE, (uint32_t)i);
      if (e) {
        const char *prev = e->kind == NAME_NODE    ? "another node"
                           : e->kind == NAME_INPUT ? "a graph input"
                                                   : "an initializer";
        qcc_diag_error(L->diag, onnx_node_loc(L, i), "output '%s' is already defined by %s", name,
                       prev);
        return QCC_ERR_INPUT;
      }
    }
  }
  return QCC_OK;
}

/* Index of the node producing `name`, or -1. */
static int64_t producer(const loader *L, const char *name) {
  const name_entry *e = onnx_map_find(&L->names, name);
  return e && e->kind == NAME_NODE ? (int64_t)e->index : -1;
}

static qcc_status sort_nodes(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t n = gp->n_node;
  if (n > UINT32_MAX - 1) {
    qcc_diag_error(L->diag, onnx_file_loc(L), "too many nodes");
    return QCC_ERR_INPUT;
  }
  /* Dangling inputs first: they would otherwise look like unsatisfiable dependencies. */
  size_t edges = 0;
  for (size_t i = 0; i < n; ++i) {
    const Onnx__NodeProto *node = gp->node[i];
    for (size_t j = 0; j < node->n_input; ++j) {
      const char *in = onnx_str_or_empty(node->input[j]);
      if (!*in)
        continue;
      if (!onnx_map_find(&L->names, in)) {
        qcc_diag_error(L->diag, onnx_node_loc(L, i),
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
    st = onnx_nomem(L);
    goto done;
  }
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j) {
      int64_t p = producer(L, onnx_str_or_empty(gp->node[i]->input[j]));
      if (p >= 0) {
        start[p + 1]++;
        indeg[i]++;
      }
    }
  for (size_t i = 0; i < n; ++i)
    start[i + 1] += start[i];
  for (size_t i = 0; i < n; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j) {
      int64_t p = producer(L, onnx_str_or_empty(gp->node[i]->input[j]));
      if (p >= 0)
        succ[start[p] + fill[p]++] = (uint32_t)i;
    }
  for (size_t i = 0; i < n; ++i)
    if (indeg[i] == 0)
      onnx_heap_push(&heap, (uint32_t)i);
  size_t done_count = 0;
  while (heap.n) {
    uint32_t i = onnx_heap_pop(&heap);
    L->order[done_count++] = i;
    for (size_t k = start[i]; k < start[i + 1]; ++k)
      if (--indeg[succ[k]] == 0)
        onnx_heap_push(&heap, succ[k]);
  }
  if (done_count != n) {
    /* Walk back through unsorted producers until a node repeats: it lies on a cycle. */
    bool *seen = calloc(n, sizeof(bool));
    if (!seen) {
      st = onnx_nomem(L);
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
        const char *in = onnx_str_or_empty(node->input[j]);
        int64_t p = producer(L, in);
        if (p >= 0 && indeg[p] > 0) {
          cur = (size_t)p;
          via = in;
          break;
        }
      }
    }
    free(seen);
    qcc_diag_error(L->diag, onnx_node_loc(L, cur),
                   "graph has a cycle through output '%s' of this node", via);
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
    qcc_status st = onnx_input_type(L, vi, &t);
    if (st != QCC_OK)
      return st;
    qcc_loc loc = onnx_file_loc(L);
    if (!qcc_graph_add_input(L->g, vi->name, t, loc))
      return onnx_nomem(L);
  }
  if (L->opts)
    for (uint32_t i = 0; i < L->opts->num_shapes; ++i)
      if (!L->binding_used[i]) {
        const char *name = onnx_str_or_empty(L->opts->shapes[i].name);
        const name_entry *e = onnx_map_find(&L->names, name);
        if (e && e->kind == NAME_INPUT)
          continue; /* already reported */
        qcc_diag_error(L->diag, onnx_file_loc(L),
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
      return onnx_nomem(L);
    uses += gp->node[i]->n_input;
  }
  if (!onnx_map_init(&used, uses))
    return onnx_nomem(L);
  for (size_t i = 0; i < gp->n_output; ++i)
    onnx_map_insert(&used, onnx_str_or_empty(gp->output[i]->name), NAME_NODE, 0);
  for (size_t i = 0; i < gp->n_node; ++i)
    for (size_t j = 0; j < gp->node[i]->n_input; ++j)
      onnx_map_insert(&used, onnx_str_or_empty(gp->node[i]->input[j]), NAME_NODE, 0);
  qcc_status st = QCC_OK;
  for (size_t i = 0; i < gp->n_initializer && st == QCC_OK; ++i) {
    const Onnx__TensorProto *t = gp->initializer[i];
    if (!onnx_map_find(&used, t->name))
      continue; /* unused weights stay out of the graph */
    qcc_const k;
    qcc_loc loc = onnx_file_loc(L);
    st = qcc_onnx_decode_tensor(t, t->name, L->base_dir, L->g->arena, L->diag, loc, &k);
    if (st == QCC_OK && !qcc_const_create(L->g, t->name, &k, loc, NULL))
      st = onnx_nomem(L);
  }
  free(used.slots);
  return st;
}

/* Constant node: value (tensor) or one of the scalar/list forms. */
static qcc_status build_constant(loader *L, size_t index) {
  const Onnx__NodeProto *n = L->gp->node[index];
  qcc_loc loc = onnx_node_loc(L, index);
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
  const char *an = onnx_str_or_empty(a->name);
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
      return onnx_nomem(L);
    k.nbytes = (count < 0 ? 1 : (size_t)count) * qcc_elem_size(elem);
    if (!(k.data = qcc_arena_alloc(arena, k.nbytes ? k.nbytes : 1)))
      return onnx_nomem(L);
    if (k.nbytes)
      memcpy((void *)k.data, src, k.nbytes);
  }
  qcc_op *op = qcc_const_create(L->g, n->output[0], &k, loc, NULL);
  if (!op)
    return onnx_nomem(L);
  op->name = L->node_names[index];
  return QCC_OK;
}

static qcc_status build_node(loader *L, size_t index) {
  const Onnx__NodeProto *n = L->gp->node[index];
  if (onnx_node_is_constant(n))
    return build_constant(L, index);
  qcc_loc loc = onnx_node_loc(L, index);
  qcc_arena *arena = L->g->arena;
  const qcc_op_def *def = onnx_lookup_node_def(n);
  if (onnx_is_default_domain(n->domain)) {
    qcc_status st = onnx_check_node_form(L, index, def);
    if (st != QCC_OK)
      return st;
  }
  if (n->n_input > UINT16_MAX || n->n_output > UINT16_MAX || n->n_attribute > UINT16_MAX) {
    qcc_diag_error(L->diag, loc, "node has too many inputs, outputs or attributes");
    return QCC_ERR_INPUT;
  }
  qcc_value **operands = qcc_arena_alloc_array(arena, n->n_input + 1, sizeof(qcc_value *));
  const char **results = qcc_arena_alloc_array(arena, n->n_output + 1, sizeof(char *));
  bool add_coerce = def->kind == QCC_OP_Softmax && L->opset < 13;
  size_t nattrs = n->n_attribute + (add_coerce ? 1 : 0);
  qcc_attr *attrs = qcc_arena_alloc_array(arena, nattrs + 1, sizeof(qcc_attr));
  if (!operands || !results || !attrs)
    return onnx_nomem(L);
  for (size_t i = 0; i < n->n_input; ++i) {
    const char *in = onnx_str_or_empty(n->input[i]);
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
    qcc_status st = onnx_convert_attr(L, index, n->attribute[i], &attrs[i]);
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
    return onnx_nomem(L);
  return qcc_infer_op_types(op, L->diag);
}

/* A graph output whose shape the shape rules cannot know (it depends on the values of a run-time
 * operand: Reshape's shape, Squeeze's axes, Pad's pads) takes the static shape the model declares
 * for it, when that declaration refines the inferred type, as a .qir result's written type does.
 * Declarations that disagree with the inferred type, or are not fully static, are ignored. */
static qcc_status refine_output_type(loader *L, const Onnx__ValueInfoProto *vi, qcc_value *v) {
  const Onnx__TypeProto *tp = vi->type;
  if (qcc_type_is_static(v->type) || !tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE ||
      !tp->tensor_type || !tp->tensor_type->shape || tp->tensor_type->shape->n_dim > QCC_MAX_RANK)
    return QCC_OK;
  const Onnx__TensorShapeProto *sp = tp->tensor_type->shape;
  int32_t rank = (int32_t)sp->n_dim;
  qcc_dim dims[QCC_MAX_RANK];
  for (int32_t i = 0; i < rank; ++i) {
    const Onnx__TensorShapeProto__Dimension *d = sp->dim[i];
    if (d->value_case != ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE || d->dim_value < 0)
      return QCC_OK;
    dims[i] = (qcc_dim){.size = d->dim_value, .sym = NULL};
  }
  qcc_type declared = v->type;
  declared.rank = rank;
  declared.dims = dims;
  if (!qcc_type_refines(declared, v->type))
    return QCC_OK;
  qcc_dim *kept = qcc_arena_alloc_array(L->g->arena, (size_t)rank + 1, sizeof(qcc_dim));
  if (!kept)
    return onnx_nomem(L);
  memcpy(kept, dims, (size_t)rank * sizeof(qcc_dim));
  v->type.rank = rank;
  v->type.dims = kept;
  return QCC_OK;
}

static qcc_status build_outputs(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  for (size_t i = 0; i < gp->n_output; ++i) {
    const char *name = onnx_str_or_empty(gp->output[i]->name);
    qcc_value *v = *name ? qcc_graph_lookup(L->g, name) : NULL;
    if (!v) {
      qcc_diag_error(L->diag, onnx_file_loc(L), "graph output '%s' is not defined", name);
      return QCC_ERR_INPUT;
    }
    qcc_status st = refine_output_type(L, gp->output[i], v);
    if (st != QCC_OK)
      return st;
    if (!qcc_graph_add_output(L->g, v))
      return onnx_nomem(L);
  }
  if (gp->n_output == 0) {
    qcc_diag_error(L->diag, onnx_file_loc(L), "graph has no outputs");
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
  qcc_loc loc = onnx_file_loc(L);
  if (!m->graph) {
    qcc_diag_error(L->diag, loc, "model has no graph");
    return QCC_ERR_INPUT;
  }
  L->gp = m->graph;
  qcc_status st = assign_node_names(L);
  if (st == QCC_OK)
    st = onnx_check_supported_ops(L);
  if (st == QCC_OK)
    st = onnx_check_opsets(L, m);
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
