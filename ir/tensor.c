#include "ir/tensor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static qcc_tensor *tensor_header(qcc_elem elem, int32_t rank, const int64_t *dims, size_t *nbytes) {
  if (rank < 0 || rank > QCC_MAX_RANK)
    return NULL;
  int64_t numel;
  if (!qcc_shape_numel(dims, rank, &numel))
    return NULL;
  size_t es = qcc_elem_size(elem);
  if ((uint64_t)numel > QCC_TENSOR_MAX_BYTES / es)
    return NULL;
  qcc_tensor *t = calloc(1, sizeof(*t));
  if (!t)
    return NULL;
  t->elem = elem;
  t->rank = rank;
  for (int32_t i = 0; i < rank; ++i)
    t->dims[i] = dims[i];
  t->numel = numel;
  *nbytes = (size_t)numel * es;
  return t;
}

qcc_tensor *qcc_tensor_alloc(qcc_elem elem, int32_t rank, const int64_t *dims) {
  size_t nbytes;
  qcc_tensor *t = tensor_header(elem, rank, dims, &nbytes);
  if (!t)
    return NULL;
  /* Always allocate at least one element so empty tensors still have a valid pointer. */
  t->data = calloc(nbytes ? nbytes : 1, 1);
  if (!t->data) {
    free(t);
    return NULL;
  }
  t->owns_data = true;
  return t;
}

qcc_tensor *qcc_tensor_view(qcc_elem elem, int32_t rank, const int64_t *dims, const void *data) {
  size_t nbytes;
  qcc_tensor *t = tensor_header(elem, rank, dims, &nbytes);
  if (t)
    t->data = (void *)data;
  return t;
}

void qcc_tensor_free(qcc_tensor *t) {
  if (!t)
    return;
  if (t->owns_data)
    free(t->data);
  free(t);
}

float qcc_f16_to_f32(uint16_t h) {
  uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, mant = h & 0x3ff;
  float f;
  if (exp == 0)
    f = ldexpf((float)mant, -24);
  else if (exp == 31)
    f = mant ? NAN : INFINITY;
  else
    f = ldexpf((float)(mant | 0x400), (int)exp - 25);
  return sign ? -f : f;
}

uint16_t qcc_f32_to_f16(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  uint16_t sign = (uint16_t)((x >> 16) & 0x8000);
  if (isnan(f))
    return sign | 0x7e00;
  float a = fabsf(f);
  if (a >= 65520.0f)
    return sign | 0x7c00;
  if (a < ldexpf(1.0f, -14)) /* subnormal: multiples of 2^-24, round half to even */
    return sign | (uint16_t)nearbyintf(a * 16777216.0f);
  int e;
  float m = frexpf(a, &e); /* a = m * 2^e, m in [0.5, 1) */
  uint32_t mant = (uint32_t)nearbyintf((m * 2.0f - 1.0f) * 1024.0f);
  int biased = e - 1 + 15;
  if (mant == 1024) {
    mant = 0;
    ++biased;
  }
  if (biased >= 31)
    return sign | 0x7c00;
  return sign | (uint16_t)(biased << 10) | (uint16_t)mant;
}

double qcc_tensor_get_f64(const qcc_tensor *t, int64_t i) {
  switch (t->elem) {
  case QCC_F32: return ((const float *)t->data)[i];
  case QCC_F16: return qcc_f16_to_f32(((const uint16_t *)t->data)[i]);
  case QCC_I8: return ((const int8_t *)t->data)[i];
  case QCC_U8: return ((const uint8_t *)t->data)[i];
  case QCC_I32: return ((const int32_t *)t->data)[i];
  case QCC_I64: return (double)((const int64_t *)t->data)[i];
  case QCC_BOOL: return ((const uint8_t *)t->data)[i] != 0;
  default: return 0;
  }
}

int64_t qcc_tensor_get_i64(const qcc_tensor *t, int64_t i) {
  switch (t->elem) {
  case QCC_I8: return ((const int8_t *)t->data)[i];
  case QCC_U8: return ((const uint8_t *)t->data)[i];
  case QCC_I32: return ((const int32_t *)t->data)[i];
  case QCC_I64: return ((const int64_t *)t->data)[i];
  case QCC_BOOL: return ((const uint8_t *)t->data)[i] != 0;
  default: {
    double d = qcc_tensor_get_f64(t, i);
    if (!(d == d))
      return 0;
    if (d >= 9.2e18)
      return INT64_MAX;
    if (d <= -9.2e18)
      return INT64_MIN;
    return (int64_t)d;
  }
  }
}

void qcc_tensor_set_f64(qcc_tensor *t, int64_t i, double v) {
  switch (t->elem) {
  case QCC_F32: ((float *)t->data)[i] = (float)v; break;
  case QCC_F16: ((uint16_t *)t->data)[i] = qcc_f32_to_f16((float)v); break;
  case QCC_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
  default: qcc_tensor_set_i64(t, i, (int64_t)v); break;
  }
}

void qcc_tensor_set_i64(qcc_tensor *t, int64_t i, int64_t v) {
  switch (t->elem) {
  case QCC_F32: ((float *)t->data)[i] = (float)v; break;
  case QCC_F16: ((uint16_t *)t->data)[i] = qcc_f32_to_f16((float)v); break;
  case QCC_I8: ((int8_t *)t->data)[i] = (int8_t)v; break;
  case QCC_U8: ((uint8_t *)t->data)[i] = (uint8_t)v; break;
  case QCC_I32: ((int32_t *)t->data)[i] = (int32_t)v; break;
  case QCC_I64: ((int64_t *)t->data)[i] = v; break;
  case QCC_BOOL: ((uint8_t *)t->data)[i] = v != 0; break;
  default: break;
  }
}
