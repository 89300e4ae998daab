/* Epilogue fusion: an integer conv with its residual add and activation as one op.
 * Precondition: Q/DQ folded (qdq-fusion), clamps below quantizers (sink-clamp). Rule: a
 * QLinearAdd one of whose inputs is a QLinearConv result used by nothing else (and not a graph
 * output), optionally followed by an integer Clip with constant bounds that is the add's only
 * consumer, and also an integer Clip with constant bounds of such a private QLinearConv result,
 * becomes one QLinearConvFused (ir/ops/qlinear_fused.c): the conv, the add and the clamp run in
 * one kernel, and no tensor goes through memory between them. QLinearConvFused is defined
 * as that composition, with each op's own rounding, so the fusion is exact (bit for bit). The
 * other input of the add (the shortcut) is any tensor of the conv result's shape and type. */
#ifndef QCC_PASSES_FUSE_EPILOGUE_H
#define QCC_PASSES_FUSE_EPILOGUE_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_fuse_epilogue;

#endif
