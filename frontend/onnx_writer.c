/* qcc graph -> ONNX ModelProto (ir_version 8, default opset 17, com.microsoft 1 if needed).
 *
 * The loader accepts opset 10..20 and keeps attributes as written, so ops whose attributes
 * became operands (or back) between versions are normalized here to their opset-17 form (Split's
 * num_outputs becomes the split operand when the parts' sizes are static); Gelu, which only
 * opset 20 has, is refused. */
#include "frontend/onnx_writer.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"
#include "ir/op_registry.h"
#include "onnx.pb-c.h"

enum { WRITE_OPSET = 17, WRITE_IR_VERSION = 8 };

typedef struct writer {
  const qcc_graph *g;
  qcc_arena *arena; /* all protobuf structs; freed in one go after packing */
  qcc_diag *diag;
  const char *path;
  Onnx__TensorProto **inits;
  size_t n_inits, cap_inits;
  Onnx__NodeProto **nodes;
  size_t n_nodes;
  uint32_t fresh;
  bool uses_contrib;
} writer;

static qcc_loc op_loc(const qcc_op *op) {
  return op->loc.file || op->loc.node ? op->loc : (qcc_loc){.node = op->name};
}

static char *wdup(writer *w, const char *s) { return qcc_arena_strdup(w->arena, s ? s : ""); }

/* Arena copy that is non-NULL even for zero bytes (NULL means out of memory here). */
static void *wcopy(writer *w, const void *src, size_t nbytes) {
  void *p = qcc_arena_alloc(w->arena, nbytes);
  if (p && nbytes)
    memcpy(p, src, nbytes);
  return p;
}

/* A value name not used by the graph nor earlier by this writer. */
static char *fresh_name(writer *w, const char *base) {
  char buf[128];
  do
    snprintf(buf, sizeof buf, "%.80s__qcc%u", base, w->fresh++);
  while (qcc_graph_lookup(w->g, buf));
  return wdup(w, buf);
}

static Onnx__TensorProto *make_tensor(writer *w, const char *name, qcc_elem elem, int32_t rank,
                                      const int64_t *dims, const void *data, size_t nbytes) {
  Onnx__TensorProto *t = qcc_arena_alloc(w->arena, sizeof(*t));
  if (!t)
    return NULL;
  onnx__tensor_proto__init(t);
  t->name = wdup(w, name);
  t->has_data_type = 1;
  t->data_type = qcc_onnx_dtype_from_elem(elem);
  t->n_dims = (size_t)rank;
  t->dims = wcopy(w, dims, (size_t)rank * sizeof(int64_t));
  t->has_raw_data = 1;
  t->raw_data.len = nbytes;
  t->raw_data.data = wcopy(w, data, nbytes);
  if (!t->name || !t->dims || !t->raw_data.data)
    return NULL;
  return t;
}

static Onnx__TensorProto *tensor_from_const(writer *w, const char *name, const qcc_const *k) {
  int64_t dims[QCC_MAX_RANK] = {0};
  if (k->type.rank < 0 || k->type.rank > QCC_MAX_RANK)
    return NULL;
  for (int32_t i = 0; i < k->type.rank; ++i)
    dims[i] = k->type.dims[i].size;
  return make_tensor(w, name, k->type.elem, k->type.rank, dims, k->data, k->nbytes);
}

static bool push_init(writer *w, Onnx__TensorProto *t) {
  if (!t)
    return false;
  if (w->n_inits == w->cap_inits) {
    size_t cap = w->cap_inits ? w->cap_inits * 2 : 16;
    Onnx__TensorProto **grown = qcc_arena_alloc_array(w->arena, cap, sizeof(*grown));
    if (!grown)
      return false;
    if (w->n_inits)
      memcpy(grown, w->inits, w->n_inits * sizeof(*grown));
    w->inits = grown;
    w->cap_inits = cap;
  }
  w->inits[w->n_inits++] = t;
  return true;
}

/* New initializer holding `count` int64s (1-D) or a scalar of `elem` from a double. */
static char *add_ints_init(writer *w, const char *base, const int64_t *v, uint32_t n) {
  char *name = fresh_name(w, base);
  int64_t dims[1] = {(int64_t)n};
  if (!name || !push_init(w, make_tensor(w, name, QCC_I64, 1, dims, v, n * sizeof(int64_t))))
    return NULL;
  return name;
}

