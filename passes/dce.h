/* Dead-code elimination.
 * Precondition: none. Effect: every op none of whose results is used or is a graph output is
 * erased, repeatedly, so whole dead chains (including their constants) go. */
#ifndef QCC_PASSES_DCE_H
#define QCC_PASSES_DCE_H

#include "passes/pass_manager.h"

extern const qcc_pass qcc_pass_dce;

#endif
