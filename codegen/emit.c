#include "codegen/emit.h"

#include <llvm-c/DebugInfo.h>

#include <stdio.h>
#include <string.h>

/* ---- constants and globals ---- */

LLVMValueRef qcc_cg_i1(qcc_cg *cg, bool v) { return LLVMConstInt(cg->i1, v, false); }
LLVMValueRef qcc_cg_i32(qcc_cg *cg, int64_t v) {
  return LLVMConstInt(cg->i32, (unsigned long long)v, true);
}
LLVMValueRef qcc_cg_i64(qcc_cg *cg, int64_t v) {
  return LLVMConstInt(cg->i64, (unsigned long long)v, true);
}
/* Every float is exactly a double, so the constant has the float's bits. */
LLVMValueRef qcc_cg_f32(qcc_cg *cg, float v) { return LLVMConstReal(cg->f32, (double)v); }

LLVMValueRef qcc_cg_const_bytes(qcc_cg *cg, const char *what, const void *data, size_t n,
                                unsigned align) {
  char name[256];
  snprintf(name, sizeof name, "%s.%s.%u", cg->prefix, what, cg->globals++);
  LLVMValueRef init = LLVMConstStringInContext2(cg->ctx, n ? data : "", n, true);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, true);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, align);
  return g;
}

LLVMValueRef qcc_cg_const_string(qcc_cg *cg, const char *s) {
  char name[64];
  snprintf(name, sizeof name, "%s.str.%u", cg->prefix, cg->globals++);
  LLVMValueRef init = LLVMConstStringInContext2(cg->ctx, s, strlen(s), false);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, true);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  LLVMSetUnnamedAddress(g, LLVMGlobalUnnamedAddr);
  LLVMSetAlignment(g, 1);
  return g;
}

/* ---- functions and control flow ---- */

void qcc_cg_begin_function(qcc_cg *cg, LLVMValueRef fn) {
  cg->fn = fn;
  cg->entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
  LLVMPositionBuilderAtEnd(cg->b, cg->entry);
}

static LLVMBasicBlockRef new_block(qcc_cg *cg, const char *name) {
  return LLVMAppendBasicBlockInContext(cg->ctx, cg->fn, name);
}

LLVMValueRef qcc_cg_loop_begin(qcc_cg *cg, qcc_cg_loop *l, LLVMValueRef lo, LLVMValueRef hi) {
  l->no_unroll = false;
  l->pre = LLVMGetInsertBlock(cg->b);
  l->head = new_block(cg, "loop");
  LLVMBasicBlockRef body = new_block(cg, "body");
  l->exit = new_block(cg, "done");
  LLVMBuildBr(cg->b, l->head);
  LLVMPositionBuilderAtEnd(cg->b, l->head);
  l->iv = LLVMBuildPhi(cg->b, cg->i64, "i");
  LLVMAddIncoming(l->iv, &lo, &l->pre, 1);
  LLVMValueRef more = LLVMBuildICmp(cg->b, LLVMIntSLT, l->iv, hi, "");
  LLVMBuildCondBr(cg->b, more, body, l->exit);
  LLVMPositionBuilderAtEnd(cg->b, body);
  return l->iv;
}

LLVMValueRef qcc_cg_loop_n(qcc_cg *cg, qcc_cg_loop *l, int64_t n) {
  if (n == 1) { /* one iteration: straight-line code with iv = 0 */
    *l = (qcc_cg_loop){.iv = qcc_cg_i64(cg, 0)};
    return l->iv;
  }
  return qcc_cg_loop_begin(cg, l, qcc_cg_i64(cg, 0), qcc_cg_i64(cg, n));
}

