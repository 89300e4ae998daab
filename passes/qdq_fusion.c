#include "passes/qdq_fusion.h"

#include <float.h>
#include <string.h>

#include "ir/op_registry.h"
#include "ir/ops/gemm.h"
#include "ir/verifier.h"
#include "passes/qdq_match.h"
#include "passes/s8_to_u8.h"

/* A zero-point constant for a Q/DQ that omitted it (the ONNX default is 0). */
static qcc_value *zero_point_of(qcc_graph *g, const qcc_op *qdq, qcc_op *before) {
  qcc_value *z = qcc_op_operand(qdq, 2);
  if (z)
    return z;
  qcc_elem e = qcc_qdq_int_elem(qdq);
  qcc_const k = {.type = qcc_type_make(e, 0, NULL),
                 .data = qcc_arena_alloc(g->arena, sizeof(int64_t)),
                 .nbytes = qcc_elem_size(e)};
  if (!k.data)
    return NULL;
  qcc_op *c = qcc_const_create(g, NULL, &k, qdq->loc, before);
  return c ? c->results[0] : NULL;
}

/* Moves the uses, the name and the quantization annotation of `anchor`'s result onto `fresh`,
 * then erases `anchor`. */
static void take_over(qcc_op *anchor, qcc_value *fresh) {
  qcc_value *old = anchor->results[0];
  const char *name = old->name;
  if (old->type.quant && old->type.elem == fresh->type.elem)
    fresh->type.quant = old->type.quant;
  qcc_value_replace_all_uses(old, fresh);
  qcc_op_erase(anchor);
  qcc_value_rename(fresh, name);
}

/* Creates an op of kind `kind` at `q`'s position, re-homes q's result name and uses onto it, and
 * erases q and `center`. Returns the new op, or NULL (graph unchanged) when its shape rule rejects
 * the operands. */
static qcc_op *replace_with(qcc_graph *g, qcc_op *center, qcc_op *q, qcc_op_kind kind,
                            qcc_value *const *operands, uint32_t n, const qcc_attr *attrs,
                            uint32_t n_attrs) {
  const qcc_op_def *def = qcc_op_get(kind);
  qcc_op *anchor = q ? q : center;
  for (uint32_t i = 0; i < n; ++i)
    if (!operands[i] && i < def->min_operands)
      return NULL;
  qcc_op_spec spec = {.def = def,
                      .node_name = center->name,
                      .loc = center->loc,
                      .num_operands = n,
                      .operands = operands,
                      .num_results = 1,
                      .num_attrs = n_attrs,
                      .attrs = attrs};
  qcc_op *fused = qcc_op_create(g, &spec, anchor);
  if (!fused)
    return NULL;
  if (!qcc_op_reinfer_quietly(fused)) {
    qcc_op_erase(fused);
    return NULL;
  }
  take_over(anchor, fused->results[0]);
  if (q && !qcc_value_has_uses(center->results[0]))
    qcc_op_erase(center);
  return fused;
}

/* Appends the scale and zero point of a Q or DQ (the QLinear operand order). */
static bool push_params(qcc_graph *g, const qcc_op *qdq, qcc_op *before, qcc_value **ops,
                        uint32_t *n) {
  ops[(*n)++] = qcc_op_operand(qdq, 1);
  return (ops[(*n)++] = zero_point_of(g, qdq, before)) != NULL;
}

/* Appends a DQ's integer operand, scale and zero point. */
static bool push_dq(qcc_graph *g, const qcc_op *dq, qcc_op *before, qcc_value **ops, uint32_t *n) {
  ops[(*n)++] = qcc_op_operand(dq, 0);
  return push_params(g, dq, before, ops, n);
}

static bool is_8bit(qcc_elem e) { return e == QCC_U8 || e == QCC_I8; }

/* ONNX Runtime's x86 selectors take u8 activations only for Conv/MatMul; int8 activations get
 * there through qcc_convert_s8_to_u8 (passes/s8_to_u8.c). */
static bool activation_ok(qcc_elem e) { return e == QCC_U8; }

