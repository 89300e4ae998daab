/* Tensor types: element kind, shape with static or symbolic dims, optional quantization. */
#ifndef QCC_IR_TYPE_H
#define QCC_IR_TYPE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "ir/arena.h"

typedef enum {
  QCC_F32,
  QCC_F16, /* float16: ops compute in f32 and round results back (ir/ops/op_util.h) */
  QCC_I8,
  QCC_U8,
  QCC_I32,
  QCC_I64,
  QCC_BOOL,
  QCC_ELEM_COUNT,
} qcc_elem;

enum { QCC_MAX_RANK = 8 };
#define QCC_RANK_UNKNOWN (-1)
#define QCC_PER_TENSOR (-1)

/* size >= 0: static. size < 0: symbolic when sym != NULL (e.g. "N"), else unknown ("?"). */
typedef struct qcc_dim {
  int64_t size;
  const char *sym;
} qcc_dim;

/* Affine quantization real = scale * (q - zero_point); per tensor (axis == QCC_PER_TENSOR,
 * count == 1) or per axis (one scale/zero point for each index along `axis`). */
typedef struct qcc_quant {
  int32_t axis;
  uint32_t count;
  const float *scales;
  const int32_t *zero_points;
} qcc_quant;

/* Types are small values; the arrays they point at live in a graph arena and never change. */
typedef struct qcc_type {
  qcc_elem elem;
  int32_t rank; /* QCC_RANK_UNKNOWN for unranked */
  const qcc_dim *dims;
  const qcc_quant *quant; /* NULL unless quantized */
} qcc_type;

const char *qcc_elem_name(qcc_elem e); /* "f32", "u8", ... */
bool qcc_elem_from_name(const char *name, size_t len, qcc_elem *out);
size_t qcc_elem_size(qcc_elem e);         /* bytes per element */
bool qcc_elem_is_int(qcc_elem e);         /* i8 u8 i32 i64 */
bool qcc_elem_is_quantizable(qcc_elem e); /* storage types a qcc_quant may annotate: i8 u8 i32 */
void qcc_elem_int_range(qcc_elem e, int64_t *lo, int64_t *hi);

qcc_type qcc_type_make(qcc_elem elem, int32_t rank, const qcc_dim *dims);
/* Copies dims into the arena; returns false when out of memory. */
bool qcc_type_make_static(qcc_arena *a, qcc_elem elem, int32_t rank, const int64_t *sizes,
                          qcc_type *out);
qcc_type qcc_type_unranked(qcc_elem elem);

bool qcc_dim_is_static(qcc_dim d);
bool qcc_dim_equal(qcc_dim a, qcc_dim b);
bool qcc_type_is_static(qcc_type t);
/* Exact equality including quantization. */
bool qcc_type_equal(qcc_type a, qcc_type b);
/* Same element and rank; dims equal where both are known. Quantization ignored. */
bool qcc_type_compatible(qcc_type a, qcc_type b);
bool qcc_quant_equal(const qcc_quant *a, const qcc_quant *b);
/* A declared type agrees with an inferred one when elements match and every dim known in the
 * inferred type is equal in the declared one: declarations may be more specific. Quantization
 * is not compared (shape rules do not derive it). */
bool qcc_type_refines(qcc_type declared, qcc_type inferred);

/* Element count of a static shape; false when a dim is not static or the product
 * overflows int64. */
bool qcc_shape_numel(const int64_t *dims, int32_t rank, int64_t *numel);
bool qcc_type_numel(qcc_type t, int64_t *numel);
/* numel * element size; false on overflow. */
bool qcc_type_nbytes(qcc_type t, size_t *nbytes);

/* Shortest decimal form of a float that reads back to the same bits, always with a '.'
 * or exponent (or inf/nan) so the .qir lexer sees a float. buf needs 32 bytes. */
void qcc_format_float(float v, char *buf);

/* Prints a type in .qir syntax, e.g. "f32[N,3,224,224]" or "!q<u8, 0.5:128>[1,8]". */
void qcc_type_print(FILE *out, qcc_type t);
/* The same text into a buffer (truncated to cap - 1 characters), for diagnostics. */
void qcc_type_format(qcc_type t, char *buf, size_t cap);

#endif
