/* Consistency check of the op registry (run by test/ir/registry/op-kinds.test): every kind of
 * ir/op_kinds.def has a definition that carries that kind, is found under its name, and has a
 * well-formed attribute table. Prints one line per problem and a summary. */
#include <stdio.h>
#include <string.h>

#include "ir/op_registry.h"

static int problems;

static void problem(const char *fmt, const char *a, const char *b) {
  printf("problem: ");
  printf(fmt, a, b);
  printf("\n");
  ++problems;
}

static void check_attrs(const qcc_op_def *def) {
  if (!def->attrs) {
    problem("%s%s: no attribute table", def->name, "");
    return;
  }
  for (const qcc_attr_spec *s = def->attrs; s->name; ++s) {
    if (s->has_default && (s->required || s->dflt.kind != s->kind))
      problem("%s: attribute '%s' has a default of the wrong kind, or is required", def->name,
              s->name);
    for (const qcc_attr_spec *t = def->attrs; t != s; ++t)
      if (strcmp(s->name, t->name) == 0)
        problem("%s: attribute '%s' listed twice", def->name, s->name);
  }
}

/* The names ir/op_kinds.def gives every kind, by kind. */
static const char *const def_names[QCC_OP_COUNT] = {
#define QCC_OP(kind, onnx_name, domain, family) [QCC_OP_##kind] = onnx_name,
#include "ir/op_kinds.def"
#undef QCC_OP
};

int main(void) {
  for (int k = 0; k < QCC_OP_COUNT; ++k) {
    const qcc_op_def *def = qcc_op_get((qcc_op_kind)k);
    char id[16];
    snprintf(id, sizeof id, "%d", k);
    if (!def) {
      problem("kind %s%s has no definition", id, "");
      continue;
    }
    if ((int)def->kind != k)
      problem("%s: its kind is not its registry index %s", def->name, id);
    if (strcmp(def->name, def_names[k]) != 0)
      problem("%s: ir/op_kinds.def names its kind '%s'", def->name, def_names[k]);
    if (qcc_op_lookup(def->name) != def)
      problem("%s: lookup by name finds another definition%s", def->name, "");
    if (strcmp(def->domain, "") != 0 && strcmp(def->domain, "com.microsoft") != 0 &&
        strcmp(def->domain, "ai.qcc") != 0)
      problem("%s: unknown domain '%s'", def->name, def->domain);
    if (!def->infer)
      problem("%s: no shape rule%s", def->name, "");
    if (!def->eval && def->kind != QCC_OP_Constant)
      problem("%s: no reference semantics%s", def->name, "");
    check_attrs(def);
  }
  if (qcc_op_get(QCC_OP_COUNT) != NULL)
    problem("qcc_op_get(QCC_OP_COUNT) is not NULL%s%s", "", "");
  printf("registry: %d ops, %d problems\n", (int)QCC_OP_COUNT, problems);
  return problems != 0;
}
