/* Runtime tensors of the reference interpreter (heap-owned, separate from the IR arena). */
#ifndef QCC_IR_TENSOR_H
#define QCC_IR_TENSOR_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/diag.h"
#include "ir/type.h"

typedef struct qcc_tensor {
  qcc_elem elem;
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
  int64_t numel;
  void *data;
  bool owns_data;
} qcc_tensor;

/* Interpreter-wide limit on one tensor's bytes; hostile shapes fail cleanly instead of
 * exhausting memory. */
#define QCC_TENSOR_MAX_BYTES ((size_t)2 << 30)

/* Zero-filled tensor; NULL when the shape overflows, exceeds the limit, or on OOM. */
qcc_tensor *qcc_tensor_alloc(qcc_elem elem, int32_t rank, const int64_t *dims);
/* A tensor viewing `data` (not freed by qcc_tensor_free). */
qcc_tensor *qcc_tensor_view(qcc_elem elem, int32_t rank, const int64_t *dims, const void *data);
void qcc_tensor_free(qcc_tensor *t);

/* Value i as double / int64 regardless of element type (f16 included). */
double qcc_tensor_get_f64(const qcc_tensor *t, int64_t i);
int64_t qcc_tensor_get_i64(const qcc_tensor *t, int64_t i);
void qcc_tensor_set_f64(qcc_tensor *t, int64_t i, double v);
void qcc_tensor_set_i64(qcc_tensor *t, int64_t i, int64_t v);

float qcc_f16_to_f32(uint16_t h);
uint16_t qcc_f32_to_f16(float f);

#endif
