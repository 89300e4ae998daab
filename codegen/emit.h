/* The toolkit kernels are written with (LLVM-C): loops over constant ranges, conditionals,
 * stack variables that LLVM promotes to registers, strided views of tensors in their physical
 * layout, constant globals, and the arithmetic of ir/ops/requant.h as LLVM IR (float32, round
 * half to even, clamping in float; no fast-math flags, so LLVM keeps every rounding step). */
#ifndef QCC_CODEGEN_EMIT_H
#define QCC_CODEGEN_EMIT_H

#include <llvm-c/Core.h>
#include <stdbool.h>
#include <stdint.h>

#include "ir/graph.h"
#include "ir/ops/requant.h"

/* How f32 -> i32 rounding half to even is emitted (the same value every way). */
typedef enum {
  QCC_CG_ROUND_MAGIC,  /* (v + 1.5 * 2^23) - 1.5 * 2^23, truncated: any target */
  QCC_CG_ROUND_NATIVE, /* llvm.roundeven is one instruction (SSE4.1 roundps, AArch64 frintn) */
  QCC_CG_ROUND_AVX512, /* and 16 lanes convert in one vcvtps2dq {rn-sae} */
} qcc_cg_round_kind;

typedef struct qcc_cg {
  LLVMContextRef ctx;
  LLVMModuleRef mod;
  LLVMBuilderRef b;
  LLVMTypeRef i1, i8, i16, i32, i64, f32, ptr, void_t;
  LLVMValueRef fn;         /* the function being built */
  LLVMBasicBlockRef entry; /* its entry block, where variables are allocated */
  const char *prefix;      /* the symbol prefix (--name) */
  uint32_t globals;        /* counter for fresh private global names */
  qcc_cg_round_kind round; /* what the target rounds with */
} qcc_cg;

/* ---- constants and globals ---- */
LLVMValueRef qcc_cg_i1(qcc_cg *cg, bool v);
LLVMValueRef qcc_cg_i32(qcc_cg *cg, int64_t v);
LLVMValueRef qcc_cg_i64(qcc_cg *cg, int64_t v);
LLVMValueRef qcc_cg_f32(qcc_cg *cg, float v);
/* A private constant global holding `n` raw bytes (little-endian data), `align`-byte aligned. */
LLVMValueRef qcc_cg_const_bytes(qcc_cg *cg, const char *what, const void *data, size_t n,
                                unsigned align);
/* A private NUL-terminated string constant. */
LLVMValueRef qcc_cg_const_string(qcc_cg *cg, const char *s);

/* ---- functions and control flow ---- */
/* Starts a function body: entry block, builder positioned there. */
void qcc_cg_begin_function(qcc_cg *cg, LLVMValueRef fn);

typedef struct qcc_cg_loop {
  LLVMBasicBlockRef pre, head, exit;
  LLVMValueRef iv; /* i64 */
  bool
      no_unroll; /* set before qcc_cg_loop_end: LLVM must not unroll it (code size, compile time) */
} qcc_cg_loop;
/* for (iv = lo; iv < hi; ++iv) { ...the code emitted until qcc_cg_loop_end... }; returns iv. */
LLVMValueRef qcc_cg_loop_begin(qcc_cg *cg, qcc_cg_loop *l, LLVMValueRef lo, LLVMValueRef hi);
/* 0 <= iv < n; for n == 1 no loop at all (iv is the constant 0). */
LLVMValueRef qcc_cg_loop_n(qcc_cg *cg, qcc_cg_loop *l, int64_t n);
void qcc_cg_loop_end(qcc_cg *cg, qcc_cg_loop *l);

typedef struct qcc_cg_if {
  LLVMBasicBlockRef other, end;
  bool has_else;
} qcc_cg_if;
/* if (cond) { ... [qcc_cg_if_else: } else { ...] qcc_cg_if_end: } */
void qcc_cg_if_begin(qcc_cg *cg, qcc_cg_if *s, LLVMValueRef cond);
void qcc_cg_if_else(qcc_cg *cg, qcc_cg_if *s);
void qcc_cg_if_end(qcc_cg *cg, qcc_cg_if *s);

/* A stack variable of type `t` (allocated in the entry block, so LLVM's SROA keeps it in a
 * register), set to `init` at the current position when init is not NULL. */
LLVMValueRef qcc_cg_var(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef init);
LLVMValueRef qcc_cg_get(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef var);
void qcc_cg_set(qcc_cg *cg, LLVMValueRef var, LLVMValueRef v);

/* ---- tensors ---- */
/* A tensor in memory seen through its logical dims: element (i0, ..., ir-1) is at
 * base + sum(i_d * strides[d]) elements. Strides come from the value's physical layout. */
typedef struct qcc_cg_tensor {
  LLVMValueRef base;
  qcc_elem elem;
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
  int64_t strides[QCC_MAX_RANK];
} qcc_cg_tensor;

/* Element strides of a static type stored in `layout` (row-major or NHWC). */
void qcc_cg_layout_strides(qcc_type t, qcc_layout layout, int64_t *strides);
/* A view of a value of static type `t` in `layout` at `base`. */
void qcc_cg_tensor_init(qcc_cg_tensor *v, LLVMValueRef base, qcc_type t, qcc_layout layout);
LLVMTypeRef qcc_cg_elem_type(qcc_cg *cg, qcc_elem e);
/* Element offset of logical index idx[0..rank) (entries may be NULL: index 0). */
LLVMValueRef qcc_cg_offset(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx);
LLVMValueRef qcc_cg_elem_ptr(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset);
LLVMValueRef qcc_cg_load_at(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset);
LLVMValueRef qcc_cg_load(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx);
void qcc_cg_store_at(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset, LLVMValueRef v);
void qcc_cg_store(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx, LLVMValueRef v);
/* `lanes` consecutive elements from `offset` as one vector (any alignment); with a mask (a
 * constant <lanes x i1>, NULL: all) only the live lanes are touched, the others read as 0. */
