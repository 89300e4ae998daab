/* The op registry: one entry per op kind of ir/op_kinds.def holding its operand/result/attribute
 * signature (with attribute defaults), its shape rule (which also verifies operands and
 * attributes) and its reference semantics. Each ir/ops/ family file defines qcc_op_def_<kind>
 * for its kinds; the table indexed by kind is generated from the .def file. Later issues add
 * lowering hooks here. Entries are immutable, so the registry is shared. */
#ifndef QCC_IR_OP_REGISTRY_H
#define QCC_IR_OP_REGISTRY_H

#include <stdarg.h>

#include "ir/graph.h"
#include "ir/op_kinds.h"
#include "ir/tensor.h"

#define QCC_VARIADIC 0xffffu

/* One attribute of an op: its kind and, for an optional one, the value it has when absent. The
 * typed accessors (qcc_op_attr_int, ...) return that default, so call sites never repeat it. */
typedef struct qcc_attr_spec {
  const char *name;
  qcc_attr_kind kind;
  bool required;
  bool has_default; /* `dflt` is the value of an absent attribute */
  qcc_attr dflt;
} qcc_attr_spec;

/* Entries of an attribute table (QCC_ATTRS in ir/ops/op_util.h). */
#define QCC_ATTR_REQ(n, k) {.name = n, .kind = k, .required = true}
/* Optional with no static default: absent means "not given" (a list reads as empty). Readers of
 * an int, float or string one check qcc_op_attr first. */
#define QCC_ATTR_OPT(n, k) {.name = n, .kind = k}
#define QCC_ATTR_DEFAULT_(n, k, ...)                                                               \
  {                                                                                                \
    .name = n, .kind = k, .has_default = true, .dflt = {.name = n, .kind = k, __VA_ARGS__ }        \
  }
#define QCC_ATTR_I(n, v) QCC_ATTR_DEFAULT_(n, QCC_ATTR_INT, .i = (v))
#define QCC_ATTR_F(n, v) QCC_ATTR_DEFAULT_(n, QCC_ATTR_FLOAT, .f = (v))
#define QCC_ATTR_S(n, v) QCC_ATTR_DEFAULT_(n, QCC_ATTR_STRING, .s = (v))
#define QCC_ATTR_IS(n, ...)                                                                        \
  QCC_ATTR_DEFAULT_(n, QCC_ATTR_INTS,                                                              \
                    .ints = {(const int64_t[]){__VA_ARGS__},                                       \
                             sizeof((const int64_t[]){__VA_ARGS__}) / sizeof(int64_t)})

/* Shape-rule context: result types are written to `results`; errors go through
 * qcc_infer_error so they carry the op's location. */
typedef struct qcc_infer_ctx {
  qcc_arena *arena;
  qcc_diag *diag;
  const qcc_op *op;
  qcc_type *results;
} qcc_infer_ctx;

typedef struct qcc_eval_ctx qcc_eval_ctx;

/* Shape rule: checks operand types/attributes and writes every result type. */
typedef qcc_status (*qcc_infer_fn)(qcc_infer_ctx *ctx);
/* Reference semantics: reads `in` (NULL entries for omitted optional operands) and sets
 * every `out[i]` to a fresh tensor from qcc_eval_alloc. Runtime shapes may be more specific
 * than the static types (symbolic dims), so evals validate the shapes they are given. */
typedef qcc_status (*qcc_eval_fn)(qcc_eval_ctx *ctx, const qcc_op *op, const qcc_tensor *const *in,
                                  qcc_tensor **out);

struct qcc_op_def {
  qcc_op_kind kind;                    /* the identity passes and lowering dispatch on */
  const char *name;                    /* "Conv", "QLinearAdd"; unique across domains */
  const char *domain;                  /* "", "com.microsoft", or "ai.qcc" for qcc's own */
  const char *family;                  /* the ir/ops/ file defining it: "conv", "qlinear_pool" */
  uint16_t min_operands, max_operands; /* max may be QCC_VARIADIC */
  uint16_t min_results, max_results;
  const qcc_attr_spec *attrs; /* terminated by an entry with name == NULL */
  qcc_infer_fn infer;
  qcc_eval_fn eval;
};

/* The definition of op kind `k` (k < QCC_OP_COUNT). Its `kind` field is k. */
const qcc_op_def *qcc_op_get(qcc_op_kind k);
/* True when `op` (may be NULL, e.g. the producer of a graph input) is of kind `k`. */
static inline bool qcc_op_is(const qcc_op *op, qcc_op_kind k) { return op && op->def->kind == k; }
/* Lookup by ONNX/.qir name, for the front ends only: everything else uses kinds. */
const qcc_op_def *qcc_op_lookup(const char *name);
const qcc_op_def *qcc_op_lookup_n(const char *name, size_t len);

/* The table entry of attribute `name` of `def`, or NULL when the op has no such attribute. */
const qcc_attr_spec *qcc_op_attr_spec(const qcc_op_def *def, const char *name);

/* Reports "OpName: message" at the op's location and returns QCC_ERR_INPUT. */
qcc_status qcc_op_error_v(qcc_diag *diag, const qcc_op *op, const char *fmt, va_list ap);
/* Reports an error at the op under inference and returns QCC_ERR_INPUT. */
qcc_status qcc_infer_error(qcc_infer_ctx *ctx, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* Runs the op's shape rule after checking operand counts and attribute names/kinds.
 * On success result types are in `results` (num_results entries). */
qcc_status qcc_op_infer(const qcc_op *op, qcc_arena *arena, qcc_diag *diag, qcc_type *results);

#endif
