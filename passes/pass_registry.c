/* Every graph pass by name, and the -O pipelines (documented in docs/passes.md). */
#include <stdio.h>
#include <string.h>

#include "passes/assign_layout.h"
#include "passes/constant_fold.h"
#include "passes/cse.h"
#include "passes/dce.h"
#include "passes/fold_bias_add.h"
#include "passes/fold_conv_bn.h"
#include "passes/fold_conv_transpose.h"
#include "passes/fold_dynamic_quant.h"
#include "passes/fold_lut.h"
#include "passes/fuse_conv_activation.h"
#include "passes/fuse_epilogue.h"
#include "passes/merge_requant.h"
#include "passes/pass_manager.h"
#include "passes/pool_quant.h"
#include "passes/promote_f16.h"
#include "passes/propagate_qdq.h"
#include "passes/qdq_fusion.h"
#include "passes/quantize_bias.h"
#include "passes/residual_quant.h"
#include "passes/s8_to_u8.h"
#include "passes/sink_clamp.h"
#include "passes/specialize_shapes.h"
#include "passes/widen_f16.h"

/* In the order --help lists them. */
static const qcc_pass *const registered[] = {
    &qcc_pass_widen_f16,
    &qcc_pass_promote_f16,
    &qcc_pass_constant_fold,
    &qcc_pass_specialize_shapes,
    &qcc_pass_dce,
    &qcc_pass_cse,
    &qcc_pass_fold_conv_bn,
    &qcc_pass_fold_bias_add,
    &qcc_pass_fold_dynamic_quant,
    &qcc_pass_quantize_bias,
    &qcc_pass_fold_conv_transpose,
    &qcc_pass_propagate_qdq,
    &qcc_pass_pool_quant,
    &qcc_pass_residual_quant,
    &qcc_pass_s8_to_u8,
    &qcc_pass_sink_clamp,
    &qcc_pass_fold_lut,
    &qcc_pass_qdq_fusion,
    &qcc_pass_merge_requant,
    &qcc_pass_fuse_epilogue,
    &qcc_pass_fuse_conv_activation,
    &qcc_pass_assign_layout,
};

enum { NUM_REGISTERED = sizeof registered / sizeof registered[0] };

size_t qcc_pass_count_registered(void) { return NUM_REGISTERED; }

const qcc_pass *qcc_pass_at(size_t i) { return i < NUM_REGISTERED ? registered[i] : NULL; }

const qcc_pass *qcc_pass_lookup(const char *name, size_t len) {
  for (size_t i = 0; i < NUM_REGISTERED; ++i)
    if (strlen(registered[i]->name) == len && memcmp(registered[i]->name, name, len) == 0)
      return registered[i];
  return NULL;
}

bool qcc_pipeline_parse(const char *spec, qcc_pipeline *out, char *err, size_t errcap) {
  out->num_passes = 0;
  const char *s = spec;
  while (*s) {
    const char *end = strchr(s, ',');
    size_t len = end ? (size_t)(end - s) : strlen(s);
    if (len == 0) {
      snprintf(err, errcap, "empty pass name in '%s'", spec);
      return false;
    }
    const qcc_pass *p = qcc_pass_lookup(s, len);
    if (!p) {
      snprintf(err, errcap, "unknown pass '%.*s' (see qcc --help for the list)", (int)len, s);
      return false;
    }
    if (out->num_passes == QCC_PIPELINE_MAX) {
      snprintf(err, errcap, "more than %d passes in '%s'", QCC_PIPELINE_MAX, spec);
      return false;
    }
    out->passes[out->num_passes++] = p;
    s = end ? end + 1 : s + len;
    if (end && !*s) {
      snprintf(err, errcap, "empty pass name in '%s'", spec);
      return false;
    }
  }
  return true;
}

const char qcc_pipeline_spec_ort[] = "constant-fold,qdq-fusion";

const char *qcc_pipeline_spec_for_level(int level) {
  switch (level) {
  case 0: return ""; /* the graph as read: every node with its own ONNX semantics */
  case 1: return "constant-fold,specialize-shapes,dce,cse";
  default: /* -O2, -O3: clean up, fold BN into convs, prepare the TensorRT idiom, fold Q/DQ
            * (elementwise activations into exact lookup tables first), fuse conv epilogues
            * (integer, then float convs with Relu / residual Add into FusedConv), lay integer
            * images out NHWC */
    return "widen-f16,constant-fold,specialize-shapes,dce,cse,fold-conv-bn,fold-bias-add,"
           "fold-dynamic-quant,"
           "quantize-bias,fold-conv-transpose,"
           "propagate-qdq,pool-quant,propagate-qdq,residual-quant,s8-to-u8,sink-clamp,fold-lut,"
           "qdq-fusion,merge-requant,fuse-epilogue,fuse-conv-activation,assign-layout,dce";
  }
}
