/* Relayout (ir/ops/relayout.c): the identity on the logical tensor, moving every element from
 * its offset in the operand's layout to its offset in the result's, in the result's memory
 * order.
 *
 * The 8-bit NCHW -> NHWC move of an image with a few channels (the quantized graph input) is an
 * interleave: LANES consecutive pixels of each channel plane are loaded as vectors and shuffled
 * into the C * LANES contiguous bytes of those pixels in NHWC; the pixels after the last full
 * vector, and every other relayout, copy element by element. */
#include "codegen/lower/lower.h"

enum { LANES = 16, MAX_INTERLEAVE = 8 };

typedef struct copy_job {
  qcc_cg_tensor x, y;
  int32_t a, b; /* interleave: y's contiguous dim (the channels), x's (the pixels) */
} copy_job;

static void copy_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  copy_job *j = user;
  qcc_cg_store(cg, &j->y, idx, qcc_cg_load(cg, &j->x, idx));
}

/* Concatenation of n vectors of equal type (n a power of two). */
static LLVMValueRef concat(qcc_cg *cg, LLVMValueRef *v, unsigned n) {
  while (n > 1) {
    for (unsigned i = 0; i < n / 2; ++i) {
      unsigned w = LLVMGetVectorSize(LLVMTypeOf(v[2 * i]));
      LLVMValueRef mask[MAX_INTERLEAVE * LANES];
      for (unsigned k = 0; k < 2 * w; ++k)
        mask[k] = qcc_cg_i32(cg, k);
      v[i] =
          LLVMBuildShuffleVector(cg->b, v[2 * i], v[2 * i + 1], LLVMConstVector(mask, 2 * w), "");
    }
    n /= 2;
  }
  return v[0];
}

/* One block: LANES pixels from idx[b] on, all channels. */
static void interleave_block(qcc_cg *cg, copy_job *j, LLVMValueRef *idx) {
  unsigned c = (unsigned)j->x.dims[j->a], p = 1;
  while (p < c)
    p *= 2;
  LLVMTypeRef vt = LLVMVectorType(cg->i8, LANES);
  LLVMValueRef v[MAX_INTERLEAVE];
  for (unsigned k = 0; k < p; ++k) {
    if (k >= c) {
      v[k] = LLVMGetPoison(vt);
      continue;
    }
    idx[j->a] = qcc_cg_i64(cg, k);
    LLVMValueRef ptr = qcc_cg_elem_ptr(cg, &j->x, qcc_cg_offset(cg, &j->x, idx));
    v[k] = LLVMBuildLoad2(cg->b, vt, ptr, "");
    LLVMSetAlignment(v[k], 1);
  }
  LLVMValueRef all = concat(cg, v, p);
  /* Lane k of the result: channel k % c of pixel k / c. */
  LLVMValueRef mask[MAX_INTERLEAVE * LANES];
  for (unsigned k = 0; k < c * LANES; ++k)
    mask[k] = qcc_cg_i32(cg, (k % c) * LANES + k / c);
  LLVMValueRef out = LLVMBuildShuffleVector(cg->b, all, LLVMGetPoison(LLVMTypeOf(all)),
                                            LLVMConstVector(mask, c * LANES), "");
  idx[j->a] = qcc_cg_i64(cg, 0);
  LLVMValueRef ptr = qcc_cg_elem_ptr(cg, &j->y, qcc_cg_offset(cg, &j->y, idx));
  LLVMSetAlignment(LLVMBuildStore(cg->b, out, ptr), 1);
}

static void interleave_row(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  copy_job *j = user;
  int64_t n = j->x.dims[j->b], nv = n / LANES;
  qcc_cg_loop l;
  if (nv > 0) {
    LLVMValueRef k = qcc_cg_loop_n(cg, &l, nv);
    idx[j->b] = LLVMBuildNSWMul(cg->b, k, qcc_cg_i64(cg, LANES), "");
    interleave_block(cg, j, idx);
    qcc_cg_loop_end(cg, &l);
  }
  if (nv * LANES < n) {
    idx[j->b] = qcc_cg_loop_begin(cg, &l, qcc_cg_i64(cg, nv * LANES), qcc_cg_i64(cg, n));
    qcc_cg_loop lc;
    idx[j->a] = qcc_cg_loop_n(cg, &lc, j->x.dims[j->a]);
    copy_body(cg, idx, user);
    qcc_cg_loop_end(cg, &lc);
    qcc_cg_loop_end(cg, &l);
  }
}

/* The interleave applies: bytes, y's contiguous dim a has 2..MAX_INTERLEAVE elements and x
 * stride 1 along another dim b that follows a in y (y.strides[b] == dims[a]). */
static bool find_interleave(copy_job *j) {
  if (qcc_elem_size(j->x.elem) != 1)
    return false;
  j->a = j->b = -1;
  for (int32_t d = 0; d < j->y.rank; ++d) {
    if (j->y.dims[d] > 1 && j->y.strides[d] == 1)
      j->a = d;
    if (j->x.dims[d] > 1 && j->x.strides[d] == 1)
      j->b = d;
  }
  return j->a >= 0 && j->b >= 0 && j->a != j->b && j->y.dims[j->a] <= MAX_INTERLEAVE &&
         j->y.strides[j->b] == j->y.dims[j->a] && j->x.dims[j->b] >= LANES;
}

qcc_status qcc_lower_relayout(qcc_lower_ctx *L) {
  copy_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  if (qcc_lower_same_buffer(L, qcc_op_operand(L->op, 0), L->op->results[0])) {
    if (!qcc_lower_same_offsets(&j.y, &j.x))
      return qcc_lower_error(L, "the result shares its operand's buffer in another layout");
    L->no_kernel = true;
    return QCC_OK;
  }
  if (find_interleave(&j)) {
    int64_t dims[QCC_MAX_RANK];
    for (int32_t d = 0; d < j.y.rank; ++d)
      dims[d] = d == j.a || d == j.b ? 1 : j.y.dims[d];
    qcc_cg_for_each_index(L->cg, j.y.rank, dims, j.y.strides, interleave_row, &j);
    return QCC_OK;
  }
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, copy_body, &j);
  return QCC_OK;
}
