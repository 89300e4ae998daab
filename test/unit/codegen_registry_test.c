/* Consistency check of the code generator's table (run by test/codegen/lower/registry.test):
 * every op kind of ir/op_kinds.def has exactly one of a lowering and a documented
 * "interpreter only" reason. Prints one line per kind and a summary. */
#include <stdio.h>

#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

int main(void) {
  int problems = 0, lowered = 0;
  for (int k = 0; k < QCC_OP_COUNT; ++k) {
    const qcc_op_def *def = qcc_op_get((qcc_op_kind)k);
    const qcc_lowering *l = qcc_lowering_get((qcc_op_kind)k);
    const char *name = def ? def->name : "?";
    if (!l->lower == !l->interpreter_only || (l->interpreter_only && !l->interpreter_only[0])) {
      printf("problem: %s has %s\n", name,
             l->lower ? "both a lowering and a reason" : "neither a lowering nor a reason");
      ++problems;
      continue;
    }
    lowered += l->lower != NULL;
    if (l->lower)
      printf("lowered: %s\n", name);
    else
      printf("interpreter only: %s: %s\n", name, l->interpreter_only);
  }
  printf("codegen: %d op kinds, %d lowered, %d problems\n", (int)QCC_OP_COUNT, lowered, problems);
  return problems != 0;
}