void qcc_cg_loop_end(qcc_cg *cg, qcc_cg_loop *l) {
  if (!l->head)
    return;
  LLVMBasicBlockRef latch = LLVMGetInsertBlock(cg->b);
  LLVMValueRef next = LLVMBuildNSWAdd(cg->b, l->iv, qcc_cg_i64(cg, 1), "");
  LLVMValueRef br = LLVMBuildBr(cg->b, l->head);
  if (l->no_unroll) {
    /* !llvm.loop !{self, !{"llvm.loop.unroll.disable"}}: a distinct, self-referencing loop ID */
    LLVMMetadataRef tmp = LLVMTemporaryMDNode(cg->ctx, NULL, 0);
    LLVMMetadataRef name = LLVMMDStringInContext2(cg->ctx, "llvm.loop.unroll.disable", 24);
    LLVMMetadataRef ops[2] = {tmp, LLVMMDNodeInContext2(cg->ctx, &name, 1)};
    LLVMMetadataRef id = LLVMMDNodeInContext2(cg->ctx, ops, 2);
    LLVMMetadataReplaceAllUsesWith(tmp, id);
    LLVMSetMetadata(br, LLVMGetMDKindIDInContext(cg->ctx, "llvm.loop", 9),
                    LLVMMetadataAsValue(cg->ctx, id));
  }
  LLVMAddIncoming(l->iv, &next, &latch, 1);
  LLVMMoveBasicBlockAfter(l->exit, latch);
  LLVMPositionBuilderAtEnd(cg->b, l->exit);
}

void qcc_cg_if_begin(qcc_cg *cg, qcc_cg_if *s, LLVMValueRef cond) {
  LLVMBasicBlockRef then = new_block(cg, "then");
  s->other = new_block(cg, "else");
  s->end = NULL;
  s->has_else = false;
  LLVMBuildCondBr(cg->b, cond, then, s->other);
  LLVMPositionBuilderAtEnd(cg->b, then);
}

void qcc_cg_if_else(qcc_cg *cg, qcc_cg_if *s) {
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
  s->end = new_block(cg, "endif");
  s->has_else = true;
  LLVMBuildBr(cg->b, s->end);
  LLVMMoveBasicBlockAfter(s->other, cur);
  LLVMPositionBuilderAtEnd(cg->b, s->other);
}

void qcc_cg_if_end(qcc_cg *cg, qcc_cg_if *s) {
  LLVMBasicBlockRef cur = LLVMGetInsertBlock(cg->b);
  LLVMBasicBlockRef end = s->has_else ? s->end : s->other;
  LLVMBuildBr(cg->b, end);
  LLVMMoveBasicBlockAfter(end, cur);
  LLVMPositionBuilderAtEnd(cg->b, end);
}

LLVMValueRef qcc_cg_var(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef init) {
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(cg->ctx);
  LLVMValueRef first = LLVMGetFirstInstruction(cg->entry);
  if (first)
    LLVMPositionBuilderBefore(eb, first);
  else
    LLVMPositionBuilderAtEnd(eb, cg->entry);
  LLVMValueRef var = LLVMBuildAlloca(eb, t, "v");
  LLVMDisposeBuilder(eb);
  if (init)
    LLVMBuildStore(cg->b, init, var);
  return var;
}

LLVMValueRef qcc_cg_get(qcc_cg *cg, LLVMTypeRef t, LLVMValueRef var) {
  return LLVMBuildLoad2(cg->b, t, var, "");
}

void qcc_cg_set(qcc_cg *cg, LLVMValueRef var, LLVMValueRef v) { LLVMBuildStore(cg->b, v, var); }

/* ---- tensors ---- */

void qcc_cg_layout_strides(qcc_type t, qcc_layout layout, int64_t *strides) {
  int64_t s = 1;
  for (int32_t d = t.rank - 1; d >= 0; --d) {
    strides[d] = s;
    s *= t.dims[d].size;
  }
  if (layout == QCC_LAYOUT_NHWC && t.rank == 4) {
    int64_t c = t.dims[1].size, h = t.dims[2].size, w = t.dims[3].size;
    strides[1] = 1;
    strides[3] = c;
    strides[2] = w * c;
    strides[0] = h * w * c;
  }
}

