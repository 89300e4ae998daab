/* Add, Sub, Mul, Div (ir/ops/binary.c) with numpy broadcasting through zero strides, in the
 * result's memory order. f32 takes one IEEE operation per element (the interpreter's); the
 * integer types (u8, i8, i32, i64) wrap around in their width and Div truncates toward zero,
 * x / -1 being the wrapped negation. A zero divisor, an error of the interpreter, yields x here
 * (no trap). The result may overwrite an operand with the same offsets (the memory plan's
 * in-place writes: each element is read before it is written).
 *
 * Also the helpers the other float families share: broadcast views and libm calls. */
#include "codegen/lower/lower.h"
#include "ir/op_registry.h"

void qcc_lower_broadcast_view(const qcc_cg_tensor *t, int32_t rank, const int64_t *dims,
                              qcc_cg_tensor *view) {
  *view = *t;
  view->rank = rank;
  for (int32_t d = 0; d < rank; ++d) {
    int32_t td = d - (rank - t->rank);
    view->dims[d] = dims[d];
    view->strides[d] = td < 0 || t->dims[td] == 1 ? 0 : t->strides[td];
  }
}

LLVMValueRef qcc_lower_libm_call(qcc_cg *cg, const char *name, LLVMTypeRef t, LLVMValueRef *args,
                                 unsigned n) {
  LLVMTypeRef params[2] = {t, t};
  LLVMTypeRef ft = LLVMFunctionType(t, params, n, false);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, name);
  if (!fn)
    fn = LLVMAddFunction(cg->mod, name, ft);
  LLVMValueRef call = LLVMBuildCall2(cg->b, ft, fn, args, n, "");
  /* The library's own function on every target: LLVM must neither fold nor rewrite the call
   * (pow(x, 0.5) into sqrt, exp into exp2, ...). */
  unsigned kind = LLVMGetEnumAttributeKindForName("nobuiltin", 9);
  LLVMAddCallSiteAttribute(call, LLVMAttributeFunctionIndex,
                           LLVMCreateEnumAttribute(cg->ctx, kind, 0));
  return call;
}

typedef struct binary_job {
  qcc_op_kind kind;
  qcc_cg_tensor a, b, y; /* a and b: broadcast views over y's dims */
} binary_job;

static LLVMValueRef int_op(qcc_cg *cg, qcc_op_kind k, qcc_elem e, LLVMValueRef a, LLVMValueRef b) {
  LLVMBuilderRef bd = cg->b;
  switch (k) {
  case QCC_OP_Add: return LLVMBuildAdd(bd, a, b, "");
  case QCC_OP_Sub: return LLVMBuildSub(bd, a, b, "");
  case QCC_OP_Mul: return LLVMBuildMul(bd, a, b, "");
  default: break;
  }
  /* Div in 64 bits on the widened values, narrowed (wrapping) like the interpreter. */
  LLVMValueRef wa =
      e == QCC_U8 ? LLVMBuildZExt(bd, a, cg->i64, "") : LLVMBuildSExt(bd, a, cg->i64, "");
  LLVMValueRef wb =
      e == QCC_U8 ? LLVMBuildZExt(bd, b, cg->i64, "") : LLVMBuildSExt(bd, b, cg->i64, "");
  if (e == QCC_I64) {
    wa = a;
    wb = b;
  }
  LLVMValueRef zero = LLVMBuildICmp(bd, LLVMIntEQ, wb, qcc_cg_i64(cg, 0), "");
  LLVMValueRef minus1 = LLVMBuildICmp(bd, LLVMIntEQ, wb, qcc_cg_i64(cg, -1), "");
  LLVMValueRef safe =
      LLVMBuildSelect(bd, LLVMBuildOr(bd, zero, minus1, ""), qcc_cg_i64(cg, 1), wb, "");
  LLVMValueRef q = LLVMBuildSDiv(bd, wa, safe, "");
  q = LLVMBuildSelect(bd, minus1, LLVMBuildSub(bd, qcc_cg_i64(cg, 0), wa, ""), q, "");
  return e == QCC_I64 ? q : LLVMBuildTrunc(bd, q, LLVMTypeOf(a), "");
}

static void binary_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  binary_job *j = user;
  LLVMBuilderRef bd = cg->b;
  LLVMValueRef a = qcc_cg_load(cg, &j->a, idx), b = qcc_cg_load(cg, &j->b, idx), r;
  if (j->y.elem != QCC_F32) {
    r = int_op(cg, j->kind, j->y.elem, a, b);
  } else {
    switch (j->kind) {
    case QCC_OP_Add: r = LLVMBuildFAdd(bd, a, b, ""); break;
    case QCC_OP_Sub: r = LLVMBuildFSub(bd, a, b, ""); break;
    case QCC_OP_Mul: r = LLVMBuildFMul(bd, a, b, ""); break;
    default: r = LLVMBuildFDiv(bd, a, b, ""); break;
    }
  }
  qcc_cg_store(cg, &j->y, idx, r);
}

qcc_status qcc_lower_binary(qcc_lower_ctx *L) {
  const qcc_op *op = L->op;
  binary_job j = {.kind = op->def->kind};
  qcc_cg_tensor a, b;
  qcc_lower_operand(L, 0, &a);
  qcc_lower_operand(L, 1, &b);
  qcc_lower_result(L, 0, &j.y);
  qcc_elem e = j.y.elem;
  if (e != QCC_F32 && e != QCC_U8 && e != QCC_I8 && e != QCC_I32 && e != QCC_I64)
    return qcc_lower_error(L, "element type %s is not supported", qcc_elem_name(e));
  qcc_status st;
  if ((st = qcc_lower_check_in_place(L, &j.y, op->results[0], &a, qcc_op_operand(op, 0))) !=
          QCC_OK ||
      (st = qcc_lower_check_in_place(L, &j.y, op->results[0], &b, qcc_op_operand(op, 1))) != QCC_OK)
    return st;
  qcc_lower_broadcast_view(&a, j.y.rank, j.y.dims, &j.a);
  qcc_lower_broadcast_view(&b, j.y.rank, j.y.dims, &j.b);
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, binary_body, &j);
  return QCC_OK;
}
