/* Every op family file exports one NULL-terminated table; the registry concatenates them.
 * Adding an op means adding an entry to its family's table, nothing else. */
#ifndef QCC_IR_OPS_FAMILIES_H
#define QCC_IR_OPS_FAMILIES_H

#include "ir/op_registry.h"

#define QCC_OP_FAMILIES(X)                                                                         \
  X(constant)                                                                                      \
  X(quantize)                                                                                      \
  X(qlinear_conv)                                                                                  \
  X(qlinear_matmul)                                                                                \
  X(qlinear_elementwise)                                                                           \
  X(qlinear_pool)                                                                                  \
  X(conv)                                                                                          \
  X(activation)                                                                                    \
  X(binary)                                                                                        \
  X(pool)                                                                                          \
  X(gemm)                                                                                          \
  X(layout)                                                                                        \
  X(indexing)                                                                                      \
  X(resize)

#define QCC_DECLARE_FAMILY(f) extern const qcc_op_def *const qcc_ops_##f[];
QCC_OP_FAMILIES(QCC_DECLARE_FAMILY)
#undef QCC_DECLARE_FAMILY

#endif
