/* float16 models computed in float32 throughout (for `qcc quantize`).
 * Precondition: widen-f16 (every f16 op already runs as f32 between Casts), then constant-fold
 * (the f16 weights are f32 constants). Effect: the rounding to float16 between ops goes: a Cast
 * to f16 of an f32 value and a Cast to f32 of an f32 value are bypassed (their consumers read
 * the operand), and the ops that only move f16 elements (Concat, Reshape, ...) move f32 ones
 * instead (their f16 operands widened by a Cast). The values a graph output names keep their
 * Casts, so the graph's interface types and names stay. This CHANGES results (each op's result
 * is no longer rounded to float16): it serves post-training quantization, whose Q/DQ pairs need
 * fold-conv-bn and the integer folds to see Conv -> BatchNormalization -> Relu with no Casts
 * between, and whose written model computes between the integer ops in float32. */
#ifndef QCC_PASSES_PROMOTE_F16_H
#define QCC_PASSES_PROMOTE_F16_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_promote_f16;

#endif
