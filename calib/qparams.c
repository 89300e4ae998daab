/* Scale and zero point from a range, as ONNX Runtime's quantizer computes them
 * (onnxruntime/python/tools/quantization/quant_utils.py, compute_scale_zp and
 * get_qmin_qmax_for_qType): bounds in float32, the ratio in double, the scale stored in float32;
 * docs/quantize.md ("Scale and zero point"). */
#include <float.h>
#include <math.h>

#include "calib/calib.h"

void qcc_calib_qrange(qcc_calib_dtype dtype, bool symmetric, int32_t *qmin, int32_t *qmax) {
  if (dtype == QCC_CALIB_UINT8) {
    *qmin = 0;
    *qmax = 255;
  } else {
    /* Symmetric int8 leaves -128 out: zero point 0 and scale max|x| / 127 exactly. */
    *qmin = symmetric ? -127 : -128;
    *qmax = 127;
  }
}

qcc_calib_status qcc_calib_qparams_from_range(float lo, float hi, qcc_calib_dtype dtype,
                                              bool symmetric, qcc_calib_qparams *out) {
  if (!isfinite(lo) || !isfinite(hi) || lo > hi ||
      (dtype != QCC_CALIB_UINT8 && dtype != QCC_CALIB_INT8))
    return QCC_CALIB_ERR_ARG;
  int32_t qmin, qmax;
  qcc_calib_qrange(dtype, symmetric, &qmin, &qmax);
  float rmin = lo < 0 ? lo : 0.0f, rmax = hi > 0 ? hi : 0.0f;
  if (symmetric) {
    float a = fabsf(rmin) > fabsf(rmax) ? fabsf(rmin) : fabsf(rmax);
    rmin = -a;
    rmax = a;
  }
  float width = rmax - rmin; /* float32 arithmetic, as numpy on float32 bounds */
  if (!isfinite(width))
    return QCC_CALIB_ERR_ARG;
  double scale = (double)width / ((double)qmax - (double)qmin);
  out->qmin = qmin;
  out->qmax = qmax;
  if (scale < FLT_MIN) {
    out->scale = 1.0f;
    out->zero_point = 0;
    return QCC_CALIB_OK;
  }
  double zp = symmetric ? nearbyint((qmin + qmax) / 2.0) : nearbyint(qmin - (double)rmin / scale);
  zp = zp < qmin ? qmin : zp > qmax ? qmax : zp;
  out->scale = (float)scale;
  out->zero_point = (int32_t)zp;
  return QCC_CALIB_OK;
}

qcc_calib_status qcc_calib_qparams_per_channel(const float *w, size_t outer, size_t channels,
                                               size_t inner, float *scales, int32_t *zero_points) {
  for (size_t c = 0; c < channels; ++c) {
    float lo = 0, hi = 0;
    for (size_t o = 0; o < outer; ++o) {
      const float *row = w + (o * channels + c) * inner;
      for (size_t i = 0; i < inner; ++i) {
        if (!isfinite(row[i]))
          return QCC_CALIB_ERR_NONFINITE;
        lo = row[i] < lo ? row[i] : lo;
        hi = row[i] > hi ? row[i] : hi;
      }
    }
    qcc_calib_qparams q;
    qcc_calib_status s = qcc_calib_qparams_from_range(lo, hi, QCC_CALIB_INT8, true, &q);
    if (s != QCC_CALIB_OK)
      return s;
    scales[c] = q.scale;
    zero_points[c] = q.zero_point;
  }
  return QCC_CALIB_OK;
}