static char *add_scalar_init(writer *w, const char *base, qcc_elem elem, double v) {
  char *name = fresh_name(w, base);
  _Alignas(8) unsigned char buf[8] = {0};
  int64_t dims[1] = {0};
  qcc_tensor t = {.elem = elem, .rank = 0, .numel = 1, .data = buf};
  if (elem == QCC_F32 || elem == QCC_F16)
    qcc_tensor_set_f64(&t, 0, v);
  else
    qcc_tensor_set_i64(&t, 0, (int64_t)v);
  if (!name || !push_init(w, make_tensor(w, name, elem, 0, dims, buf, qcc_elem_size(elem))))
    return NULL;
  return name;
}

static bool convert_attr(writer *w, const qcc_attr *a, Onnx__AttributeProto *out) {
  onnx__attribute_proto__init(out);
  out->name = wdup(w, a->name);
  out->has_type = 1;
  switch (a->kind) {
  case QCC_ATTR_INT:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    out->has_i = 1;
    out->i = a->i;
    break;
  case QCC_ATTR_FLOAT:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    out->has_f = 1;
    out->f = a->f;
    break;
  case QCC_ATTR_STRING:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    out->has_s = 1;
    out->s.len = strlen(a->s);
    out->s.data = (uint8_t *)wdup(w, a->s);
    if (!out->s.data)
      return false;
    break;
  case QCC_ATTR_INTS:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    out->n_ints = a->ints.n;
    out->ints = wcopy(w, a->ints.v, a->ints.n * sizeof(int64_t));
    if (!out->ints)
      return false;
    break;
  case QCC_ATTR_FLOATS:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    out->n_floats = a->floats.n;
    out->floats = wcopy(w, a->floats.v, a->floats.n * sizeof(float));
    if (!out->floats)
      return false;
    break;
  case QCC_ATTR_STRINGS:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
    out->n_strings = a->strings.n;
    out->strings = qcc_arena_alloc_array(w->arena, a->strings.n + 1, sizeof(ProtobufCBinaryData));
    if (!out->strings)
      return false;
    for (uint32_t i = 0; i < a->strings.n; ++i) {
      out->strings[i].len = strlen(a->strings.v[i]);
      if (!(out->strings[i].data = (uint8_t *)wdup(w, a->strings.v[i])))
        return false;
    }
    break;
  case QCC_ATTR_TENSOR:
    out->type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    if (!(out->t = tensor_from_const(w, "", a->tensor)))
      return false;
    break;
  }
  return out->name != NULL;
}

/* Node under construction: inputs may grow when attributes move to operands. */
typedef struct node_build {
  const char *inputs[16];
  size_t n_inputs;
  const qcc_attr *attrs[64];
  size_t n_attrs;
  qcc_attr extra[4]; /* attributes synthesized from operands */
  size_t n_extra;
} node_build;

static void set_input(node_build *b, size_t i, const char *name) {
  while (b->n_inputs <= i)
    b->inputs[b->n_inputs++] = "";
  b->inputs[i] = name;
}

static void drop_attr(node_build *b, const char *name) {
  for (size_t i = 0; i < b->n_attrs; ++i)
    if (strcmp(b->attrs[i]->name, name) == 0) {
      memmove(&b->attrs[i], &b->attrs[i + 1], (b->n_attrs - i - 1) * sizeof(b->attrs[0]));
      --b->n_attrs;
      return;
    }
}

static const qcc_attr *find_attr(const node_build *b, const char *name) {
  for (size_t i = 0; i < b->n_attrs; ++i)
    if (strcmp(b->attrs[i]->name, name) == 0)
      return b->attrs[i];
  return NULL;
}

static qcc_status refuse(writer *w, const qcc_op *op, const char *why) {
  qcc_diag_error(w->diag, op_loc(op), "%s: cannot be written as ONNX opset %d: %s", op->def->name,
                 WRITE_OPSET, why);
  return QCC_ERR_INPUT;
}