void qcc_cg_tensor_init(qcc_cg_tensor *v, LLVMValueRef base, qcc_type t, qcc_layout layout) {
  memset(v, 0, sizeof *v);
  v->base = base;
  v->elem = t.elem;
  v->rank = t.rank;
  for (int32_t d = 0; d < t.rank; ++d)
    v->dims[d] = t.dims[d].size;
  qcc_cg_layout_strides(t, layout, v->strides);
}

LLVMTypeRef qcc_cg_elem_type(qcc_cg *cg, qcc_elem e) {
  switch (e) {
  case QCC_F32: return cg->f32;
  case QCC_I8:
  case QCC_U8:
  case QCC_BOOL: return cg->i8;
  case QCC_F16: return cg->i16;
  case QCC_I32: return cg->i32;
  default: return cg->i64;
  }
}

LLVMValueRef qcc_cg_offset(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx) {
  LLVMValueRef off = NULL;
  for (int32_t d = 0; d < t->rank; ++d) {
    if (!idx[d] || t->dims[d] == 1 || t->strides[d] == 0)
      continue;
    LLVMValueRef term = t->strides[d] == 1
                            ? idx[d]
                            : LLVMBuildNSWMul(cg->b, idx[d], qcc_cg_i64(cg, t->strides[d]), "");
    off = off ? LLVMBuildNSWAdd(cg->b, off, term, "") : term;
  }
  return off ? off : qcc_cg_i64(cg, 0);
}

LLVMValueRef qcc_cg_elem_ptr(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset) {
  return LLVMBuildInBoundsGEP2(cg->b, qcc_cg_elem_type(cg, t->elem), t->base, &offset, 1, "");
}

LLVMValueRef qcc_cg_load_at(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset) {
  return LLVMBuildLoad2(cg->b, qcc_cg_elem_type(cg, t->elem), qcc_cg_elem_ptr(cg, t, offset), "");
}

LLVMValueRef qcc_cg_load(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx) {
  return qcc_cg_load_at(cg, t, qcc_cg_offset(cg, t, idx));
}

void qcc_cg_store_at(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset, LLVMValueRef v) {
  LLVMBuildStore(cg->b, v, qcc_cg_elem_ptr(cg, t, offset));
}

void qcc_cg_store(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef const *idx, LLVMValueRef v) {
  qcc_cg_store_at(cg, t, qcc_cg_offset(cg, t, idx), v);
}

/* The type t with v's lane count (t itself for scalars). */
static LLVMTypeRef shaped_like(LLVMValueRef v, LLVMTypeRef t) {
  LLVMTypeRef vt = LLVMTypeOf(v);
  return LLVMGetTypeKind(vt) == LLVMVectorTypeKind ? LLVMVectorType(t, LLVMGetVectorSize(vt)) : t;
}

LLVMValueRef qcc_cg_to_i32(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  if (e == QCC_U8)
    return LLVMBuildZExt(cg->b, v, shaped_like(v, cg->i32), "");
  if (e == QCC_I8)
    return LLVMBuildSExt(cg->b, v, shaped_like(v, cg->i32), "");
  return v;
}

LLVMValueRef qcc_cg_from_i32(qcc_cg *cg, LLVMValueRef v, qcc_elem e) {
  return e == QCC_I32 ? v : LLVMBuildTrunc(cg->b, v, shaped_like(v, qcc_cg_elem_type(cg, e)), "");
}

static LLVMValueRef masked_intrinsic(qcc_cg *cg, const char *name, LLVMTypeRef vt,
                                     LLVMValueRef *args, unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef types[2] = {vt, cg->ptr};
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, types, 2);
  LLVMTypeRef ft = LLVMIntrinsicGetType(cg->ctx, id, types, 2);
  return LLVMBuildCall2(cg->b, ft, fn, args, n, "");
}

LLVMValueRef qcc_cg_load_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset,
                               unsigned lanes, LLVMValueRef mask) {
  LLVMTypeRef vt = LLVMVectorType(qcc_cg_elem_type(cg, t->elem), lanes);
  LLVMValueRef p = qcc_cg_elem_ptr(cg, t, offset);
  if (!mask) {
    LLVMValueRef v = LLVMBuildLoad2(cg->b, vt, p, "");
    LLVMSetAlignment(v, 1);
    return v;
  }
  LLVMValueRef args[4] = {p, qcc_cg_i32(cg, 1), mask, LLVMConstNull(vt)};
  return masked_intrinsic(cg, "llvm.masked.load", vt, args, 4);
}

