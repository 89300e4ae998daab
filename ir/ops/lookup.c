/* ai.qcc QLinearLookup: a quantized elementwise function given as a 256-entry table, indexed by
 * the input's byte code (u8 code x: Table[x]; i8 code x: Table[x + 128]). The table holds the
 * result codes, requantization included, so evaluating the op is a gather. fold-lut
 * (passes/fold_lut.c) builds such tables from DequantizeLinear -> float ops -> QuantizeLinear.
 *
 * Operands: X (u8 or i8), X_scale, X_zp (optional), Table (a constant of 256 elements of Y's
 * type), Y_scale, Y_zp (optional; its type is Y's, u8 when absent). The scales and zero points
 * state the quantization of X and Y (the result's type carries Y's); the table alone determines
 * the values. */
#include "ir/ops/op_util.h"
#include "ir/ops/qoperand.h"

enum { LUT_X, LUT_X_SCALE, LUT_X_ZP, LUT_TABLE, LUT_Y_SCALE, LUT_Y_ZP, LUT_OPERANDS };
enum { LUT_ENTRIES = 256 };

static qcc_status lookup_infer(qcc_infer_ctx *ctx) {
  static const uint32_t required[] = {LUT_X, LUT_X_SCALE, LUT_TABLE, LUT_Y_SCALE};
  qcc_status st = qcc_infer_require_operands(ctx, required, sizeof required / sizeof required[0]);
  if (st != QCC_OK)
    return st;
  qcc_type x = qcc_operand_type(ctx, LUT_X);
  if (!qcc_is_8bit(x.elem))
    return qcc_infer_error(ctx, "X must be u8 or i8, not %s", qcc_elem_name(x.elem));
  qcc_elem ey = qcc_has_operand(ctx->op, LUT_Y_ZP) ? qcc_operand_type(ctx, LUT_Y_ZP).elem : QCC_U8;
  if (!qcc_is_8bit(ey))
    return qcc_infer_error(ctx, "Y_zp must be u8 or i8, not %s", qcc_elem_name(ey));
  if ((st = qcc_infer_quantized(ctx, LUT_X, LUT_X_SCALE, LUT_X_ZP, x.elem)) != QCC_OK ||
      (st = qcc_infer_quantized(ctx, UINT32_MAX, LUT_Y_SCALE, LUT_Y_ZP, ey)) != QCC_OK)
    return st;
  qcc_type t = qcc_operand_type(ctx, LUT_TABLE);
  int64_t n;
  if (t.elem != ey)
    return qcc_infer_error(ctx, "Table must hold %s like Y, not %s", qcc_elem_name(ey),
                           qcc_elem_name(t.elem));
  if (t.rank != 1 || !qcc_type_numel(t, &n) || n != LUT_ENTRIES)
    return qcc_infer_error(ctx, "Table must be a 1-D tensor of %d elements", LUT_ENTRIES);
  if (!qcc_value_const(ctx->op->operands[LUT_TABLE].value))
    return qcc_infer_error(ctx, "Table must be a constant");
  return qcc_infer_set(ctx, 0, ey, x.rank, x.dims);
}

static qcc_status lookup_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                              qcc_tensor **out) {
  const qcc_tensor *x = in[LUT_X], *table = qcc_has_operand(op, LUT_TABLE) ? in[LUT_TABLE] : NULL;
  if (!qcc_is_8bit(x->elem))
    return qcc_eval_error(ctx, "X must be a u8 or i8 tensor");
  if (!table || !qcc_is_8bit(table->elem) || table->numel != LUT_ENTRIES)
    return qcc_eval_error(ctx, "Table must be a u8 or i8 tensor of %d elements", LUT_ENTRIES);
  out[0] = qcc_eval_alloc(ctx, table->elem, x->rank, x->dims);
  if (!out[0])
    return QCC_ERR_INPUT;
  /* u8 codes index directly; i8 codes -128..127 map to entries 0..255. */
  const uint8_t *src = x->data, *tab = table->data;
  uint8_t bias = x->elem == QCC_I8 ? 128 : 0, *dst = out[0]->data;
  for (int64_t i = 0; i < x->numel; ++i)
    dst[i] = tab[(uint8_t)(src[i] + bias)];
  return QCC_OK;
}

const qcc_op_def qcc_op_def_QLinearLookup = {
    .kind = QCC_OP_QLinearLookup,
    QCC_OP_NAMES(QLinearLookup),
    .min_operands = 1, /* the shape rule names the missing required operand */
    .max_operands = LUT_OPERANDS,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_NO_ATTRS,
    .infer = lookup_infer,
    .eval = lookup_eval,
};
