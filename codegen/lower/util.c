/* Helpers shared by the lowerings: operand views, constant parameters, tables, diagnostics. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "codegen/module.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

qcc_status qcc_lower_error(qcc_lower_ctx *L, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qcc_diag_error(L->diag, L->op->loc, "%s: cannot compile: %s", L->op->def->name, msg);
  return QCC_ERR_INPUT;
}

LLVMValueRef qcc_lower_operand_ptr(qcc_lower_ctx *L, uint32_t i) {
  const qcc_value *v = qcc_op_operand(L->op, i);
  if (v && !L->operand_ptr[i])
    L->operand_ptr[i] = qcc_module_const_global(L->m, v);
  return L->operand_ptr[i];
}

bool qcc_lower_operand(qcc_lower_ctx *L, uint32_t i, qcc_cg_tensor *t) {
  const qcc_value *v = qcc_op_operand(L->op, i);
  if (!v)
    return false;
  qcc_cg_tensor_init(t, qcc_lower_operand_ptr(L, i), v->type, v->layout);
  return true;
}

void qcc_lower_result(qcc_lower_ctx *L, uint32_t r, qcc_cg_tensor *t) {
  const qcc_value *v = L->op->results[r];
  qcc_cg_tensor_init(t, L->result_ptr[r], v->type, v->layout);
}

bool qcc_lower_same_buffer(const qcc_lower_ctx *L, const qcc_value *a, const qcc_value *b) {
  return qcc_module_same_location(L->m, a, b);
}

/* The constant behind operand i as an interpreter tensor. */
static qcc_status const_operand(qcc_lower_ctx *L, uint32_t i, const char *what, qcc_tensor *st,
                                const qcc_tensor **t) {
  const qcc_value *v = qcc_op_operand(L->op, i);
  const qcc_const *k = v ? qcc_value_const(v) : NULL;
  if (!k)
    return qcc_lower_error(L, "%s must be a constant", what);
  *t = qcc_tensor_of_const(k, st);
  return QCC_OK;
}

qcc_status qcc_lower_const_floats(qcc_lower_ctx *L, uint32_t i, int64_t n, float *out,
                                  const char *what) {
  qcc_tensor storage;
  const qcc_tensor *t = NULL;
  qcc_status st = const_operand(L, i, what, &storage, &t);
  if (st != QCC_OK)
    return st;
  if (t->elem != QCC_F32 && t->elem != QCC_F16)
    return qcc_lower_error(L, "%s must be a float tensor", what);
  if (t->numel != 1 && t->numel != n)
    return qcc_lower_error(L, "%s has %lld values, expected 1 or %lld", what, (long long)t->numel,
                           (long long)n);
  for (int64_t k = 0; k < n; ++k)
    out[k] = (float)qcc_tensor_get_f64(t, t->numel == 1 ? 0 : k);
  return QCC_OK;
}

qcc_status qcc_lower_const_ints(qcc_lower_ctx *L, uint32_t i, int64_t n, int32_t *out,
                                const char *what) {
  if (!qcc_op_operand(L->op, i)) {
    for (int64_t k = 0; k < n; ++k)
      out[k] = 0;
    return QCC_OK;
  }
  qcc_tensor storage;
  const qcc_tensor *t = NULL;
  qcc_status st = const_operand(L, i, what, &storage, &t);
  if (st != QCC_OK)
    return st;
  if (t->elem != QCC_U8 && t->elem != QCC_I8 && t->elem != QCC_I32)
    return qcc_lower_error(L, "%s must be an 8-bit or i32 tensor", what);
  if (t->numel != 1 && t->numel != n)
    return qcc_lower_error(L, "%s has %lld values, expected 1 or %lld", what, (long long)t->numel,
                           (long long)n);
  for (int64_t k = 0; k < n; ++k)
    out[k] = (int32_t)qcc_tensor_get_i64(t, t->numel == 1 ? 0 : k);
  return QCC_OK;
}

/* Tables are stored as the little-endian bytes of their values (the targets are little-endian:
 * qcc_codegen_emit checks). */
LLVMValueRef qcc_lower_float_table(qcc_lower_ctx *L, const float *v, int64_t n) {
  return qcc_cg_const_bytes(L->cg, "f32", v, (size_t)n * sizeof(float), 64);
}

LLVMValueRef qcc_lower_int_table(qcc_lower_ctx *L, const int32_t *v, int64_t n) {
  return qcc_cg_const_bytes(L->cg, "i32", v, (size_t)n * sizeof(int32_t), 64);
}

LLVMValueRef qcc_lower_table_f32(qcc_lower_ctx *L, LLVMValueRef table, LLVMValueRef i) {
  qcc_cg *cg = L->cg;
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, cg->f32, table, &i, 1, "");
  return LLVMBuildLoad2(cg->b, cg->f32, p, "");
}

LLVMValueRef qcc_lower_table_i32(qcc_lower_ctx *L, LLVMValueRef table, LLVMValueRef i) {
  qcc_cg *cg = L->cg;
  LLVMValueRef p = LLVMBuildInBoundsGEP2(cg->b, cg->i32, table, &i, 1, "");
  return LLVMBuildLoad2(cg->b, cg->i32, p, "");
}

