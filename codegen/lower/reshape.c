/* Flatten, Reshape, Squeeze, Unsqueeze (ir/ops/reshape.c) and Identity (ir/ops/constant.c): the
 * bytes unchanged. Nothing to do when the memory plan aliases the result to its operand; a copy
 * otherwise (an operand or result in the caller's buffers, a constant operand). Both sides are in
 * logical order: a reshape of an NHWC value that is not the same bytes as row-major would be a
 * missing Relayout. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

qcc_status qcc_lower_view(qcc_lower_ctx *L) {
  const qcc_value *x = qcc_op_operand(L->op, 0), *y = L->op->results[0];
  bool identity = qcc_op_is(L->op, QCC_OP_Identity);
  bool same_order = identity ? qcc_layout_same_bytes(x->type, x->layout, y->layout)
                             : qcc_layout_same_bytes(x->type, x->layout, QCC_LAYOUT_ROW_MAJOR) &&
                                   qcc_layout_same_bytes(y->type, y->layout, QCC_LAYOUT_ROW_MAJOR);
  if (!same_order)
    return qcc_lower_error(L, "'%s' and '%s' are in different layouts", x->name, y->name);
  if (qcc_lower_same_buffer(L, x, y)) {
    L->no_kernel = true;
    return QCC_OK;
  }
  size_t bytes;
  if (!qcc_type_nbytes(y->type, &bytes))
    return qcc_lower_error(L, "'%s' has no static size", y->name);
  qcc_cg_memcpy(L->cg, L->result_ptr[0], qcc_lower_operand_ptr(L, 0), bytes);
  return QCC_OK;
}
