/* ConvTranspose's geometry (ir/ops/conv_transpose.c), shared by the interpreter and the code
 * generator (codegen/lower/conv_transpose.c): group, window, and per spatial dim the output
 * size and the leading padding. */
#ifndef QCC_IR_OPS_CONV_TRANSPOSE_H
#define QCC_IR_OPS_CONV_TRANSPOSE_H

#include "ir/ops/window.h"

enum { QCC_TCONV_MAX_SPATIAL = 3 };

/* Output size and padding of every spatial dim. */
typedef struct qcc_tconv_geom {
  qcc_window w;
  int64_t group;
  int64_t out[QCC_TCONV_MAX_SPATIAL], pad_begin[QCC_TCONV_MAX_SPATIAL];
} qcc_tconv_geom;

/* Reads group and the window attributes for `nsp` spatial dims; `kernel` holds the weight's
 * spatial sizes (< 0 unknown). False with g->w.err on a bad attribute. */
bool qcc_tconv_geom_read(qcc_tconv_geom *g, const qcc_op *op, int32_t nsp, const int64_t *kernel);
/* Output size and leading pad of spatial dim d for input size `in` (kernel known); false with
 * g->w.err when they do not fit. */
bool qcc_tconv_geom_dim(qcc_tconv_geom *g, const qcc_op *op, int32_t d, int64_t in);

#endif
