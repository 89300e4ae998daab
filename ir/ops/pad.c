/* Pad: constant, reflect, edge and wrap padding of a tensor of any element type. */
#include "ir/ops/layout_util.h"

#include <string.h>

/* ---- Pad -------------------------------------------------------------------------------- */

typedef enum { PAD_CONSTANT, PAD_REFLECT, PAD_EDGE, PAD_WRAP } pad_mode;

static bool parse_pad_mode(const char *s, pad_mode *m) {
  static const char *const names[] = {"constant", "reflect", "edge", "wrap"};
  for (int i = 0; i < 4; ++i)
    if (strcmp(s, names[i]) == 0) {
      *m = (pad_mode)i;
      return true;
    }
  return false;
}

static qcc_status pad_infer(qcc_infer_ctx *ctx) {
  const qcc_op *op = ctx->op;
  qcc_type x = qcc_operand_type(ctx, 0);
  pad_mode mode;
  if (!parse_pad_mode(qcc_op_attr_string(op, "mode"), &mode))
    return qcc_infer_error(ctx, "unknown mode '%s'", qcc_op_attr_string(op, "mode"));
  if (qcc_has_operand(op, 2) && qcc_operand_type(ctx, 2).elem != x.elem)
    return qcc_infer_error(ctx, "constant_value must be %s", qcc_elem_name(x.elem));
  if (x.rank < 0)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, -1);
  const int64_t *pads = NULL, *axes = NULL;
  int64_t npads = 0, naxes = x.rank;
  bool known = true;
  qcc_status st;
  if (qcc_op_attr(op, "pads")) {
    npads = qcc_op_attr_ints(op, "pads", &pads);
  } else if (qcc_has_operand(op, 1)) {
    if ((st = qcc_infer_expect_index(ctx, 1, "pads")) != QCC_OK)
      return st;
    known = qcc_infer_const_ints(ctx, 1, &pads, &npads);
  } else {
    return qcc_infer_error(ctx, "pads are required");
  }
  if (qcc_has_operand(op, 3)) {
    if ((st = qcc_infer_expect_index(ctx, 3, "axes")) != QCC_OK)
      return st;
    known = known && qcc_infer_const_ints(ctx, 3, &axes, &naxes);
  }
  if (!known)
    return qcc_infer_unknown_dims(ctx, 0, x.elem, x.rank);
  if (npads != 2 * naxes)
    return qcc_infer_error(ctx, "pads has %lld entries, expected %lld", (long long)npads,
                           (long long)(2 * naxes));
  qcc_dim dims[QCC_MAX_RANK];
  memcpy(dims, x.dims, (size_t)x.rank * sizeof(qcc_dim));
  bool seen[QCC_MAX_RANK] = {false};
  for (int64_t i = 0; i < naxes; ++i) {
    int64_t a = axes ? axes[i] : i;
    if (a < 0)
      a += x.rank;
    if (a < 0 || a >= x.rank || seen[a])
      return qcc_infer_error(ctx, "axes are out of range or repeated for rank %d", (int)x.rank);
    seen[a] = true;
    int64_t b = pads[i], e = pads[i + naxes];
    if (b < -((int64_t)1 << 40) || b > ((int64_t)1 << 40) || e < -((int64_t)1 << 40) ||
        e > ((int64_t)1 << 40))
      return qcc_infer_error(ctx, "pad amount is out of range");
    if (dims[a].size >= ((int64_t)1 << 61)) {
      dims[a] = qcc_unknown_dim; /* too large to adjust safely; the eval checks the real size */
    } else if (dims[a].size >= 0) {
      int64_t s = dims[a].size + b + e;
      if (s < 0)
        return qcc_infer_error(ctx, "negative pads remove more than dimension %lld has",
                               (long long)a);
      dims[a] = (qcc_dim){.size = s};
    } else if (b != 0 || e != 0) {
      dims[a] = qcc_unknown_dim;
    }
  }
  return qcc_infer_set(ctx, 0, x.elem, x.rank, dims);
}

/* Maps an out-of-range coordinate into [0, n) for the non-constant modes. */
static int64_t pad_source_index(pad_mode mode, int64_t i, int64_t n) {
  switch (mode) {
  case PAD_EDGE: return i < 0 ? 0 : i >= n ? n - 1 : i;
  case PAD_WRAP: {
    int64_t r = i % n;
    return r < 0 ? r + n : r;
  }
  case PAD_REFLECT: {
    if (n == 1)
      return 0;
    int64_t period = 2 * (n - 1), r = i % period;
    if (r < 0)
      r += period;
    return r < n ? r : period - r;
  }
  default: return i;
  }
}

