/* ai.qcc QLinearLookup (ir/ops/lookup.c): a gather through the op's 256-entry table, indexed by
 * the input's byte (the +128 of i8 codes folded into the table at compile time, by evaluating
 * the op on every code). */
#include "codegen/lower/lower.h"

qcc_status qcc_lower_qlinear_lookup(qcc_lower_ctx *L) {
  uint8_t table[256];
  qcc_status st = qcc_lower_eval_byte_map(L, table);
  return st != QCC_OK ? st : qcc_lower_byte_map_kernel(L, table);
}