bool qcc_lower_same_offsets(const qcc_cg_tensor *out, const qcc_cg_tensor *in) {
  int32_t shift = out->rank - in->rank;
  if (shift < 0 || qcc_elem_size(out->elem) != qcc_elem_size(in->elem))
    return false;
  for (int32_t d = 0; d < out->rank; ++d) {
    if (out->dims[d] <= 1)
      continue;
    if (d < shift || in->dims[d - shift] != out->dims[d] ||
        in->strides[d - shift] != out->strides[d])
      return false;
  }
  return true;
}

qcc_status qcc_lower_check_in_place(qcc_lower_ctx *L, const qcc_cg_tensor *result,
                                    const qcc_value *rv, const qcc_cg_tensor *operand,
                                    const qcc_value *ov) {
  if (!qcc_lower_same_buffer(L, rv, ov) || qcc_lower_same_offsets(result, operand))
    return QCC_OK;
  return qcc_lower_error(L, "'%s' is written in place over '%s' in another layout", rv->name,
                         ov->name);
}

/* ---- byte-to-byte maps ---- */

qcc_status qcc_lower_eval_byte_map(qcc_lower_ctx *L, uint8_t table[256]) {
  const qcc_op *op = L->op;
  const qcc_value *x = qcc_op_operand(op, 0);
  if (!x || (x->type.elem != QCC_U8 && x->type.elem != QCC_I8))
    return qcc_lower_error(L, "the input must be u8 or i8");
  int64_t n = 256;
  uint8_t codes[256];
  for (int i = 0; i < 256; ++i)
    codes[i] = (uint8_t)i;
  const qcc_tensor **in = calloc(op->num_operands + 1, sizeof *in);
  qcc_tensor *storage = calloc(op->num_operands + 1, sizeof *storage);
  qcc_tensor *xt = qcc_tensor_view(x->type.elem, 1, &n, codes);
  qcc_tensor *out[4] = {NULL};
  qcc_status st = QCC_OK;
  if (!in || !storage || !xt) {
    st = qcc_lower_error(L, "out of memory");
    goto done;
  }
  in[0] = xt;
  for (uint32_t i = 1; i < op->num_operands; ++i) {
    const qcc_value *v = qcc_op_operand(op, i);
    if (!v)
      continue;
    const qcc_const *k = qcc_value_const(v);
    if (!k) {
      st = qcc_lower_error(L, "operand %u must be a constant", i);
      goto done;
    }
    in[i] = qcc_tensor_of_const(k, &storage[i]);
  }
  /* The interpreter's own semantics on every code: the table is exact by construction. */
  st = qcc_interp_eval_op(op, L->diag, in, out);
  if (st == QCC_OK) {
    if (out[0]->numel != 256 || qcc_elem_size(out[0]->elem) != 1)
      st = qcc_lower_error(L, "the op does not map bytes to bytes");
    else
      memcpy(table, out[0]->data, 256);
  }
done:
  qcc_tensor_free(out[0]);
  qcc_tensor_free(xt);
  free(in);
  free(storage);
  return st;
}

typedef struct map_job {
  qcc_cg_tensor x, y;
  LLVMValueRef table;
} map_job;

static void map_body(qcc_cg *cg, LLVMValueRef *idx, void *user) {
  map_job *j = user;
  qcc_cg_store(cg, &j->y, idx, qcc_cg_table_lookup(cg, j->table, qcc_cg_load(cg, &j->x, idx)));
}

qcc_status qcc_lower_byte_map_kernel(qcc_lower_ctx *L, const uint8_t table[256]) {
  map_job j;
  qcc_lower_operand(L, 0, &j.x);
  qcc_lower_result(L, 0, &j.y);
  qcc_status st =
      qcc_lower_check_in_place(L, &j.y, L->op->results[0], &j.x, qcc_op_operand(L->op, 0));
  if (st != QCC_OK)
    return st;
  j.table = qcc_cg_const_bytes(L->cg, "table", table, 256, 64);
  qcc_cg_for_each_index(L->cg, j.y.rank, j.y.dims, j.y.strides, map_body, &j);
  return QCC_OK;
}

void qcc_lower_set_kernel_info(qcc_lower_ctx *L, const char *ukernel, unsigned vec_bits,
                               uint32_t tasks) {
  snprintf(L->ukernel, sizeof L->ukernel, "%s", ukernel ? ukernel : "");
  L->vec_bits = vec_bits;
  L->num_tasks = tasks ? tasks : 1;
}

void qcc_lower_report(qcc_lower_ctx *L, const char *text) {
  qcc_cg *cg = L->cg;
  char line[320];
  snprintf(line, sizeof line, "%s %s: %s", L->op->def->name,
           L->op->name ? L->op->name : L->op->results[0]->name, text);
  LLVMMetadataRef md = LLVMMDStringInContext2(cg->ctx, line, strlen(line));
  LLVMAddNamedMetadataOperand(cg->mod, "qcc.stats",
                              LLVMMetadataAsValue(cg->ctx, LLVMMDNodeInContext2(cg->ctx, &md, 1)));
}