void qcc_cg_store_lanes(qcc_cg *cg, const qcc_cg_tensor *t, LLVMValueRef offset, LLVMValueRef v,
                        LLVMValueRef mask) {
  LLVMValueRef p = qcc_cg_elem_ptr(cg, t, offset);
  if (!mask) {
    LLVMSetAlignment(LLVMBuildStore(cg->b, v, p), 1);
    return;
  }
  LLVMValueRef args[4] = {v, p, qcc_cg_i32(cg, 1), mask};
  masked_intrinsic(cg, "llvm.masked.store", LLVMTypeOf(v), args, 4);
}

LLVMValueRef qcc_cg_lane_mask(qcc_cg *cg, unsigned lanes, unsigned live) {
  LLVMValueRef bits[64];
  for (unsigned i = 0; i < lanes && i < 64; ++i)
    bits[i] = qcc_cg_i1(cg, i < live);
  return LLVMConstVector(bits, lanes);
}

LLVMValueRef qcc_cg_table_lookup(qcc_cg *cg, LLVMValueRef table, LLVMValueRef byte) {
  LLVMValueRef i = LLVMBuildZExt(cg->b, byte, cg->i64, "");
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, cg->i8, table, &i, 1, "");
  return LLVMBuildLoad2(cg->b, cg->i8, p, "");
}

void qcc_cg_memcpy(qcc_cg *cg, LLVMValueRef dst, LLVMValueRef src, uint64_t bytes) {
  if (bytes)
    LLVMBuildMemCpy(cg->b, dst, 1, src, 1, qcc_cg_i64(cg, (int64_t)bytes));
}

typedef struct nest {
  int32_t rank, depth, order[QCC_MAX_RANK];
  const int64_t *dims;
  LLVMValueRef idx[QCC_MAX_RANK];
  qcc_cg_index_fn body;
  void *user;
} nest;

static void emit_nest(qcc_cg *cg, nest *n, int32_t k) {
  if (k == n->depth) {
    n->body(cg, n->idx, n->user);
    return;
  }
  qcc_cg_loop l;
  n->idx[n->order[k]] = qcc_cg_loop_n(cg, &l, n->dims[n->order[k]]);
  emit_nest(cg, n, k + 1);
  qcc_cg_loop_end(cg, &l);
}

void qcc_cg_for_each_index(qcc_cg *cg, int32_t rank, const int64_t *dims, const int64_t *strides,
                           qcc_cg_index_fn body, void *user) {
  nest n = {.rank = rank, .dims = dims, .body = body, .user = user};
  for (int32_t d = 0; d < rank; ++d) {
    if (dims[d] == 0)
      return; /* no elements */
    n.idx[d] = qcc_cg_i64(cg, 0);
    if (dims[d] == 1)
      continue;
    /* Insertion by decreasing stride; equal strides keep logical order. */
    int32_t at = n.depth++;
    while (at > 0 && strides[n.order[at - 1]] < strides[d]) {
      n.order[at] = n.order[at - 1];
      --at;
    }
    n.order[at] = d;
  }
  emit_nest(cg, &n, 0);
}

/* ---- integer helpers ---- */

LLVMValueRef qcc_cg_splat(qcc_cg *cg, LLVMValueRef c, unsigned lanes) {
  LLVMTypeRef vt = LLVMVectorType(LLVMTypeOf(c), lanes);
  LLVMValueRef v = LLVMBuildInsertElement(cg->b, LLVMGetUndef(vt), c, qcc_cg_i32(cg, 0), "");
  LLVMValueRef zeros = LLVMConstNull(LLVMVectorType(cg->i32, lanes));
  return LLVMBuildShuffleVector(cg->b, v, LLVMGetUndef(vt), zeros, "");
}