static qcc_op *fuse_conv_like(qcc_graph *g, qcc_op *op, qcc_op_kind qop) {
  qcc_op *dx = qcc_match_dq_operand(op, 0), *dw = qcc_match_dq_operand(op, 1);
  qcc_op *q = qcc_match_single_q_consumer(op);
  if (!dx || !dw || !q)
    return NULL;
  qcc_elem ex = qcc_qdq_int_elem(dx), ew = qcc_qdq_int_elem(dw);
  /* Per-channel weights: a conv's output channels (axis 0), a matmul's columns (the last axis). */
  int32_t w_axis = qop == QCC_OP_QLinearConv ? 0 : -1;
  if (!activation_ok(ex) || qcc_qdq_int_elem(q) != ex || !is_8bit(ew) ||
      !qcc_qdq_weight_axis_is(dw, w_axis))
    return NULL;
  qcc_value *bias = NULL;
  if (qcc_op_operand(op, 2)) {
    qcc_op *db = qcc_match_dq_operand(op, 2);
    if (!db || qcc_qdq_int_elem(db) != QCC_I32)
      return NULL;
    bias = qcc_op_operand(db, 0);
  }
  qcc_value *ops[9];
  uint32_t n = 0;
  if (!push_dq(g, dx, q, ops, &n) || !push_dq(g, dw, q, ops, &n) || !push_params(g, q, q, ops, &n))
    return NULL;
  if (bias)
    ops[n++] = bias;
  return replace_with(g, op, q, qop, ops, n, op->attrs, op->num_attrs);
}

/* True when some consumer of `v` is a QuantizeLinear. */
static bool has_q_user(const qcc_value *v) {
  for (const qcc_use *u = v->first_use; u; u = u->next)
    if (qcc_op_is(u->user, QCC_OP_QuantizeLinear))
      return true;
  return false;
}

static qcc_op *fuse_gemm(qcc_graph *g, qcc_op *op) {
  qcc_op *da = qcc_match_dq_operand(op, 0), *db = qcc_match_dq_operand(op, 1);
  if (!da || !db)
    return NULL;
  qcc_elem ea = qcc_qdq_int_elem(da), eb = qcc_qdq_int_elem(db);
  /* Per-channel B: along N, which is axis 0 of a transposed B. */
  int32_t b_axis = qcc_gemm_params_read(op).trans_b ? 0 : 1;
  if (!activation_ok(ea) || !is_8bit(eb) || !qcc_qdq_weight_axis_is(db, b_axis))
    return NULL;
  qcc_value *bias = NULL;
  if (qcc_op_operand(op, 2)) {
    qcc_op *dc = qcc_match_dq_operand(op, 2);
    if (!dc || qcc_qdq_int_elem(dc) != QCC_I32 || qcc_gemm_params_read(op).beta != 1.0f)
      return NULL;
    bias = qcc_op_operand(dc, 0);
  }
  /* ONNX Runtime takes the float-output form only when no Q follows at all: a Q that shares the
   * result with other consumers (or with a graph output) rejects the whole group. */
  qcc_op *q = qcc_match_single_q_consumer(op);
  if ((q && qcc_qdq_int_elem(q) != ea) ||
      (!q && op->num_results == 1 && has_q_user(op->results[0])))
    return NULL;
  qcc_op *anchor = q ? q : op;
  qcc_value *ops[9];
  uint32_t n = 0;
  if (!push_dq(g, da, anchor, ops, &n) || !push_dq(g, db, anchor, ops, &n))
    return NULL;
  ops[n++] = bias;
  if (q && !push_params(g, q, anchor, ops, &n))
    return NULL;
  qcc_attr attrs[3];
  uint32_t n_attrs = 0;
  static const char *const kept[] = {"alpha", "transA", "transB"};
  for (size_t i = 0; i < 3; ++i) {
    const qcc_attr *a = qcc_op_attr(op, kept[i]);
    if (a)
      attrs[n_attrs++] = *a;
  }
  return replace_with(g, op, q, QCC_OP_QGemm, ops, n, attrs, n_attrs);
}

static qcc_op *fuse_binary(qcc_graph *g, qcc_op *op, qcc_op_kind qop) {
  qcc_op *da = qcc_match_dq_operand(op, 0), *db = qcc_match_dq_operand(op, 1);
  qcc_op *q = qcc_match_single_q_consumer(op);
  if (!da || !db || !q)
    return NULL;
  qcc_elem e = qcc_qdq_int_elem(q);
  double s;
  int64_t z;
  /* The com.microsoft ops take one scale and zero point per operand. */
  if (!is_8bit(e) || qcc_qdq_int_elem(da) != e || qcc_qdq_int_elem(db) != e ||
      !qcc_qdq_scalar_params(da, &s, &z) || !qcc_qdq_scalar_params(db, &s, &z) ||
      !qcc_qdq_scalar_params(q, &s, &z))
    return NULL;
  qcc_value *ops[8];
  uint32_t n = 0;
  if (!push_dq(g, da, q, ops, &n) || !push_dq(g, db, q, ops, &n) || !push_params(g, q, q, ops, &n))
    return NULL;
  return replace_with(g, op, q, qop, ops, n, NULL, 0);
}

