#include "ir/op_registry.h"

#include <stdarg.h>
#include <string.h>

/* The strings QCC_OP_NAMES points at, one set per kind. */
#define QCC_OP(kind, onnx_name, domain, family)                                                    \
  const char qcc_op_name_##kind[] = onnx_name, qcc_op_domain_##kind[] = domain,                    \
             qcc_op_family_##kind[] = #family;
#include "ir/op_kinds.def"
#undef QCC_OP

/* Every ir/ops/ family file defines qcc_op_def_<kind> for each of its kinds. */
#define QCC_OP(kind, onnx_name, domain, family) extern const qcc_op_def qcc_op_def_##kind;
#include "ir/op_kinds.def"
#undef QCC_OP

static const qcc_op_def *const registry[QCC_OP_COUNT] = {
#define QCC_OP(kind, onnx_name, domain, family) [QCC_OP_##kind] = &qcc_op_def_##kind,
#include "ir/op_kinds.def"
#undef QCC_OP
};

const qcc_op_def *qcc_op_get(qcc_op_kind k) {
  return (unsigned)k < QCC_OP_COUNT ? registry[k] : NULL;
}

const qcc_op_def *qcc_op_lookup_n(const char *name, size_t len) {
  for (size_t k = 0; k < QCC_OP_COUNT; ++k)
    if (strlen(registry[k]->name) == len && memcmp(registry[k]->name, name, len) == 0)
      return registry[k];
  return NULL;
}

const qcc_op_def *qcc_op_lookup(const char *name) { return qcc_op_lookup_n(name, strlen(name)); }

const qcc_attr_spec *qcc_op_attr_spec(const qcc_op_def *def, const char *name) {
  for (const qcc_attr_spec *s = def->attrs; s && s->name; ++s)
    if (strcmp(s->name, name) == 0)
      return s;
  return NULL;
}

qcc_status qcc_op_error_v(qcc_diag *diag, const qcc_op *op, const char *fmt, va_list ap) {
  char msg[512];
  vsnprintf(msg, sizeof msg, fmt, ap);
  qcc_diag_error(diag, op->loc, "%s: %s", op->def->name, msg);
  return QCC_ERR_INPUT;
}

qcc_status qcc_infer_error(qcc_infer_ctx *ctx, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  qcc_status st = qcc_op_error_v(ctx->diag, ctx->op, fmt, ap);
  va_end(ap);
  return st;
}

static const char *attr_kind_name(qcc_attr_kind k) {
  static const char *const names[] = {"int",    "float",   "string", "ints",
                                      "floats", "strings", "tensor"};
  return names[k];
}

static bool attr_kind_fits(qcc_attr_kind want, const qcc_attr *a) {
  if (want == a->kind)
    return true;
  /* An empty list parses as ints; a float attribute written as an integer is fine too. */
  return (want == QCC_ATTR_FLOAT && a->kind == QCC_ATTR_INT) ||
         ((want == QCC_ATTR_FLOATS || want == QCC_ATTR_STRINGS) && a->kind == QCC_ATTR_INTS &&
          a->ints.n == 0);
}

qcc_status qcc_op_infer(const qcc_op *op, qcc_arena *arena, qcc_diag *diag, qcc_type *results) {
  const qcc_op_def *def = op->def;
  qcc_infer_ctx ctx = {.arena = arena, .diag = diag, .op = op, .results = results};
  if (op->num_operands < def->min_operands ||
      (def->max_operands != QCC_VARIADIC && op->num_operands > def->max_operands)) {
    if (def->min_operands == def->max_operands)
      return qcc_infer_error(&ctx, "expected %u operands, got %u", def->min_operands,
                             op->num_operands);
    if (def->max_operands == QCC_VARIADIC)
      return qcc_infer_error(&ctx, "expected at least %u operands, got %u", def->min_operands,
                             op->num_operands);
    return qcc_infer_error(&ctx, "expected %u to %u operands, got %u", def->min_operands,
                           def->max_operands, op->num_operands);
  }
  if (op->num_results < def->min_results ||
      (def->max_results != QCC_VARIADIC && op->num_results > def->max_results))
    return qcc_infer_error(&ctx, "wrong number of results (%u)", op->num_results);
  for (uint32_t i = 0; i < def->min_operands && i < op->num_operands; ++i)
    if (!op->operands[i].value)
      return qcc_infer_error(&ctx, "operand %u is required", i);
  for (uint32_t i = 0; i < op->num_attrs; ++i) {
    const qcc_attr *a = &op->attrs[i];
    const qcc_attr_spec *s = qcc_op_attr_spec(def, a->name);
    if (!s)
      return qcc_infer_error(&ctx, "unknown attribute '%s'", a->name);
    if (!attr_kind_fits(s->kind, a))
      return qcc_infer_error(&ctx, "attribute '%s' must be %s, not %s", a->name,
                             attr_kind_name(s->kind), attr_kind_name(a->kind));
    for (uint32_t j = 0; j < i; ++j)
      if (strcmp(op->attrs[j].name, a->name) == 0)
        return qcc_infer_error(&ctx, "attribute '%s' given twice", a->name);
  }
  for (const qcc_attr_spec *s = def->attrs; s && s->name; ++s)
    if (s->required && !qcc_op_attr(op, s->name))
      return qcc_infer_error(&ctx, "missing required attribute '%s'", s->name);
  return def->infer(&ctx);
}
