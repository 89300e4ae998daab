/* Physical layouts of values: how the code generator lays a tensor out in memory. Types,
 * shapes and the interpreter stay logical (an image is [N,C,H,W] whatever its layout), so a
 * layout never changes what a value holds; only Relayout ops (ir/ops/relayout.c) change it. */
#ifndef QCC_IR_LAYOUT_H
#define QCC_IR_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>

#include "ir/type.h"

typedef enum qcc_layout {
  QCC_LAYOUT_ROW_MAJOR = 0, /* the logical dims in order, the last fastest: the caller's buffers */
  QCC_LAYOUT_NHWC,          /* a rank-4 [N,C,H,W] value stored as [N,H,W,C]: channels innermost */
  QCC_LAYOUT_COUNT,
} qcc_layout;

/* "row_major", "nhwc": the spelling of .qir annotations and of Relayout's attribute. */
const char *qcc_layout_name(qcc_layout l);
bool qcc_layout_from_name(const char *name, size_t len, qcc_layout *out);
/* True when a value of type `t` can carry layout `l`: row-major always, NHWC at rank 4. */
bool qcc_layout_fits(qcc_layout l, qcc_type t);
/* True when layouts `a` and `b` put every element of a value of type `t` at the same offset:
 * they are equal, or `t` is rank 4 with C == 1, H * W == 1 or no elements (static dims), where
 * NHWC and row-major are the same bytes. A consumer needing `b` can read such a value as is. */
bool qcc_layout_same_bytes(qcc_type t, qcc_layout a, qcc_layout b);

struct qcc_op;
/* The layout a Relayout op's `layout` attribute names; false when absent or unknown. */
bool qcc_relayout_target(const struct qcc_op *op, qcc_layout *out);

#endif