/* Moves attribute `attr` (ints) to operand `index` as an int64 initializer. */
static qcc_status ints_attr_to_operand(writer *w, const qcc_op *op, node_build *b, const char *attr,
                                       size_t index) {
  const qcc_attr *a = find_attr(b, attr);
  if (!a)
    return QCC_OK;
  if (index < b->n_inputs && b->inputs[index][0])
    return refuse(w, op, "both the attribute and the operand form are present");
  if (a->kind != QCC_ATTR_INTS && !(a->kind == QCC_ATTR_INT))
    return refuse(w, op, "malformed attribute");
  int64_t one = a->i;
  const char *name = a->kind == QCC_ATTR_INTS ? add_ints_init(w, attr, a->ints.v, a->ints.n)
                                              : add_ints_init(w, attr, &one, 1);
  if (!name)
    return QCC_ERR_NOMEM;
  set_input(b, index, name);
  drop_attr(b, attr);
  return QCC_OK;
}

/* Opset 18's Split num_outputs as the split operand opset 17 takes: the results' static sizes
 * along the axis. */
static qcc_status split_sizes_operand(writer *w, const qcc_op *op, node_build *b) {
  const qcc_value *x = op->operands[0].value;
  int64_t axis = qcc_op_attr_int(op, "axis");
  int32_t rank = x ? x->type.rank : -1;
  if (rank < 0 || axis < -(int64_t)rank || axis >= rank || op->num_results > 64)
    return refuse(w, op, "num_outputs needs opset 18 unless the input's rank is known");
  if (axis < 0)
    axis += rank;
  int64_t sizes[64];
  for (uint32_t r = 0; r < op->num_results; ++r) {
    qcc_type t = op->results[r]->type;
    if (t.rank != rank || t.dims[axis].size < 0)
      return refuse(w, op, "num_outputs needs opset 18 unless the parts' sizes are static");
    sizes[r] = t.dims[axis].size;
  }
  const char *vn = add_ints_init(w, "split", sizes, op->num_results);
  if (!vn)
    return QCC_ERR_NOMEM;
  set_input(b, 1, vn);
  drop_attr(b, "num_outputs");
  return QCC_OK;
}

