/* Op identity: enum qcc_op_kind, generated from ir/op_kinds.def. Passes and lowering dispatch
 * with `switch (op->def->kind)` or qcc_op_is(); names are for the front ends and the printer. */
#ifndef QCC_IR_OP_KINDS_H
#define QCC_IR_OP_KINDS_H

typedef enum qcc_op_kind {
#define QCC_OP(kind, onnx_name, domain, family) QCC_OP_##kind,
#include "ir/op_kinds.def"
#undef QCC_OP
  QCC_OP_COUNT
} qcc_op_kind;

/* Name, domain and family strings of every kind, defined once in ir/op_registry.c so that the
 * op definitions can point at them from static initializers (see QCC_OP_NAMES). */
#define QCC_OP(kind, onnx_name, domain, family)                                                    \
  extern const char qcc_op_name_##kind[], qcc_op_domain_##kind[], qcc_op_family_##kind[];
#include "ir/op_kinds.def"
#undef QCC_OP

/* The name fields of the definition of op kind `k`. Every ir/ops/ file names the op it defines
 * as `const qcc_op_def qcc_op_def_Conv = {.kind = QCC_OP_Conv, QCC_OP_NAMES(Conv), ...};`;
 * test/ir/registry checks that the two agree. */
#define QCC_OP_NAMES(k)                                                                            \
  .name = qcc_op_name_##k, .domain = qcc_op_domain_##k, .family = qcc_op_family_##k

#endif
