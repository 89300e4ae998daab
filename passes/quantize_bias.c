#include "passes/quantize_bias.h"

#include <math.h>

#include "ir/graph_util.h"
#include "ir/op_registry.h"
#include "ir/ops/gemm.h"
#include "passes/qdq_match.h"

enum { QB_OK, QB_SKIP, QB_NOMEM };

/* Constant f32 scales of a DQ: one, or `m` along `axis`; NULL otherwise. */
static const float *dq_scales(const qcc_op *dq, int64_t m, int64_t axis, bool *per_channel) {
  const qcc_const *s = qcc_value_const(qcc_op_operand(dq, 1));
  if (!s || s->type.elem != QCC_F32)
    return NULL;
  size_t n = s->nbytes / sizeof(float);
  *per_channel = n != 1;
  if (n != 1 && (axis < 0 || n != (size_t)m || qcc_op_attr_int(dq, "axis") != axis))
    return NULL;
  return s->data;
}

static int quantize(qcc_graph *g, qcc_op *conv) {
  qcc_value *b = qcc_op_operand(conv, 2);
  const qcc_const *bk = qcc_value_const(b);
  qcc_op *dx = qcc_match_dq_operand(conv, 0), *dw = qcc_match_dq_operand(conv, 1);
  double sx;
  int64_t zx;
  if (!bk || bk->type.elem != QCC_F32 || !dx || !dw || !qcc_qdq_scalar_params(dx, &sx, &zx))
    return QB_SKIP;
  int64_t m = (int64_t)(bk->nbytes / sizeof(float)), axis = 0;
  if (qcc_op_is(conv, QCC_OP_Gemm)) {
    qcc_gemm_params p = qcc_gemm_params_read(conv);
    /* QGemm adds an int32 C as is: only alpha = beta = 1 keeps b's meaning; the weights'
     * output channel is B's dim 0 when transposed, else dim 1. */
    if (p.alpha != 1.0f || p.beta != 1.0f || p.trans_a || b->type.rank != 1)
      return QB_SKIP;
    axis = p.trans_b ? 0 : 1;
  } else if (qcc_op_is(conv, QCC_OP_ConvTranspose)) {
    /* The weights are [C_in, C_out / group, ...]: the output channel is axis 1, which holds
     * every output channel only without groups. */
    if (qcc_op_attr_int(conv, "group") != 1)
      axis = -1;
    else
      axis = 1;
  }
  bool per_channel;
  const float *sw = dq_scales(dw, m, axis, &per_channel);
  if (!sw)
    return QB_SKIP;
  const float *bf = bk->data;
  int32_t *bq = qcc_arena_alloc(g->arena, (size_t)m * sizeof(int32_t));
  float *bs = qcc_arena_alloc(g->arena, (size_t)m * sizeof(float));
  if (!bq || !bs)
    return QB_NOMEM;
  for (int64_t c = 0; c < m; ++c) {
    bs[c] = (float)sx * sw[per_channel ? c : 0];
    float v = bf[c] / bs[c];
    if (!(bs[c] > 0) || !(fabsf(v) < 2147483520.0f)) /* the largest float below 2^31 */
      return QB_SKIP;
    bq[c] = (int32_t)nearbyintf(v);
  }
  int64_t dims[1] = {m};
  qcc_value *vq = qcc_build_const(g, NULL, QCC_I32, 1, dims, bq, (size_t)m * sizeof(int32_t), conv);
  qcc_value *vs = qcc_build_const(g, NULL, QCC_F32, 1, dims, bs, (size_t)m * sizeof(float), conv);
  /* b is 1-D: its channel axis is 0. */
  qcc_op *dq = vq && vs ? qcc_build_qdq(g, QCC_OP_DequantizeLinear, vq, vs, NULL, 0, b->type,
                                        conv->loc, conv)
                        : NULL;
  if (!dq)
    return QB_NOMEM;
  qcc_op_set_operand(conv, 2, dq->results[0]);
  return QB_OK;
}

static qcc_status quantize_bias_run(qcc_graph *g, qcc_pass_ctx *ctx) {
  uint64_t done = 0;
  qcc_graph_for_each_op(g, op) {
    if ((!qcc_op_is(op, QCC_OP_Conv) && !qcc_op_is(op, QCC_OP_ConvTranspose) &&
         !qcc_op_is(op, QCC_OP_Gemm)) ||
        !qcc_op_operand(op, 2))
      continue;
    int r = quantize(g, op);
    if (r == QB_NOMEM) {
      qcc_diag_error(ctx->diag, op->loc, "out of memory");
      return QCC_ERR_NOMEM;
    }
    done += r == QB_OK;
  }
  qcc_graph_erase_dead_ops(g);
  qcc_pass_count(ctx, "float Conv/ConvTranspose/Gemm biases quantized to int32", done);
  ctx->changed = done > 0;
  return QCC_OK;
}

const qcc_pass qcc_pass_quantize_bias = {
    .name = "quantize-bias",
    .summary = "give Conv/ConvTranspose/Gemm with quantized input and weights an int32 bias "
               "(round(b / s_x s_w))",
    .run = quantize_bias_run,
};
