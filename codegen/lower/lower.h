/* The lowering of one op of the final graph into one kernel function (codegen/module.c builds
 * the function and calls it from the run function; the lowering emits its body).
 *
 * Each op kind has an entry in the table of codegen/lower/table.c: a lowering, defined in
 * codegen/lower/<family>.c beside ir/ops/<family>.c and computing exactly what that file's
 * eval computes, or an "interpreter only" reason. A kernel reads its operands and writes its
 * results through strided views in their physical layouts; scales, zero points, weights and
 * biases that are constants of the graph are read at compile time and baked into the kernel,
 * run-time ones are read from their buffers by the kernel (qlinear_runtime.c, quantize.c). */
#ifndef QCC_CODEGEN_LOWER_LOWER_H
#define QCC_CODEGEN_LOWER_LOWER_H

#include "codegen/emit.h"
#include "codegen/isa.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "ir/op_kinds.h"

typedef struct qcc_module qcc_module;

typedef struct qcc_lower_ctx {
  qcc_cg *cg;
  qcc_diag *diag;
  const qcc_op *op;
  qcc_module *m;
  LLVMValueRef *operand_ptr; /* per operand: the kernel's pointer; constants: see below */
  LLVMValueRef *result_ptr;  /* per result */
  bool no_kernel;            /* set by a lowering with nothing to do (an aliased view) */
  const qcc_isa *isa;        /* what the target's instructions offer */
  LLVMValueRef task;         /* i64: which of the kernel's tasks this call computes */
  uint32_t num_tasks;        /* set by the lowering: independent tasks (default 1) */
  char ukernel[96];          /* set by the lowering: its micro-kernel's name, for profiles */
  unsigned vec_bits;         /* set by the lowering: widest vectors it uses */
} qcc_lower_ctx;

typedef qcc_status (*qcc_lower_fn)(qcc_lower_ctx *L);

/* One op kind's code generation: a lowering, or why it has none. Exactly one is set. */
typedef struct qcc_lowering {
  qcc_lower_fn lower;
  const char *interpreter_only; /* the reason, e.g. "float op: -O2 folds it into integer ops" */
} qcc_lowering;

/* The entry of kind k (k < QCC_OP_COUNT). */
const qcc_lowering *qcc_lowering_get(qcc_op_kind k);

/* ---- for the lowerings (codegen/lower/util.c, codegen/module.c) ---- */

/* Names the kernel's micro-kernel (profiles show "OpName value [name]"), the widest vectors it
 * uses (so LLVM keeps them whole) and how many independent tasks it has: the module then calls
 * it once per task, on the run's thread pool (runtime/qcc_runtime.h qcc_rt_parallel_for),
 * with L->task telling the body which one. */
void qcc_lower_set_kernel_info(qcc_lower_ctx *L, const char *ukernel, unsigned vec_bits,
                               uint32_t tasks);
/* Adds the line "OpName name: <text>" to the module's `--stats` report (its "qcc.stats"
 * metadata, printed by codegen.c): which micro-kernel a layer took, and why. */
