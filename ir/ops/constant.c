/* Constant (payload-carrying source op) and Identity. */
#include "ir/ops/op_util.h"

#include <string.h>

static qcc_status constant_infer(qcc_infer_ctx *ctx) {
  const qcc_const *k = ctx->op->konst;
  if (!k)
    return qcc_infer_error(ctx, "constant has no payload");
  ctx->results[0] = k->type;
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Constant = {
    .kind = QCC_OP_Constant,
    QCC_OP_NAMES(Constant),
    .min_operands = 0,
    .max_operands = 0,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = constant_infer,
    .eval = NULL, /* the interpreter copies the payload itself */
};

static qcc_status identity_infer(qcc_infer_ctx *ctx) {
  ctx->results[0] = qcc_operand_type(ctx, 0);
  return QCC_OK;
}

static qcc_status identity_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out) {
  (void)op;
  out[0] = qcc_eval_alloc(ctx, in[0]->elem, in[0]->rank, in[0]->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  memcpy(out[0]->data, in[0]->data, (size_t)in[0]->numel * qcc_elem_size(in[0]->elem));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Identity = {
    .kind = QCC_OP_Identity,
    QCC_OP_NAMES(Identity),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = identity_infer,
    .eval = identity_eval,
};
