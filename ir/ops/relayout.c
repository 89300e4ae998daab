/* Relayout (domain ai.qcc): the identity on the logical tensor that stores its result in the
 * layout named by its `layout` attribute (ir/layout.h). The interpreter is logical, so it
 * copies; the code generator moves the bytes. */
#include "ir/ops/op_util.h"

#include <string.h>

bool qcc_relayout_target(const qcc_op *op, qcc_layout *out) {
  const qcc_attr *a = qcc_op_attr(op, "layout");
  return a && a->kind == QCC_ATTR_STRING && qcc_layout_from_name(a->s, strlen(a->s), out);
}

static qcc_status relayout_infer(qcc_infer_ctx *ctx) {
  qcc_type x = qcc_operand_type(ctx, 0);
  qcc_layout l;
  if (!qcc_relayout_target(ctx->op, &l))
    return qcc_infer_error(ctx, "unknown layout '%s' (expected 'nhwc' or 'row_major')",
                           qcc_op_attr_string(ctx->op, "layout"));
  if (!qcc_layout_fits(l, x)) {
    char have[256];
    qcc_type_format(x, have, sizeof have);
    return qcc_infer_error(ctx, "layout '%s' needs a rank-4 operand, not %s", qcc_layout_name(l),
                           have);
  }
  ctx->results[0] = x;
  return QCC_OK;
}

static qcc_status relayout_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                qcc_tensor **out) {
  (void)op;
  out[0] = qcc_eval_alloc(ctx, in[0]->elem, in[0]->rank, in[0]->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  if (in[0]->numel)
    memcpy(out[0]->data, in[0]->data, (size_t)in[0]->numel * qcc_elem_size(in[0]->elem));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Relayout = {
    .kind = QCC_OP_Relayout,
    QCC_OP_NAMES(Relayout),
    .min_operands = 1,
    .max_operands = 1,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_REQ("layout", QCC_ATTR_STRING)),
    .infer = relayout_infer,
    .eval = relayout_eval,
};