void qcc_lower_report(qcc_lower_ctx *L, const char *text);
/* Reports "OpName: cannot compile: <message>" at the op and returns QCC_ERR_INPUT. */
qcc_status qcc_lower_error(qcc_lower_ctx *L, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
/* The pointer to operand i's data in the kernel: a parameter, or for a constant its global
 * (created on first use, so constants read only at compile time cost no bytes). */
LLVMValueRef qcc_lower_operand_ptr(qcc_lower_ctx *L, uint32_t i);
/* A view of operand i (false when the operand is absent) or result r in its layout. */
bool qcc_lower_operand(qcc_lower_ctx *L, uint32_t i, qcc_cg_tensor *t);
void qcc_lower_result(qcc_lower_ctx *L, uint32_t r, qcc_cg_tensor *t);
/* True when values a and b are stored at the same address (an alias or an in-place result). */
bool qcc_lower_same_buffer(const qcc_lower_ctx *L, const qcc_value *a, const qcc_value *b);

/* Constant operand i as `n` floats: a scalar (one element) repeated, or exactly n elements. */
qcc_status qcc_lower_const_floats(qcc_lower_ctx *L, uint32_t i, int64_t n, float *out,
                                  const char *what);
/* Constant integer operand i as `n` int32s (a scalar repeated, or n elements); an absent operand
 * reads as zeros. */
qcc_status qcc_lower_const_ints(qcc_lower_ctx *L, uint32_t i, int64_t n, int32_t *out,
                                const char *what);
/* A constant array of n floats / int32s as a private global. */
LLVMValueRef qcc_lower_float_table(qcc_lower_ctx *L, const float *v, int64_t n);
LLVMValueRef qcc_lower_int_table(qcc_lower_ctx *L, const int32_t *v, int64_t n);
/* Element i of such a table (i an i64 value). */
LLVMValueRef qcc_lower_table_f32(qcc_lower_ctx *L, LLVMValueRef table, LLVMValueRef i);
LLVMValueRef qcc_lower_table_i32(qcc_lower_ctx *L, LLVMValueRef table, LLVMValueRef i);
/* True when every element of `out` lies at the same offset in `in` (equal strides wherever the
 * dim is larger than 1; `in` right-aligned against `out`): an in-place write is safe. */
bool qcc_lower_same_offsets(const qcc_cg_tensor *out, const qcc_cg_tensor *in);
/* Fails when `result` shares `operand`'s buffer but puts elements at other offsets. */
qcc_status qcc_lower_check_in_place(qcc_lower_ctx *L, const qcc_cg_tensor *result,
                                    const qcc_value *rv, const qcc_cg_tensor *operand,
                                    const qcc_value *ov);

/* The 256-entry byte map of an elementwise op on u8/i8 codes (QLinearSigmoid, QLinearLookup, ...),
 * computed by the interpreter's eval of the op on every code: exact by construction. Every
 * operand but the input must be a constant. */
qcc_status qcc_lower_eval_byte_map(qcc_lower_ctx *L, uint8_t table[256]);
/* The kernel y[i] = table[x[i]] (operand 0 to result 0, in place when the plan says so). */
qcc_status qcc_lower_byte_map_kernel(qcc_lower_ctx *L, const uint8_t table[256]);

/* ---- run-time shape checks (codegen/lower/run_check.c) ---- */
/* An op whose result shape follows from a run-time operand (Slice starts, Resize scales, Reduce
 * axes) is compiled for its declared shape; between begin and end L->cg emits into the run
 * function just before the kernel's call (qcc_lower_run_operand gives the operands' views
 * there, no loops or variables), and end makes the run return QCC_RT_ERR_SHAPE when some
 * condition given to fail_if holds, so the kernel never runs on another shape. */
typedef struct qcc_lower_run_check {
  LLVMBuilderRef b; /* the kernel's, restored by end */
  LLVMValueRef fn, bad;
  LLVMBasicBlockRef entry;
} qcc_lower_run_check;
void qcc_lower_run_check_begin(qcc_lower_ctx *L, qcc_lower_run_check *c);
bool qcc_lower_run_operand(qcc_lower_ctx *L, uint32_t i, qcc_cg_tensor *t);
void qcc_lower_run_check_fail_if(qcc_lower_ctx *L, qcc_lower_run_check *c, LLVMValueRef bad);
void qcc_lower_run_check_end(qcc_lower_ctx *L, qcc_lower_run_check *c);
/* Entry i of a 1-D i32 or i64 tensor as an i64. */
LLVMValueRef qcc_lower_rt_int(qcc_cg *cg, const qcc_cg_tensor *t, int64_t i);

/* ---- the lowerings, by family (codegen/lower/<family>.c) ---- */
qcc_status qcc_lower_quantize_linear(qcc_lower_ctx *L);
qcc_status qcc_lower_dequantize_linear(qcc_lower_ctx *L);
qcc_status qcc_lower_dynamic_quantize_linear(qcc_lower_ctx *L);
qcc_status qcc_lower_dynamic_quantize_conv(qcc_lower_ctx *L);
/* DynamicQuantizeLinear's parameters of the f32 tensor x, computed in the kernel at the current
 * position (a pass over x): the scale (f32) and the u8 zero point (i32). */
void qcc_lower_dynamic_qparams(qcc_lower_ctx *L, const qcc_cg_tensor *x, LLVMValueRef *scale,
                               LLVMValueRef *zp);
qcc_status qcc_lower_qlinear_conv(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_conv_fused(qcc_lower_ctx *L);
qcc_status qcc_lower_qgemm(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_matmul(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_add(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_mul(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_table(qcc_lower_ctx *L); /* QLinearSigmoid, QLinearLeakyRelu */
qcc_status qcc_lower_qlinear_lookup(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_global_average_pool(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_average_pool(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_concat(qcc_lower_ctx *L);
qcc_status qcc_lower_max_pool(qcc_lower_ctx *L);
qcc_status qcc_lower_clip(qcc_lower_ctx *L);
qcc_status qcc_lower_view(qcc_lower_ctx *L); /* Flatten, Reshape, Squeeze, Unsqueeze, Identity */
qcc_status qcc_lower_relayout(qcc_lower_ctx *L);
qcc_status qcc_lower_transpose(qcc_lower_ctx *L);
qcc_status qcc_lower_pad(qcc_lower_ctx *L);

/* ---- float elementwise and data movement (binary.c, math.c, activation.c, broadcast.c,
 * concat_split.c, indexing.c, shape.c) ---- */
/* A view of t broadcast (numpy rules, t right-aligned) to `dims`: zero strides where t has no
 * dim or a dim of 1. */
void qcc_lower_broadcast_view(const qcc_cg_tensor *t, int32_t rank, const int64_t *dims,
                              qcc_cg_tensor *view);
/* A call of the C library's function `name` of n (1 or 2) arguments of type t returning t,
 * marked nobuiltin so LLVM neither folds nor replaces it. */
LLVMValueRef qcc_lower_libm_call(qcc_cg *cg, const char *name, LLVMTypeRef t, LLVMValueRef *args,
                                 unsigned n);
qcc_status qcc_lower_binary(qcc_lower_ctx *L); /* Add, Sub, Mul, Div */
qcc_status qcc_lower_sqrt_reciprocal(qcc_lower_ctx *L);
qcc_status qcc_lower_pow(qcc_lower_ctx *L);
qcc_status qcc_lower_float_activation(qcc_lower_ctx *L); /* Relu, LeakyRelu, ... Tanh, Exp */
qcc_status qcc_lower_expand_where(qcc_lower_ctx *L);
qcc_status qcc_lower_concat(qcc_lower_ctx *L);
qcc_status qcc_lower_split(qcc_lower_ctx *L);
qcc_status qcc_lower_slice(qcc_lower_ctx *L);
qcc_status qcc_lower_gather(qcc_lower_ctx *L);
qcc_status qcc_lower_cast(qcc_lower_ctx *L);
qcc_status qcc_lower_constant_of_shape(qcc_lower_ctx *L);

/* float windowed, matrix and reduction ops (resize.c, layer_norm.c, ...) */
qcc_status qcc_lower_resize(qcc_lower_ctx *L);
/* Resize with run-time roi, scales or sizes (resize_runtime.c), and what it shares with
 * resize.c: an element of x (f32, u8, i8) as a double; the accumulator as the result type. */
qcc_status qcc_lower_resize_runtime(qcc_lower_ctx *L);
/* When the op's run-time sizes (operand 3) alone give its shape (keep_aspect_ratio_policy
 * stretch, no axes, one entry per dim): emits the run function's check that they equal the
 * result's dims and returns true, the plan then being the declared dims'. Else false. */
bool qcc_lower_resize_check_sizes(qcc_lower_ctx *L);
LLVMValueRef qcc_lower_resize_x_double(qcc_cg *cg, qcc_elem e, LLVMValueRef v);
LLVMValueRef qcc_lower_resize_result(qcc_cg *cg, qcc_elem e, LLVMValueRef acc);
qcc_status qcc_lower_layer_norm(qcc_lower_ctx *L);
qcc_status qcc_lower_average_pool(qcc_lower_ctx *L); /* f32 (pool.c) */
qcc_status qcc_lower_global_pool(qcc_lower_ctx *L);  /* GlobalAveragePool, GlobalMaxPool */
qcc_status qcc_lower_gemm(qcc_lower_ctx *L);
qcc_status qcc_lower_matmul(qcc_lower_ctx *L);
qcc_status qcc_lower_reduce(qcc_lower_ctx *L); /* ReduceSum, ReduceMean, ReduceMax */
qcc_status qcc_lower_conv_transpose(qcc_lower_ctx *L);
qcc_status qcc_lower_softmax(qcc_lower_ctx *L); /* softmax.c (activation family) */
qcc_status qcc_lower_conv(qcc_lower_ctx *L);    /* f32 Conv and FusedConv (conv.c) */
/* The vector kernel of conv_float.c for the Conv or FusedConv L->op; *done false (and nothing
 * emitted) when the op is not one it handles (run-time weights, 3-D, another layout). */
qcc_status qcc_lower_conv_float(qcc_lower_ctx *L, bool *done);
qcc_status qcc_lower_batch_norm(qcc_lower_ctx *L);

/* Run-time weights, scales and zero points (codegen/lower/qlinear_runtime.c): the parameters
 * read from their buffers in the kernel. The QLinear lowerings call the _runtime ones when
 * qcc_lower_qlinear_*_is_runtime says an operand other than the input is not a constant. */
qcc_status qcc_lower_matmul_integer(qcc_lower_ctx *L);
qcc_status qcc_lower_conv_integer(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_matmul_runtime(qcc_lower_ctx *L);
qcc_status qcc_lower_qlinear_conv_runtime(qcc_lower_ctx *L);
qcc_status qcc_lower_dynamic_quantize_matmul(qcc_lower_ctx *L);
bool qcc_lower_qlinear_matmul_is_runtime(const qcc_op *op);
bool qcc_lower_qlinear_conv_is_runtime(const qcc_op *op);

#endif
