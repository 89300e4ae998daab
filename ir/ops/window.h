/* Sliding-window geometry of the convolution and pooling ops (Conv, MaxPool, AveragePool,
 * QLinearConv, ConvInteger, QLinearAveragePool): the kernel_shape/strides/dilations/pads/
 * auto_pad attributes, the output extent and the effective padding of every spatial dim.
 * The ops differ in a few limits and edge cases; each difference is a field of
 * qcc_window_rules, so one op's rules can never leak into another's results. */
#ifndef QCC_IR_OPS_WINDOW_H
#define QCC_IR_OPS_WINDOW_H

#include "ir/op_registry.h"

enum { QCC_WINDOW_MAX_SPATIAL = QCC_MAX_RANK - 2 };

/* Bound on output elements x window taps so hostile attributes cannot make an eval run for
 * hours; real models stay orders of magnitude below it. */
/* The attribute table of the convolution family (Conv, ConvInteger, QLinearConv and the fused
 * integer convs): the window read by qcc_conv_geom. Needs ir/ops/op_util.h. */
#define QCC_CONV_ATTR_ENTRIES                                                                      \
  QCC_ATTR_S("auto_pad", "NOTSET"), QCC_ATTR_OPT("dilations", QCC_ATTR_INTS),                      \
      QCC_ATTR_I("group", 1), QCC_ATTR_OPT("kernel_shape", QCC_ATTR_INTS),                         \
      QCC_ATTR_OPT("pads", QCC_ATTR_INTS), QCC_ATTR_OPT("strides", QCC_ATTR_INTS)
#define QCC_CONV_ATTRS QCC_ATTRS(QCC_CONV_ATTR_ENTRIES)

#define QCC_WINDOW_WORK_MAX ((int64_t)1 << 40)

typedef enum {
  QCC_AUTO_PAD_NOTSET,
  QCC_AUTO_PAD_VALID,
  QCC_AUTO_PAD_SAME_UPPER,
  QCC_AUTO_PAD_SAME_LOWER,
} qcc_auto_pad;

/* What an op accepts and how it sizes its output. */
typedef struct qcc_window_rules {
  int64_t attr_max;          /* largest kernel/stride/dilation/pad value accepted */
  int64_t in_max;            /* largest spatial input size accepted */
  int64_t weight_kernel_min; /* smallest kernel size the weights may imply (no kernel_shape) */
  bool dilations;            /* reads the dilations attribute; without it every dilation is 1 */
  /* SAME_UPPER/SAME_LOWER: false takes ceil(in / stride) as the output size; true derives it
   * from the padded span like explicit pads do (and so rejects a kernel that cannot fit). */
  bool same_from_span;
  int64_t group_max; /* largest `group` a convolution accepts (qcc_conv_geom_read) */
} qcc_window_rules;

/* Float Conv, MaxPool and AveragePool: values up to 2^31, inputs up to 2^60. */
extern const qcc_window_rules qcc_window_rules_float;
/* QLinearConv and ConvInteger, mirroring ONNX Runtime: values up to INT32_MAX, inputs up to
 * 4 * INT32_MAX, weights with an empty spatial dim accepted, SAME sized from the span. */
extern const qcc_window_rules qcc_window_rules_qconv;
/* com.microsoft QLinearAveragePool: the qconv limits, no dilations, SAME = ceil(in / stride). */
extern const qcc_window_rules qcc_window_rules_qpool;

/* Window attributes of one op for `nsp` spatial dims. kernel[d] < 0 when the kernel size is not
 * known statically. pads holds all begins, then all ends. */
typedef struct qcc_window {
  int32_t nsp;
  qcc_auto_pad auto_pad;
  int64_t kernel[QCC_WINDOW_MAX_SPATIAL], stride[QCC_WINDOW_MAX_SPATIAL],
      dilation[QCC_WINDOW_MAX_SPATIAL];
  int64_t pads[2 * QCC_WINDOW_MAX_SPATIAL];
  char err[200]; /* the reason when a function below returns false */
} qcc_window;

/* Reads auto_pad/kernel_shape/strides/dilations/pads for `nsp` (1 to QCC_WINDOW_MAX_SPATIAL)
 * spatial dims. `weight_kernel` gives the kernel sizes implied by the weights (entries < 0
 * unknown; NULL for pooling, where kernel_shape is then required); kernel_shape, when given,
 * must agree with it. */
bool qcc_window_read(qcc_window *w, const qcc_op *op, const qcc_window_rules *rules, int32_t nsp,
                     const int64_t *weight_kernel);

/* Output size and effective pads of spatial dim d for the known input size `in`. ceil_mode
 * rounds the window count up but drops a last window that would start in the trailing pads;
 * SAME auto_pad ignores it. False (with w->err) when the input is out of range or the window
 * does not fit. */
bool qcc_window_out(qcc_window *w, const qcc_window_rules *rules, int32_t d, int64_t in,
                    bool ceil_mode, int64_t *out, int64_t *pad_begin, int64_t *pad_end);

/* Static output sizes of all w->nsp spatial dims for the input sizes `in` (NULL when the rank is
 * unknown): out[d] is unknown where the input size or the kernel size is. False (with w->err)
 * when a known size does not fit. */
bool qcc_window_infer_dims(qcc_window *w, const qcc_window_rules *rules, const qcc_dim *in,
                           bool ceil_mode, qcc_dim *out);

/* The window of an op with 1 to 3 spatial dims seen as exactly 3: the op's dims right-aligned,
 * the leading ones of size 1 with kernel, stride and dilation 1 and no padding, so that one
 * loop nest of the reference interpreter serves 1-D to 3-D. */
enum { QCC_WINDOW3_DIMS = 3 };
typedef struct qcc_window3 {
  int64_t in[QCC_WINDOW3_DIMS], kernel[QCC_WINDOW3_DIMS], out[QCC_WINDOW3_DIMS],
      stride[QCC_WINDOW3_DIMS], dilation[QCC_WINDOW3_DIMS], pad_begin[QCC_WINDOW3_DIMS],
      pad_end[QCC_WINDOW3_DIMS];
} qcc_window3;

/* Fills `n` for the known input spatial sizes in[0..w->nsp) (w->nsp <= 3, kernel known) and
 * writes the output spatial sizes to out[0..w->nsp). False (with w->err) when one does not fit. */
bool qcc_window_expand3(qcc_window *w, const qcc_window_rules *rules, const int64_t *in,
                        bool ceil_mode, qcc_window3 *n, int64_t *out);

/* Geometry of Conv, QLinearConv and ConvInteger: the window and the group count. */
typedef struct qcc_conv_geom {
  qcc_window w;
  int64_t group;
} qcc_conv_geom;

/* Reads `group` and checks it is in [1, rules->group_max]; false with the reason in err. */
bool qcc_conv_group_read(const qcc_op *op, const qcc_window_rules *rules, int64_t *group,
                         char err[200]);
/* Reads group and the window attributes for `nsp` spatial dims; `weight_kernel` holds the
 * weight's spatial sizes (< 0 when unknown). On error g->w.err says why. */
bool qcc_conv_geom_read(qcc_conv_geom *g, const qcc_op *op, const qcc_window_rules *rules,
                        int32_t nsp, const int64_t *weight_kernel);

/* Product of `n` non-negative sizes; false on overflow or when it exceeds `limit`. */
bool qcc_product_within(const int64_t *v, int32_t n, int64_t limit, int64_t *out);

#endif