LLVMValueRef qcc_cg_like(qcc_cg *cg, LLVMValueRef v, LLVMValueRef c) {
  LLVMTypeRef t = LLVMTypeOf(v);
  if (LLVMGetTypeKind(t) != LLVMVectorTypeKind ||
      LLVMGetTypeKind(LLVMTypeOf(c)) == LLVMVectorTypeKind)
    return c;
  unsigned n = LLVMGetVectorSize(t);
  if (!LLVMIsConstant(c)) /* a run-time scalar: insert and broadcast */
    return qcc_cg_splat(cg, c, n);
  LLVMValueRef lanes[64];
  for (unsigned i = 0; i < n && i < 64; ++i)
    lanes[i] = c;
  return LLVMConstVector(lanes, n);
}

LLVMTypeRef qcc_cg_vec(LLVMTypeRef elem, unsigned lanes) { return LLVMVectorType(elem, lanes); }

LLVMValueRef qcc_cg_smin(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b) {
  b = qcc_cg_like(cg, a, b);
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSLT, a, b, ""), a, b, "");
}

LLVMValueRef qcc_cg_smax(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b) {
  b = qcc_cg_like(cg, a, b);
  return LLVMBuildSelect(cg->b, LLVMBuildICmp(cg->b, LLVMIntSGT, a, b, ""), a, b, "");
}

LLVMValueRef qcc_cg_in_range(qcc_cg *cg, LLVMValueRef v, int64_t lo, int64_t hi) {
  /* lo <= v < hi as one unsigned compare of v - lo. */
  LLVMValueRef d = LLVMBuildSub(cg->b, v, qcc_cg_i64(cg, lo), "");
  return LLVMBuildICmp(cg->b, LLVMIntULT, d, qcc_cg_i64(cg, hi - lo), "");
}

/* ---- arithmetic (on scalars or vectors alike: constants are splatted to the operand's shape,
 * and every lane computes exactly what the scalar code computes) ---- */

static LLVMValueRef call_f32_intrinsic(qcc_cg *cg, const char *name, LLVMValueRef *args,
                                       unsigned n) {
  unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
  LLVMTypeRef t = LLVMTypeOf(args[0]);
  LLVMValueRef fn = LLVMGetIntrinsicDeclaration(cg->mod, id, &t, 1);
  LLVMTypeRef ft = LLVMIntrinsicGetType(cg->ctx, id, &t, 1);
  return LLVMBuildCall2(cg->b, ft, fn, args, n, "");
}

LLVMValueRef qcc_cg_fma(qcc_cg *cg, LLVMValueRef a, LLVMValueRef b, LLVMValueRef c) {
  LLVMValueRef args[3] = {a, qcc_cg_like(cg, a, b), qcc_cg_like(cg, a, c)};
  return call_f32_intrinsic(cg, "llvm.fma", args, 3);
}

/* 1.5 * 2^23: v + M lies in [2^23, 2^24) for |v| <= 2^22, where the spacing of floats is 1, so the
 * addition rounds v half to even (the default rounding mode) and the subtraction is exact. */
LLVMValueRef qcc_cg_round_small(qcc_cg *cg, LLVMValueRef v) {
  LLVMValueRef m = qcc_cg_like(cg, v, qcc_cg_f32(cg, 12582912.0f));
  return LLVMBuildFSub(cg->b, LLVMBuildFAdd(cg->b, v, m, ""), m, "");
}