/* Opset-17 normalization of ops whose signature changed across opsets 10..20. */
static qcc_status normalize_node(writer *w, const qcc_op *op, node_build *b) {
  const char *name = op->def->name;
  qcc_status st = QCC_OK;
  qcc_elem elem0 =
      op->num_operands && op->operands[0].value ? op->operands[0].value->type.elem : QCC_F32;
  if (strcmp(name, "Softmax") == 0 || strcmp(name, "LogSoftmax") == 0 ||
      strcmp(name, "Hardmax") == 0) {
    /* Opset < 13 flattened to 2-D around `axis` (default 1). On the last axis that is the
     * same as opset 13's per-axis softmax; elsewhere it is not expressible in one node. */
    const qcc_attr *c = find_attr(b, "coerce_2d");
    if (c && c->kind == QCC_ATTR_INT && c->i != 0) {
      const qcc_attr *ax = find_attr(b, "axis");
      int64_t axis = ax && ax->kind == QCC_ATTR_INT ? ax->i : 1;
      int32_t rank = op->operands[0].value ? op->operands[0].value->type.rank : -1;
      if (rank < 0 || (axis != -1 && axis != rank - 1))
        return refuse(w, op, "it has opset < 13 semantics (coerce_2d) on a non-final axis");
      qcc_attr *a = &b->extra[b->n_extra++];
      *a = (qcc_attr){.name = "axis", .kind = QCC_ATTR_INT, .i = -1};
      drop_attr(b, "axis");
      b->attrs[b->n_attrs++] = a;
    }
    drop_attr(b, "coerce_2d");
  } else if (strcmp(name, "Squeeze") == 0 || strcmp(name, "Unsqueeze") == 0) {
    st = ints_attr_to_operand(w, op, b, "axes", 1);
  } else if (strcmp(name, "Split") == 0) {
    st = ints_attr_to_operand(w, op, b, "split", 1);
    if (st == QCC_OK && find_attr(b, "num_outputs"))
      st = split_sizes_operand(w, op, b);
  } else if (strcmp(name, "Pad") == 0) {
    if (b->n_inputs > 3)
      return refuse(w, op, "the 'axes' operand needs opset 18");
    st = ints_attr_to_operand(w, op, b, "pads", 1);
    const qcc_attr *v = find_attr(b, "value");
    if (st == QCC_OK && v) {
      double val = v->kind == QCC_ATTR_FLOAT ? v->f : (double)v->i;
      const char *vn = add_scalar_init(w, "pad_value", elem0, val);
      if (!vn)
        return QCC_ERR_NOMEM;
      set_input(b, 2, vn);
      drop_attr(b, "value");
    }
  } else if (strcmp(name, "Clip") == 0) {
    static const char *const bounds[2] = {"min", "max"};
    for (size_t i = 0; i < 2; ++i) {
      const qcc_attr *a = find_attr(b, bounds[i]);
      if (!a)
        continue;
      if (b->n_inputs > i + 1 && b->inputs[i + 1][0])
        return refuse(w, op, "both the attribute and the operand form are present");
      double val = a->kind == QCC_ATTR_FLOAT ? a->f : (double)a->i;
      const char *vn = add_scalar_init(w, bounds[i], elem0, val);
      if (!vn)
        return QCC_ERR_NOMEM;
      set_input(b, i + 1, vn);
      drop_attr(b, bounds[i]);
    }
  } else if (strcmp(name, "ReduceSum") == 0) {
    st = ints_attr_to_operand(w, op, b, "axes", 1);
  } else if (strncmp(name, "Reduce", 6) == 0 && b->n_inputs >= 2 && b->inputs[1][0]) {
    /* Opset 18 moved axes to an operand: back to the attribute. */
    {
      const qcc_const *k = qcc_value_const(op->operands[1].value);
      if (!k || k->type.elem != QCC_I64 || k->type.rank != 1)
        return refuse(w, op, "its 'axes' operand is not a constant int64 vector");
      qcc_attr *a = &b->extra[b->n_extra++];
      *a = (qcc_attr){.name = "axes", .kind = QCC_ATTR_INTS};
      a->ints.v = k->data;
      a->ints.n = (uint32_t)(k->nbytes / sizeof(int64_t));
      b->attrs[b->n_attrs++] = a;
      b->n_inputs = 1;
    }
  }
  if (st == QCC_OK && strncmp(name, "Reduce", 6) == 0 && strcmp(name, "ReduceSum") != 0 &&
      find_attr(b, "noop_with_empty_axes")) {
    /* Opset 18's noop_with_empty_axes: without effect unless the axes are empty. */
    const qcc_attr *noop = find_attr(b, "noop_with_empty_axes"), *ax = find_attr(b, "axes");
    if (noop->kind == QCC_ATTR_INT && noop->i != 0 && (!ax || ax->ints.n == 0))
      return refuse(w, op, "noop_with_empty_axes with no axes needs opset 18");
    drop_attr(b, "noop_with_empty_axes");
  }
  if (strcmp(name, "Resize") == 0 && b->n_inputs == 2) {
    /* Opset 10 Resize(X, scales) is Resize(X, roi = none, scales) since opset 11. */
    set_input(b, 2, b->inputs[1]);
    b->inputs[1] = "";
  }
  return st;
}