LLVMValueRef qcc_cg_load_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset,
                               unsigned lanes, LLVMValueRef mask);
void qcc_cg_store_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset, LLVMValueRef v,
                        LLVMValueRef mask);
/* The mask of the first `live` of `lanes` lanes. */
LLVMValueRef qcc_cg_lane_mask(qcc_cg *cg, unsigned lanes, unsigned live);
/* An 8-bit or i32 element (or vector) widened to i32 (u8 zero-extended, i8 sign-extended). */
LLVMValueRef qcc_cg_to_i32(qcc_cg *cg, LLVMValueRef v, qcc_elem e);
/* An i32 (or vector) already in range narrowed to the element type `e` (u8, i8 or i32). */
LLVMValueRef qcc_cg_from_i32(qcc_cg *cg, LLVMValueRef v, qcc_elem e);
/* Raw 8-bit element value of a byte offset `byte` into a constant table (an i8 array). */
LLVMValueRef qcc_cg_table_lookup(qcc_cg *cg, LLVMValueRef table, LLVMValueRef byte);
void qcc_cg_memcpy(qcc_cg *cg, LLVMValueRef dst, LLVMValueRef src, uint64_t bytes);

/* Calls body(idx) for every logical index of `dims` (rank entries) in nested loops, the
 * outermost over the dim with the largest stride in `strides` (so the innermost loop walks
 * memory contiguously for the tensor those strides belong to). */
typedef void (*qcc_cg_index_fn)(qcc_cg *cg, LLVMValueRef *idx, void *user);
void qcc_cg_for_each_index(qcc_cg *cg, int32_t rank, const int64_t *dims, const int64_t *strides,
                           qcc_cg_index_fn body, void *user);

/* ---- vectors ---- */
/* The constant c splatted to v's lane count when v is a vector (c itself otherwise). The
 * integer and arithmetic helpers below accept scalars or vectors and splat their constants. */
LLVMValueRef qcc_cg_like(qcc_cg *cg, LLVMValueRef v, LLVMValueRef c);
LLVMTypeRef qcc_cg_vec(LLVMTypeRef elem, unsigned lanes);
/* Scalar c (any value) in every one of `lanes` lanes. */
LLVMValueRef qcc_cg_splat(qcc_cg *cg, LLVMValueRef c, unsigned lanes);

/* ---- integer helpers ---- */
LLVMValueRef qcc_cg_smin(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b);
LLVMValueRef qcc_cg_smax(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b);
/* In [lo, hi) for i64 values. */
LLVMValueRef qcc_cg_in_range(qcc_cg *cg, LLVMValueRef v, int64_t lo, int64_t hi);

/* ---- the arithmetic of ir/ops/requant.h ---- */
LLVMValueRef qcc_cg_fma(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c);
/* Round half to even of an f32 known to lie in [-2^22, 2^22] (the result is an f32). */
LLVMValueRef qcc_cg_round_small(qcc_cg *cg, LLVMValueRef v);
/* Round half to even of an f32 (scalar or vector) known to lie in [-2^22, 2^22], converted to
 * i32: the target's cheapest exact sequence (cg->round). */
LLVMValueRef qcc_cg_round_small_to_i32(qcc_cg *cg, LLVMValueRef v);
/* Round half to even of any f32 (values of magnitude >= 2^23 are integers already). */
LLVMValueRef qcc_cg_round(qcc_cg *cg, LLVMValueRef v);
/* qcc_clamp_round_add_zp with the zero point and the float bounds [r.lo - zp, r.hi - zp] given
 * as values (per-channel parameters). */
LLVMValueRef qcc_cg_clamp_round_add_zp_v(qcc_cg *cg, LLVMValueRef v, LLVMValueRef zp,
                                         LLVMValueRef lo, LLVMValueRef hi);
LLVMValueRef qcc_cg_clamp_round_add_zp(qcc_cg *cg, LLVMValueRef v, int32_t zp, qcc_qrange r);
/* qcc_requantize: float(acc) * mult, clamped, rounded, plus zp (i32 result). */
LLVMValueRef qcc_cg_requantize(qcc_cg *cg, LLVMValueRef acc, LLVMValueRef mult, int32_t zp,
                               qcc_qrange r);
/* qcc_cvt_f32_i32: round half to even, INT32_MIN for NaN and out-of-range values. */
LLVMValueRef qcc_cg_cvt_f32_i32(qcc_cg *cg, LLVMValueRef v);
/* qcc_saturate_q(qcc_cvt_f32_i32(v)) in fewer steps, the same values (r within int32). */
LLVMValueRef qcc_cg_cvt_saturate(qcc_cg *cg, LLVMValueRef v, qcc_qrange r);
/* qcc_saturate_q of an i32. */
LLVMValueRef qcc_cg_saturate(qcc_cg *cg, LLVMValueRef v, qcc_qrange r);

/* ---- lanes along a contiguous dim ---- */
typedef void (*qcc_cg_lanes_fn)(qcc_cg *cg, LLVMValueRef *idx, unsigned lanes, void *user);
/* Calls body for every index of y: `width` consecutive elements along `inner` (stride 1 in y) at
 * a time, then the remainder one at a time (lanes 1). */
void qcc_cg_for_each_lanes(qcc_cg *cg, const qcc_cg_tensor *y, int32_t inner, unsigned width,
                           qcc_cg_lanes_fn body, void *user);

#endif
