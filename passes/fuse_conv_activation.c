#include "passes/fuse_conv_activation.h"

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "passes/fuse_chain.h"

enum { FUSE_OK, FUSE_SKIP, FUSE_NOMEM };

/* The single user of v when v has one use, as operand `index`, and is no graph output. */
static qcc_op *only_user(const qcc_value *v, uint32_t index) {
  if (qcc_value_use_count(v) != 1 || qcc_value_is_graph_output(v) || v->first_use->index != index)
    return NULL;
  return v->first_use->user;
}

static bool is_f32(const qcc_value *v) { return v && v->type.elem == QCC_F32 && !v->type.quant; }

static bool static_shape_equal(qcc_type a, qcc_type b) {
  if (a.rank < 0 || a.rank != b.rank)
    return false;
  for (int32_t d = 0; d < a.rank; ++d)
    if (a.dims[d].size < 0 || a.dims[d].size != b.dims[d].size)
      return false;
  return true;
}

static bool feeds_quantizer(const qcc_value *v) {
  for (const qcc_use *u = v->first_use; u; u = u->next)
    if (qcc_op_is(u->user, QCC_OP_QuantizeLinear))
      return true;
  return false;
}

/* conv is a Conv; fuses it with what follows when a rule matches. */
static int fuse(qcc_graph *g, qcc_op *conv, uint64_t *relus, uint64_t *adds) {
  qcc_value *y = conv->results[0];
  if (conv->num_results != 1 || !is_f32(y) || !is_f32(qcc_op_operand(conv, 0)) ||
      qcc_op_is(qcc_op_operand(conv, 0)->def, QCC_OP_DequantizeLinear) ||
      qcc_op_is(qcc_op_operand(conv, 1)->def, QCC_OP_DequantizeLinear))
    return FUSE_SKIP;
  qcc_op *next = only_user(y, 0);
  qcc_op *add = qcc_op_is(next, QCC_OP_Add) ? next : NULL;
  qcc_op *relu = qcc_op_is(next, QCC_OP_Relu) ? next : NULL;
  qcc_value *z = NULL;
  if (add) {
    z = qcc_op_operand(add, 1);
    if (add->num_operands != 2 || !is_f32(z) || !is_f32(add->results[0]) ||
        !static_shape_equal(z->type, y->type) ||
        !static_shape_equal(add->results[0]->type, y->type))
      return FUSE_SKIP;
    qcc_op *r = only_user(add->results[0], 0);
    relu = qcc_op_is(r, QCC_OP_Relu) ? r : NULL;
  }
  if (!add && !relu)
    return FUSE_SKIP;
  if (relu && !is_f32(relu->results[0]))
    relu = NULL;
  if (!add && !relu)
    return FUSE_SKIP;
  qcc_op *last = relu ? relu : add;
  if (feeds_quantizer(last->results[0]))
    return FUSE_SKIP;
  qcc_value *ops[4] = {qcc_op_operand(conv, 0), qcc_op_operand(conv, 1), qcc_op_operand(conv, 2),
                       z};
  qcc_attr *attrs = qcc_fuse_attrs(g, conv, 1);
  if (!attrs)
    return FUSE_NOMEM;
  uint32_t na = conv->num_attrs;
  if (relu)
    attrs[na++] = (qcc_attr){.name = "activation", .kind = QCC_ATTR_STRING, .s = "Relu"};
  qcc_op_spec spec = {.def = qcc_op_get(QCC_OP_FusedConv),
                      .node_name = conv->name,
                      .loc = conv->loc,
                      .num_operands = z ? 4 : 3,
                      .operands = ops,
                      .num_results = 1,
                      .num_attrs = na,
                      .attrs = attrs};
  qcc_op *chain[3] = {relu, add, conv};
  qcc_fuse_result r = qcc_fuse_chain(g, &spec, last, chain, 3);
  if (r != QCC_FUSE_DONE)
    return r == QCC_FUSE_NOMEM ? FUSE_NOMEM : FUSE_SKIP;
  *relus += relu != NULL;
  *adds += add != NULL;
  return FUSE_OK;
}

static qcc_status fuse_conv_activation_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t relus = 0, adds = 0;
  for (qcc_op *op = g->first, *next; op; op = next) {
    next = op->next;
    if (!qcc_op_is(op, QCC_OP_Conv))
      continue;
    int r = fuse(g, op, &relus, &adds);
    if (r == FUSE_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    if (r == FUSE_OK)
      next = g->first; /* the erased ops may include `next`; start over (rare, cheap) */
  }
  qcc_pass_count(ctx, "Relus fused into their conv", relus);
  qcc_pass_count(ctx, "residual Adds fused into their conv", adds);
  ctx->changed = relus + adds > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_fuse_conv_activation = {
    .name = "fuse-conv-activation",
    .summary = "fuse a float Conv with its Relu and/or residual Add into FusedConv (exact)",
    .run = fuse_conv_activation_run,
};