/* DQ -> op -> Q with one input, mapped to a com.microsoft QLinear op taking
 * (X, x_scale, x_zp, y_scale, y_zp) and the op's own attributes. */
static qcc_op *fuse_unary(qcc_graph *g, qcc_op *op, qcc_op_kind qop, bool add_channels_last) {
  qcc_op *dx = qcc_match_dq_operand(op, 0);
  qcc_op *q = qcc_match_single_q_consumer(op);
  if (!dx || !q || op->num_operands != 1)
    return NULL;
  qcc_elem e = qcc_qdq_int_elem(q);
  double s;
  int64_t z;
  if (!is_8bit(e) || qcc_qdq_int_elem(dx) != e || !qcc_qdq_scalar_params(dx, &s, &z) ||
      !qcc_qdq_scalar_params(q, &s, &z))
    return NULL;
  qcc_value *ops[5];
  uint32_t n_ops = 0;
  if (!push_dq(g, dx, q, ops, &n_ops) || !push_params(g, q, q, ops, &n_ops))
    return NULL;
  qcc_attr attrs[16];
  uint32_t n = 0;
  for (uint32_t i = 0; i < op->num_attrs && n < 15; ++i)
    attrs[n++] = op->attrs[i];
  if (add_channels_last)
    attrs[n++] = (qcc_attr){.name = "channels_last", .kind = QCC_ATTR_INT, .i = 0};
  return replace_with(g, op, q, qop, ops, n_ops, attrs, n);
}

static qcc_op *fuse_concat(qcc_graph *g, qcc_op *op) {
  qcc_op *q = qcc_match_single_q_consumer(op);
  if (!q || op->num_operands == 0 || op->num_operands > 20)
    return NULL;
  qcc_elem e = qcc_qdq_int_elem(q);
  qcc_value *ops[2 + 3 * 20];
  uint32_t n = 0;
  if (!push_params(g, q, q, ops, &n))
    return NULL;
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    qcc_op *d = qcc_match_dq_operand(op, i);
    if (!d || qcc_qdq_int_elem(d) != e || !push_dq(g, d, q, ops, &n))
      return NULL;
  }
  return replace_with(g, op, q, QCC_OP_QLinearConcat, ops, n, op->attrs, op->num_attrs);
}

/* Data movement between a DQ and a Q with identical constant parameters runs on the integers
 * directly: the result is exactly the same. */
static qcc_op *drop_qdq_around(qcc_graph *g, qcc_op *op) {
  qcc_op *dx = qcc_match_dq_operand(op, 0);
  qcc_op *q = qcc_match_single_q_consumer(op);
  double s1, s2;
  int64_t z1, z2;
  if (!dx || !q || qcc_qdq_int_elem(dx) != qcc_qdq_int_elem(q) ||
      !qcc_qdq_scalar_params(dx, &s1, &z1) || !qcc_qdq_scalar_params(q, &s2, &z2) || s1 != s2 ||
      z1 != z2 || !(s1 > 0))
    return NULL;
  qcc_value *old_operand = qcc_op_operand(op, 0);
  qcc_op_set_operand(op, 0, qcc_op_operand(dx, 0));
  if (!qcc_op_reinfer_quietly(op)) {
    qcc_op_set_operand(op, 0, old_operand);
    qcc_op_reinfer_quietly(op);
    return NULL;
  }
  take_over(q, op->results[0]);
  return op;
}

/* Relu or Clip whose only consumer is a Q that clamps at least as hard: the Q's saturation
 * does the job, so the activation goes (ONNX Runtime's ReluQuantFusion/ClipQuantFusion). */
static bool remove_redundant_activation(qcc_op *op) {
  qcc_op *q = qcc_match_single_q_consumer(op);
  double s;
  int64_t z, lo, hi;
  if (!q || !qcc_qdq_scalar_params(q, &s, &z))
    return false;
  qcc_elem_int_range(qcc_qdq_int_elem(q), &lo, &hi);
  if (qcc_op_is(op, QCC_OP_Relu)) {
    if (z != lo)
      return false;
  } else {
    double mn, mx; /* unbounded: -inf / +inf, as ONNX Runtime's -FLT_MAX / FLT_MAX compare */
    if (!qcc_clamp_const_bounds(op, &mn, &mx))
      return false;
    float qlo = (float)(s * (double)(lo - z)), qhi = (float)(s * (double)(hi - z));
    if (!((float)mn - qlo <= FLT_EPSILON && qhi - (float)mx <= FLT_EPSILON))
      return false;
  }
  qcc_value_replace_all_uses(op->results[0], qcc_op_operand(op, 0));
  qcc_op_erase(op);
  return true;
}

