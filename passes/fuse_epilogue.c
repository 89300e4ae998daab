#include "passes/fuse_epilogue.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/fuse_chain.h"
#include "passes/qdq_match.h"

enum { FUSE_OK, FUSE_SKIP, FUSE_NOMEM };

/* The QLinearConv producing operand i of `add`, when nothing else reads its result. */
static qcc_op *private_conv(const qcc_op *add, uint32_t i) {
  const qcc_value *v = qcc_op_operand(add, i);
  if (!v || !qcc_op_is(v->def, QCC_OP_QLinearConv) || qcc_value_use_count(v) != 1 ||
      qcc_value_is_graph_output(v))
    return NULL;
  return v->def;
}

/* The integer Clip with constant bounds that is the add's only consumer, or NULL. */
static qcc_op *clamp_after(const qcc_op *add) {
  const qcc_value *sum = add->results[0];
  if (qcc_value_use_count(sum) != 1 || qcc_value_is_graph_output(sum))
    return NULL;
  qcc_op *clip = sum->first_use->user;
  if (!qcc_op_is(clip, QCC_OP_Clip) || sum->first_use->index != 0 || clip->num_operands != 3)
    return NULL;
  for (uint32_t i = 1; i < 3; ++i) {
    const qcc_value *b = qcc_op_operand(clip, i);
    if (!b || !qcc_value_const(b) || b->type.elem != sum->type.elem)
      return NULL;
  }
  return clip;
}

static bool zero_points_explicit(const qcc_op *op) {
  return qcc_op_operand(op, 2) && qcc_op_operand(op, 5) && qcc_op_operand(op, 7);
}

/* `top` is a QLinearAdd (with a private conv operand) or an integer Clip of a private conv. */
static int fuse(qcc_graph *g, qcc_op *top) {
  qcc_op *add = qcc_op_is(top, QCC_OP_QLinearAdd) ? top : NULL;
  uint32_t side = 0;
  qcc_op *conv = private_conv(top, 0);
  if (!conv && add) {
    side = 1;
    conv = private_conv(add, 3);
  }
  /* Every zero point explicit (see ir/ops/qlinear_fused.c). */
  if (!conv || !zero_points_explicit(conv) || (add && !zero_points_explicit(add)))
    return FUSE_SKIP;
  qcc_op *clip = add ? clamp_after(add) : top;
  if (!add &&
      (clip->num_operands != 3 || !qcc_op_operand(clip, 1) || !qcc_op_operand(clip, 2) ||
       !qcc_value_const(qcc_op_operand(clip, 1)) || !qcc_value_const(qcc_op_operand(clip, 2))))
    return FUSE_SKIP;
  qcc_value *ops[16] = {0};
  for (uint32_t i = 0; i < 9; ++i)
    ops[i] = qcc_op_operand(conv, i);
  if (add) {
    uint32_t r = side == 0 ? 3 : 0; /* the residual's operand index in the add */
    for (uint32_t i = 0; i < 3; ++i)
      ops[9 + i] = qcc_op_operand(add, r + i);
    ops[12] = qcc_op_operand(add, 6);
    ops[13] = qcc_op_operand(add, 7);
  }
  if (clip) {
    ops[14] = qcc_op_operand(clip, 1);
    ops[15] = qcc_op_operand(clip, 2);
  }
  qcc_attr *attrs = qcc_fuse_attrs(g, conv, 1);
  if (!attrs)
    return FUSE_NOMEM;
  attrs[conv->num_attrs] = (qcc_attr){.name = "conv_operand", .kind = QCC_ATTR_INT, .i = side};
  qcc_op *last = clip ? clip : add;
  uint32_t num_operands = clip ? 16 : 14;
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_QLinearConvFused),
                      .node_name = conv->name,
                      .loc = conv->loc,
                      .num_operands = num_operands,
                      .operands = ops,
                      .num_results = 1,
                      .num_attrs = conv->num_attrs + 1,
                      .attrs = attrs};
  qcc_op *chain[3] = {clip, add, conv};
  qcc_fuse_result r = qcc_fuse_chain(g, &spec, last, chain, 3);
  return r == QCC_FUSE_DONE ? FUSE_OK : r == QCC_FUSE_NOMEM ? FUSE_NOMEM : FUSE_SKIP;
}

static qcc_status fuse_epilogue_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t fused_adds = 0, clamps = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    bool is_add = qcc_op_is(op, QCC_OP_QLinearAdd);
    if (!is_add && !qcc_op_is(op, QCC_OP_Clip))
      continue;
    qcc_op *clip = is_add ? clamp_after(op) : op;
    qcc_op *after = clip ? clip->next : next;
    int r = fuse(g, op);
    if (r == FUSE_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    if (r == FUSE_OK) {
      fused_adds += is_add;
      clamps += clip != NULL;
      next = after; /* the add, its conv and its clamp are gone; the fused op precedes `after` */
    }
  }
  qcc_pass_count(ctx, "residual adds fused into their conv", fused_adds);
  qcc_pass_count(ctx, "clamps fused into their conv", clamps);
  ctx->changed = fused_adds + clamps > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fuse_epilogue = {
    .name = "fuse-epilogue",
    .summary = "fuse QLinearConv with its residual QLinearAdd and/or integer Clip (exact)",
    .run = fuse_epilogue_run,
};