static qcc_status write_op(writer *w, const qcc_op *op) {
  const qcc_op_def *def = op->def;
  /* A layout change is the identity on the logical tensor ONNX describes; layouts of values
   * are not exported. */
  bool as_identity = qcc_op_is(op, QCC_OP_Relayout);
  if (as_identity)
    def = qcc_op_get(QCC_OP_Identity);
  if (strcmp(def->domain, "") != 0 && strcmp(def->domain, "com.microsoft") != 0) {
    char why[128];
    snprintf(why, sizeof why, "it is a qcc-internal operator (domain '%s'); use --emit=qir",
             def->domain);
    return refuse(w, op, why);
  }
  if (qcc_op_is(op, QCC_OP_Gelu))
    return refuse(w, op, "Gelu exists from opset 20 on");
  if (op->num_operands > 12 || op->num_attrs > 56)
    return refuse(w, op, "too many operands or attributes");
  node_build b = {0};
  for (uint32_t i = 0; i < op->num_operands; ++i)
    b.inputs[b.n_inputs++] = op->operands[i].value ? op->operands[i].value->name : "";
  while (b.n_inputs && !b.inputs[b.n_inputs - 1][0])
    --b.n_inputs; /* trailing omitted optional operands */
  for (uint32_t i = 0; i < op->num_attrs && !as_identity; ++i)
    b.attrs[b.n_attrs++] = &op->attrs[i];
  qcc_status st = as_identity ? QCC_OK : normalize_node(w, op, &b);
  if (st != QCC_OK)
    return st;
  Onnx__NodeProto *n = qcc_arena_alloc(w->arena, sizeof(*n));
  if (!n)
    return QCC_ERR_NOMEM;
  onnx__node_proto__init(n);
  n->op_type = wdup(w, def->name);
  n->name = wdup(w, op->name ? op->name : "");
  if (def->domain[0]) {
    n->domain = wdup(w, def->domain);
    w->uses_contrib = true;
  }
  n->n_input = b.n_inputs;
  n->input = qcc_arena_alloc_array(w->arena, b.n_inputs + 1, sizeof(char *));
  n->n_output = op->num_results;
  n->output = qcc_arena_alloc_array(w->arena, op->num_results + 1, sizeof(char *));
  n->n_attribute = b.n_attrs;
  n->attribute = qcc_arena_alloc_array(w->arena, b.n_attrs + 1, sizeof(Onnx__AttributeProto *));
  if (!n->op_type || !n->name || !n->input || !n->output || !n->attribute)
    return QCC_ERR_NOMEM;
  for (size_t i = 0; i < b.n_inputs; ++i)
    if (!(n->input[i] = wdup(w, b.inputs[i])))
      return QCC_ERR_NOMEM;
  for (uint32_t i = 0; i < op->num_results; ++i)
    if (!(n->output[i] = wdup(w, op->results[i]->name)))
      return QCC_ERR_NOMEM;
  for (size_t i = 0; i < b.n_attrs; ++i) {
    Onnx__AttributeProto *a = qcc_arena_alloc(w->arena, sizeof(*a));
    if (!a || !convert_attr(w, b.attrs[i], a))
      return QCC_ERR_NOMEM;
    n->attribute[i] = a;
  }
  w->nodes[w->n_nodes++] = n;
  return QCC_OK;
}

static Onnx__ValueInfoProto *value_info(writer *w, const qcc_value *v) {
  qcc_arena *a = w->arena;
  Onnx__ValueInfoProto *vi = qcc_arena_alloc(a, sizeof(*vi));
  Onnx__TypeProto *tp = qcc_arena_alloc(a, sizeof(*tp));
  Onnx__TypeProto__Tensor *tt = qcc_arena_alloc(a, sizeof(*tt));
  if (!vi || !tp || !tt)
    return NULL;
  onnx__value_info_proto__init(vi);
  onnx__type_proto__init(tp);
  onnx__type_proto__tensor__init(tt);
  vi->name = wdup(w, v->name);
  vi->type = tp;
  tp->value_case = ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE;
  tp->tensor_type = tt;
  tt->has_elem_type = 1;
  tt->elem_type = qcc_onnx_dtype_from_elem(v->type.elem);
  if (v->type.rank >= 0) {
    Onnx__TensorShapeProto *sh = qcc_arena_alloc(a, sizeof(*sh));
    if (!sh)
      return NULL;
    onnx__tensor_shape_proto__init(sh);
    sh->n_dim = (size_t)v->type.rank;
    sh->dim = qcc_arena_alloc_array(a, sh->n_dim + 1, sizeof(*sh->dim));
    if (!sh->dim)
      return NULL;
    for (size_t i = 0; i < sh->n_dim; ++i) {
      Onnx__TensorShapeProto__Dimension *d = qcc_arena_alloc(a, sizeof(*d));
      if (!d)
        return NULL;
      onnx__tensor_shape_proto__dimension__init(d);
      qcc_dim qd = v->type.dims[i];
      if (qd.size >= 0) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE;
        d->dim_value = qd.size;
      } else if (qd.sym) {
        d->value_case = ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM;
        if (!(d->dim_param = wdup(w, qd.sym)))
          return NULL;
      }
      sh->dim[i] = d;
    }
    tt->shape = sh;
  }
  return vi->name ? vi : NULL;
}

