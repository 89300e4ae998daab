/* The depthwise NHWC convolution kernel: one output channel per input channel, channels in
 * vectors (placeholder: the generic nest handles it until this kernel lands). */
#include "codegen/lower/qlinear_conv.h"

qcc_status qcc_lower_conv_depthwise(qcc_lower_ctx *L, const qcc_conv_params *p,
                                    const qcc_conv_epilogue *epi, bool *done) {
  (void)L, (void)p, (void)epi;
  *done = false;
  return QCC_OK;
}