/* Writes the quantization of every Q result and every constant DQ input into its type, so the
 * integer values of the fused graph print with their scale and zero point. */
static void annotate_quantization(qcc_graph *g) {
  qcc_graph_for_each_op(g, op) {
    bool is_q = qcc_op_is(op, QCC_OP_QuantizeLinear);
    if (!is_q && !qcc_op_is(op, QCC_OP_DequantizeLinear))
      continue;
    qcc_value *v = is_q ? op->results[0] : op->operands[0].value;
    if (v->type.quant || (!is_q && !(v->def && v->def->konst)))
      continue;
    const qcc_quant *q = qcc_quant_of_qdq(g, op, v->type);
    if (!q)
      continue;
    v->type.quant = q;
    if (!is_q) {
      qcc_const *k = qcc_arena_memdup(g->arena, v->def->konst, sizeof(*k));
      if (!k)
        continue;
      k->type.quant = q;
      v->def->konst = k;
    }
  }
}

static qcc_status qdq_fusion_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t u8 = 0, activations = 0, fused = 0, moved = 0;
  if (qcc_convert_s8_to_u8(g, false, &u8) != QCC_OK) {
    qcc_diag_error(ctx->diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  annotate_quantization(g);
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if ((qcc_op_is(op, QCC_OP_Relu) || qcc_op_is(op, QCC_OP_Clip)) && op->operands[0].value &&
        op->operands[0].value->type.elem == QCC_F32)
      activations += remove_redundant_activation(op);
  }
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    /* A rewrite erases the op and its Q, which may sit after other candidates: resume right
     * after the op's predecessor, which no rewrite removes. */
    qcc_op *prev = op->prev;
    qcc_op *done = NULL;
    bool movement = false;
    switch (op->def->kind) {
    case QCC_OP_Conv: done = fuse_conv_like(g, op, QCC_OP_QLinearConv); break;
    case QCC_OP_MatMul: done = fuse_conv_like(g, op, QCC_OP_QLinearMatMul); break;
    case QCC_OP_Gemm: done = fuse_gemm(g, op); break;
    case QCC_OP_Add: done = fuse_binary(g, op, QCC_OP_QLinearAdd); break;
    case QCC_OP_Mul: done = fuse_binary(g, op, QCC_OP_QLinearMul); break;
    case QCC_OP_GlobalAveragePool:
      done = fuse_unary(g, op, QCC_OP_QLinearGlobalAveragePool, true);
      break;
    case QCC_OP_AveragePool: done = fuse_unary(g, op, QCC_OP_QLinearAveragePool, true); break;
    case QCC_OP_Sigmoid: done = fuse_unary(g, op, QCC_OP_QLinearSigmoid, false); break;
    case QCC_OP_LeakyRelu: done = fuse_unary(g, op, QCC_OP_QLinearLeakyRelu, false); break;
    case QCC_OP_Concat: done = fuse_concat(g, op); break;
    /* Data movement: exact on the integers. */
    case QCC_OP_MaxPool:
    case QCC_OP_Reshape:
    case QCC_OP_Flatten:
    case QCC_OP_Transpose:
    case QCC_OP_Squeeze:
    case QCC_OP_Unsqueeze:
    case QCC_OP_Resize:
    case QCC_OP_Gather:
      if (op->num_results == 1)
        done = drop_qdq_around(g, op);
      movement = true;
      break;
    default: break;
    }
    if (done) {
      next = prev ? prev->next : g->first;
      ++*(movement ? &moved : &fused);
    }
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "int8 Q->DQ pairs rewritten to uint8", u8);
  qcc_pass_count(ctx, "activations implied by the next Q dropped", activations);
  qcc_pass_count(ctx, "DQ->op->Q folded into integer ops", fused);
  qcc_pass_count(ctx, "data movement ops moved to integers", moved);
  ctx->changed = u8 + activations + fused + moved > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_qdq_fusion = {
    .name = "qdq-fusion",
    .summary = "fold DQ->op->Q into integer ops with ONNX Runtime's rules",
    .run = qdq_fusion_run,
};