static qcc_status build_model(writer *w, Onnx__ModelProto *m, Onnx__GraphProto *gp) {
  const qcc_graph *g = w->g;
  size_t n_ops = 0;
  qcc_graph_for_each_op(g, op)++ n_ops;
  w->nodes = qcc_arena_alloc_array(w->arena, n_ops + 1, sizeof(Onnx__NodeProto *));
  if (!w->nodes)
    return QCC_ERR_NOMEM;
  qcc_graph_for_each_op(g, op) {
    qcc_status st;
    if (op->konst)
      st = push_init(w, tensor_from_const(w, op->results[0]->name, op->konst)) ? QCC_OK
                                                                               : QCC_ERR_NOMEM;
    else
      st = write_op(w, op);
    if (st != QCC_OK)
      return st;
  }
  onnx__graph_proto__init(gp);
  gp->name = wdup(w, g->name);
  gp->n_node = w->n_nodes;
  gp->node = w->nodes;
  gp->n_initializer = w->n_inits;
  gp->initializer = w->inits;
  gp->n_input = g->num_inputs;
  gp->input = qcc_arena_alloc_array(w->arena, g->num_inputs + 1, sizeof(Onnx__ValueInfoProto *));
  gp->n_output = g->num_outputs;
  gp->output = qcc_arena_alloc_array(w->arena, g->num_outputs + 1, sizeof(Onnx__ValueInfoProto *));
  if (!gp->name || !gp->input || !gp->output)
    return QCC_ERR_NOMEM;
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    if (!(gp->input[i] = value_info(w, g->inputs[i])))
      return QCC_ERR_NOMEM;
  for (uint32_t i = 0; i < g->num_outputs; ++i)
    if (!(gp->output[i] = value_info(w, g->outputs[i])))
      return QCC_ERR_NOMEM;

  onnx__model_proto__init(m);
  m->has_ir_version = 1;
  m->ir_version = WRITE_IR_VERSION;
  m->producer_name = wdup(w, "qcc");
  m->producer_version = wdup(w, QCC_VERSION);
  m->graph = gp;
  size_t n_sets = w->uses_contrib ? 2 : 1;
  m->n_opset_import = n_sets;
  m->opset_import = qcc_arena_alloc_array(w->arena, n_sets, sizeof(Onnx__OperatorSetIdProto *));
  if (!m->opset_import)
    return QCC_ERR_NOMEM;
  for (size_t i = 0; i < n_sets; ++i) {
    Onnx__OperatorSetIdProto *o = qcc_arena_alloc(w->arena, sizeof(*o));
    if (!o)
      return QCC_ERR_NOMEM;
    onnx__operator_set_id_proto__init(o);
    o->domain = wdup(w, i == 0 ? "" : "com.microsoft");
    o->has_version = 1;
    o->version = i == 0 ? WRITE_OPSET : 1;
    m->opset_import[i] = o;
  }
  return QCC_OK;
}

qcc_status qcc_write_onnx_file(const qcc_graph *g, const char *path, qcc_diag *diag) {
  writer w = {.g = g, .arena = qcc_arena_create(), .diag = diag, .path = path};
  qcc_loc loc = {.file = path};
  if (!w.arena) {
    qcc_diag_error(diag, loc, "out of memory");
    return QCC_ERR_NOMEM;
  }
  Onnx__ModelProto m;
  Onnx__GraphProto gp;
  qcc_status st = build_model(&w, &m, &gp);
  if (st == QCC_ERR_NOMEM)
    qcc_diag_error(diag, loc, "out of memory");
  uint8_t *buf = NULL;
  size_t size = 0;
  if (st == QCC_OK) {
    size = onnx__model_proto__get_packed_size(&m);
    if (size > INT32_MAX) {
      qcc_diag_error(diag, loc, "model exceeds the 2 GiB protobuf limit");
      st = QCC_ERR_INPUT;
    } else if (!(buf = malloc(size ? size : 1))) {
      qcc_diag_error(diag, loc, "out of memory");
      st = QCC_ERR_NOMEM;
    } else {
      onnx__model_proto__pack(&m, buf);
    }
  }
  if (st == QCC_OK) {
    FILE *f = fopen(path, "wb");
    bool ok = f && fwrite(buf, 1, size, f) == size;
    if (f && fclose(f) != 0)
      ok = false;
    if (!ok) {
      qcc_diag_error(diag, loc, "cannot write the ONNX model");
      st = QCC_ERR_IO;
    }
  }
  free(buf);
  qcc_arena_destroy(w.arena);
  return st;
}