LLVMValueRef qcc_cg_round_small_to_i32(qcc_cg *cg, LLVMValueRef v) {
  LLVMTypeRef t = LLVMTypeOf(v);
  bool vec = LLVMGetTypeKind(t) == LLVMVectorTypeKind;
  if (cg->round == QCC_CG_ROUND_AVX512 && vec && LLVMGetVectorSize(t) == 16) {
    /* mask all-ones, rounding 8 = _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC */
    const char *name = "llvm.x86.avx512.mask.cvtps2dq.512";
    unsigned id = LLVMLookupIntrinsicID(name, strlen(name));
    LLVMTypeRef v16 = LLVMVectorType(cg->i32, 16);
    LLVMValueRef args[4] = {v, LLVMGetUndef(v16), LLVMConstInt(cg->i16, 0xffff, 0),
                            qcc_cg_i32(cg, 8)};
    return LLVMBuildCall2(cg->b, LLVMIntrinsicGetType(cg->ctx, id, NULL, 0),
                          LLVMGetIntrinsicDeclaration(cg->mod, id, NULL, 0), args, 4, "");
  }
  LLVMValueRef r = cg->round == QCC_CG_ROUND_MAGIC
                       ? qcc_cg_round_small(cg, v)
                       : call_f32_intrinsic(cg, "llvm.roundeven", &v, 1);
  return LLVMBuildFPToSI(cg->b, r, shaped_like(v, cg->i32), "");
}

LLVMValueRef qcc_cg_round(qcc_cg *cg, LLVMValueRef v) {
  LLVMValueRef a = call_f32_intrinsic(cg, "llvm.fabs", &v, 1);
  LLVMValueRef two23 = qcc_cg_like(cg, v, qcc_cg_f32(cg, 8388608.0f));
  LLVMValueRef r = LLVMBuildFSub(cg->b, LLVMBuildFAdd(cg->b, a, two23, ""), two23, "");
  LLVMValueRef sign_args[2] = {r, v};
  r = call_f32_intrinsic(cg, "llvm.copysign", sign_args, 2);
  LLVMValueRef small = LLVMBuildFCmp(cg->b, LLVMRealOLT, a, two23, "");
  return LLVMBuildSelect(cg->b, small, r, v, "");
}

LLVMValueRef qcc_cg_clamp_round_add_zp_v(qcc_cg *cg, LLVMValueRef v, LLVMValueRef zp,
                                         LLVMValueRef lo, LLVMValueRef hi) {
  lo = qcc_cg_like(cg, v, lo);
  hi = qcc_cg_like(cg, v, hi);
  /* The interpreter's `if (!(v >= lo)) v = lo; if (v > hi) v = hi;` (NaN takes lo) written as
   * v > lo ? v : lo and v < hi ? v : hi, the forms of maxps/minps (and fmax/fmin on AArch64 for
   * non-NaN values): they differ from it only in the sign of a zero equal to a bound, which the
   * rounding below turns into the same integer. */
  v = LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOGT, v, lo, ""), v, lo, "");
  v = LLVMBuildSelect(cg->b, LLVMBuildFCmp(cg->b, LLVMRealOLT, v, hi, ""), v, hi, "");
  LLVMValueRef q = qcc_cg_round_small_to_i32(cg, v);
  return LLVMBuildAdd(cg->b, q, qcc_cg_like(cg, q, zp), "");
}

LLVMValueRef qcc_cg_clamp_round_add_zp(qcc_cg *cg, LLVMValueRef v, int32_t zp, qcc_qrange r) {
  return qcc_cg_clamp_round_add_zp_v(cg, v, qcc_cg_i32(cg, zp), qcc_cg_f32(cg, (float)(r.lo - zp)),
                                     qcc_cg_f32(cg, (float)(r.hi - zp)));
}

LLVMValueRef qcc_cg_requantize(qcc_cg *cg, LLVMValueRef acc, LLVMValueRef mult, int32_t zp,
                               qcc_qrange r) {
  LLVMValueRef f = LLVMBuildSIToFP(cg->b, acc, shaped_like(acc, cg->f32), "");
  return qcc_cg_clamp_round_add_zp(cg, LLVMBuildFMul(cg->b, f, qcc_cg_like(cg, f, mult), ""), zp,
                                   r);
}

