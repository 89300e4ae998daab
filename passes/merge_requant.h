/* Requantization merging.
 * Precondition: constants folded. Effect: `QuantizeLinear(DequantizeLinear(x, s, z), s', z')` with
 * constant per-tensor parameters equal in value (s == s', z == z') and x of the Q's integer type
 * is x itself: the Q's uses take x and the pair goes. Exact: for every integer x of the type,
 * f32(s * (x - z)) / s lies within a few ulps of x - z, far from a rounding boundary, so the Q
 * returns x. A pair with other parameters (a real requantization, or an int8 <-> uint8 change)
 * becomes one QLinearLookup whose 256 entries are the pair evaluated on every code with the
 * interpreter's own DequantizeLinear and QuantizeLinear: exact, one elementwise integer op instead
 * of a float tensor between two. Runs after qdq-fusion, so pairs that belong to a fusion pattern
 * have already been taken. */
#ifndef QCC_PASSES_MERGE_REQUANT_H
#define QCC_PASSES_MERGE_REQUANT_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_merge_requant;

#endif