static qcc_status pad_eval(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                           qcc_tensor **out) {
  const qcc_tensor *x = in[0];
  int32_t rank = x->rank;
  pad_mode mode;
  if (!parse_pad_mode(qcc_op_attr_string(op, "mode"), &mode))
    return qcc_eval_error(ctx, "unknown mode");
  int64_t pads[2 * QCC_MAX_RANK], npads, axes[QCC_MAX_RANK], naxes = rank;
  qcc_status st;
  const int64_t *attr;
  if (qcc_op_attr(op, "pads")) {
    uint32_t na = qcc_op_attr_ints(op, "pads", &attr);
    if (na > 2 * QCC_MAX_RANK)
      return qcc_eval_error(ctx, "pads has too many entries");
    memcpy(pads, attr, na * sizeof(int64_t));
    npads = na;
  } else if (op->num_operands > 1 && in[1]) {
    if ((st = qcc_eval_read_ints(ctx, in[1], "pads", 2 * QCC_MAX_RANK, pads, &npads)) != QCC_OK)
      return st;
  } else {
    return qcc_eval_error(ctx, "pads are required");
  }
  if (op->num_operands > 3 && in[3]) {
    if ((st = qcc_eval_read_ints(ctx, in[3], "axes", QCC_MAX_RANK, axes, &naxes)) != QCC_OK)
      return st;
  } else {
    for (int32_t d = 0; d < rank; ++d)
      axes[d] = d;
  }
  if (npads != 2 * naxes)
    return qcc_eval_error(ctx, "pads has %lld entries, expected %lld", (long long)npads,
                          (long long)(2 * naxes));
  int64_t begin[QCC_MAX_RANK] = {0}, dims[QCC_MAX_RANK];
  memcpy(dims, x->dims, sizeof dims);
  bool seen[QCC_MAX_RANK] = {false};
  for (int64_t i = 0; i < naxes; ++i) {
    int64_t a = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (a < 0 || a >= rank || seen[a])
      return qcc_eval_error(ctx, "axes are out of range or repeated for rank %d", (int)rank);
    seen[a] = true;
    int64_t b = pads[i], e = pads[i + naxes], lim = (int64_t)1 << 40;
    if (b < -lim || b > lim || e < -lim || e > lim || x->dims[a] > lim || x->dims[a] + b + e < 0)
      return qcc_eval_error(ctx, "pads are out of range for dimension %lld", (long long)a);
    begin[a] = b;
    dims[a] = x->dims[a] + b + e;
  }
  qcc_tensor *y = out[0] = qcc_eval_alloc(ctx, x->elem, rank, dims);
  if (!y)
    return QCC_ERR_INPUT;
  if (y->numel == 0)
    return QCC_OK;
  size_t es = qcc_elem_size(x->elem);
  /* The fill value in the element type's bytes. */
  unsigned char fill[8] = {0};
  if (mode == PAD_CONSTANT) {
    const qcc_tensor *cv = op->num_operands > 2 ? in[2] : NULL;
    if (cv && cv->numel > 0) {
      if (cv->elem != x->elem)
        return qcc_eval_error(ctx, "constant_value must be %s", qcc_elem_name(x->elem));
      memcpy(fill, cv->data, es);
    } else if (qcc_op_attr(op, "value")) {
      int64_t one = 1;
      qcc_tensor *tmp = qcc_eval_alloc(ctx, x->elem, 1, &one);
      if (!tmp)
        return QCC_ERR_INPUT;
      qcc_tensor_set_f64(tmp, 0, qcc_op_attr_float(op, "value"));
      memcpy(fill, tmp->data, es);
      qcc_tensor_free(tmp);
    }
  } else {
    for (int32_t d = 0; d < rank; ++d)
      if (x->dims[d] == 0 && dims[d] > 0)
        return qcc_eval_error(ctx, "cannot pad an empty dimension in this mode");
  }
  if (x->numel == 0) { /* constant mode: everything is fill */
    for (int64_t i = 0; i < y->numel; ++i)
      memcpy((char *)y->data + (size_t)i * es, fill, es);
    return QCC_OK;
  }
  int64_t strides[QCC_MAX_RANK], s = 1;
  for (int32_t d = rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= x->dims[d];
  }
  int64_t idx[QCC_MAX_RANK] = {0}, o = 0;
  do {
    int64_t off = 0;
    bool outside = false;
    for (int32_t d = 0; d < rank; ++d) {
      int64_t i = idx[d] - begin[d];
      if (i < 0 || i >= x->dims[d]) {
        if (mode == PAD_CONSTANT) {
          outside = true;
          break;
        }
        i = pad_source_index(mode, i, x->dims[d]);
      }
      off += i * strides[d];
    }
    void *dst = (char *)y->data + (size_t)o++ * es;
    memcpy(dst, outside ? (const void *)fill : (const char *)x->data + (size_t)off * es, es);
  } while (qcc_index_next(idx, dims, rank));
  return QCC_OK;
}

const qcc_op_def qcc_op_def_Pad = {
    .kind = QCC_OP_Pad,
    QCC_OP_NAMES(Pad),
    .min_operands = 1,
    .max_operands = 4,
    .min_results = 1,
    .max_results = 1,
    .attrs = QCC_ATTRS(QCC_ATTR_S("mode", "constant"), QCC_ATTR_OPT("pads", QCC_ATTR_INTS),
                       QCC_ATTR_F("value", 0.0f)),
    .infer = pad_infer,
    .eval = pad_eval,
};