LLVMValueRef qcc_cg_cvt_f32_i32(qcc_cg *cg, LLVMValueRef v) {
  LLVMValueRef ge =
      LLVMBuildFCmp(cg->b, LLVMRealOGE, v, qcc_cg_like(cg, v, qcc_cg_f32(cg, -2147483648.0f)), "");
  LLVMValueRef lt =
      LLVMBuildFCmp(cg->b, LLVMRealOLT, v, qcc_cg_like(cg, v, qcc_cg_f32(cg, 2147483648.0f)), "");
  LLVMValueRef ok = LLVMBuildAnd(cg->b, ge, lt, "");
  LLVMValueRef r =
      LLVMBuildSelect(cg->b, ok, qcc_cg_round(cg, v), qcc_cg_like(cg, v, qcc_cg_f32(cg, 0.0f)), "");
  LLVMValueRef i = LLVMBuildFPToSI(cg->b, r, shaped_like(v, cg->i32), "");
  return LLVMBuildSelect(cg->b, ok, i, qcc_cg_like(cg, i, qcc_cg_i32(cg, INT32_MIN)), "");
}

LLVMValueRef qcc_cg_cvt_saturate(qcc_cg *cg, LLVMValueRef v, qcc_qrange r) {
  /* NaN and |v| >= 2^31 (INT32_MIN after the conversion) take the low end; in range, rounding is
   * monotonic and keeps the integer bounds, so clamping before rounding equals clamping after. */
  LLVMValueRef ge =
      LLVMBuildFCmp(cg->b, LLVMRealOGE, v, qcc_cg_like(cg, v, qcc_cg_f32(cg, -2147483648.0f)), "");
  LLVMValueRef lt =
      LLVMBuildFCmp(cg->b, LLVMRealOLT, v, qcc_cg_like(cg, v, qcc_cg_f32(cg, 2147483648.0f)), "");
  LLVMValueRef lo = qcc_cg_like(cg, v, qcc_cg_f32(cg, (float)r.lo));
  v = LLVMBuildSelect(cg->b, LLVMBuildAnd(cg->b, ge, lt, ""), v, lo, "");
  return qcc_cg_clamp_round_add_zp_v(cg, v, qcc_cg_i32(cg, 0), lo, qcc_cg_f32(cg, (float)r.hi));
}

LLVMValueRef qcc_cg_saturate(qcc_cg *cg, LLVMValueRef v, qcc_qrange r) {
  v = qcc_cg_smax(cg, v, qcc_cg_i32(cg, r.lo));
  return qcc_cg_smin(cg, v, qcc_cg_i32(cg, r.hi));
}

/* ---- lanes along a contiguous dim ---- */

typedef struct lanes_nest {
  int32_t inner;
  int64_t n;
  unsigned width;
  qcc_cg_lanes_fn body;
  void *user;
} lanes_nest;

/* The inner dim at the current outer index: `width` at a time, then one at a time. */
static void lanes_row(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  lanes_nest *s = user;
  int64_t nv = s->n / s->width;
  if (nv > 0) {
    qcc_cg_loop l;
    LLVMValueRef k = qcc_cg_loop_n(cg, &l, nv);
    idx[s->inner] = LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, s->width), "");
    s->body(cg, idx, s->width, s->user);
    qcc_cg_loop_end(cg, &l);
  }
  if (nv * s->width < s->n) {
    qcc_cg_loop l;
    idx[s->inner] = qcc_cg_loop_begin(cg, &l, qcc_cg_i64(cg, nv * s->width), qcc_cg_i64(cg, s->n));
    s->body(cg, idx, 1, s->user);
    qcc_cg_loop_end(cg, &l);
  }
}

void qcc_cg_for_each_lanes(qcc_cg *cg, const qcc_cg_tensor *y, int32_t inner, unsigned width,
                           qcc_cg_lanes_fn body, void *user) {
  int64_t dims[QCC_MAX_RANK];
  for (int32_t d = 0; d < y->rank; ++d)
    dims[d] = d == inner ? 1 : y->dims[d];
  for (int32_t d = 0; d < y->rank; ++d)
    if (y->dims[d] == 0)
      return;
  lanes_nest s = {.inner = inner, .n = y->dims[inner], .width = width, .body = body, .user = user};
  qcc_cg_for_each_index(cg, y->rank, dims, y->strides, lanes_row, &s);
}
