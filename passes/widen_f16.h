/* float16 compute as float32 ops between Casts.
 * Precondition: none. Effect: every op that computes on float16 (an f16 operand or result; not
 * Cast, Constant, or an op that only moves or selects elements, which runs on f16 as is)
 * becomes the same op on float32: a Cast to f32 before each f16 operand, its f16 results typed
 * f32, and a Cast to f16 after each of them. That is the interpreter's float16 semantics
 * (qcc_eval_f16_via_f32: operands widened exactly, the op in float32, each result rounded to
 * float16 once), so results are unchanged, and the code generator needs float16 only in Cast
 * and in the element-moving ops. constant-fold then turns the Casts of f16 weights into f32
 * constants. */
#ifndef QCC_PASSES_WIDEN_F16_H
#define QCC_PASSES_WIDEN_F16_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_widen_f16;

#endif
