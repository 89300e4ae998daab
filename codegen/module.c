/* The module of one graph: where every value lives (the caller's input and output buffers, the
 * workspace at the memory plan's offset, or a constant global), one kernel function per op
 * (its body from codegen/lower/), the run function calling them in graph order, the
 * workspace-size function and the qcc_rt_model descriptor (runtime/qcc_model.h). */
#include "codegen/module.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codegen/lower/lower.h"
#include "ir/graph_util.h"
#include "ir/interp.h"
#include "ir/op_registry.h"

/* ---- value locations ---- */

static bool output_index(const qcc_graph *g, const qcc_value *v, uint32_t *j) {
  for (*j = 0; *j < g->num_outputs; ++*j)
    if (g->outputs[*j] == v)
      return true;
  return false;
}

static qcc_status locate_values(qcc_module *m) {
  qcc_graph *g = m->g;
  for (uint32_t i = 0; i < g->num_inputs; ++i)
    m->locs[g->inputs[i]->id] = (qcc_value_loc){.kind = QCC_LOC_INPUT, .index = i};
  qcc_graph_for_each_op(g, op) {
    for (uint32_t r = 0; r < op->num_results; ++r) {
      const qcc_value *v = op->results[r];
      uint32_t j;
      if (qcc_op_is(op, QCC_OP_Constant))
        m->locs[v->id] = (qcc_value_loc){.kind = QCC_LOC_CONST};
      else if (output_index(g, v, &j))
        m->locs[v->id] = (qcc_value_loc){.kind = QCC_LOC_OUTPUT, .index = j};
    }
  }
  for (uint32_t t = 0; t < m->plan.num_tensors; ++t) {
    const qcc_planned_tensor *p = &m->plan.tensors[t];
    m->locs[p->value->id] =
        (qcc_value_loc){.kind = QCC_LOC_WORKSPACE, .offset = p->offset, .size = p->size};
  }
  return QCC_OK;
}

bool qcc_module_same_location(const qcc_module *m, const qcc_value *a, const qcc_value *b) {
  const qcc_value_loc *x = &m->locs[a->id], *y = &m->locs[b->id];
  if (x->kind != y->kind || x->kind == QCC_LOC_NONE)
    return false;
  switch (x->kind) {
  case QCC_LOC_INPUT:
  case QCC_LOC_OUTPUT: return x->index == y->index;
  case QCC_LOC_WORKSPACE: return x->offset == y->offset;
  default: return a == b;
  }
}

/* True when the bytes of a and b may overlap (so neither pointer is noalias). */
static bool may_overlap(const qcc_module *m, const qcc_value *a, const qcc_value *b) {
  const qcc_value_loc *x = &m->locs[a->id], *y = &m->locs[b->id];
  if (x->kind != y->kind)
    return false; /* the caller's buffers, the workspace and constants are disjoint */
  if (x->kind == QCC_LOC_WORKSPACE)
    return x->offset < y->offset + y->size && y->offset < x->offset + x->size;
  return qcc_module_same_location(m, a, b);
}

LLVMValueRef qcc_module_const_global(qcc_module *m, const qcc_value *v) {
  if (m->const_globals[v->id])
    return m->const_globals[v->id];
  const qcc_const *k = qcc_value_const(v);
  LLVMValueRef g = qcc_cg_const_bytes(&m->cg, "const", k->data, k->nbytes, 64);
  m->const_globals[v->id] = g;
  return g;
}

LLVMValueRef qcc_module_run_pointer(qcc_module *m, const qcc_value *v) {
  const qcc_value_loc *l = &m->locs[v->id];
  switch (l->kind) {
  case QCC_LOC_INPUT: return m->in_ptr[l->index];
  case QCC_LOC_OUTPUT: return m->out_ptr[l->index];
  case QCC_LOC_CONST: return qcc_module_const_global(m, v);
  default: {
    LLVMValueRef off = qcc_cg_i64(&m->cg, (int64_t)l->offset);
    return LLVMBuildInBoundsGEP2(m->rb, m->cg.i8, m->ws, &off, 1, "");
  }
  }
}

/* ---- checks ---- */

static qcc_status op_error(qcc_module *m, const qcc_op *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static qcc_status op_error(qcc_module *m, const qcc_op *op, const char *fmt, ...) {
  char msg[512];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  qcc_diag_error(m->diag, op->loc, "%s: cannot compile: %s", op->def->name, msg);
  return QCC_ERR_INPUT;
}

static bool boundary_elem(qcc_elem e) {
  return e == QCC_F32 || e == QCC_U8 || e == QCC_I8 || e == QCC_I32 || e == QCC_I64 ||
         e == QCC_BOOL || e == QCC_F16;
}

static qcc_status check_boundary(qcc_module *m, const qcc_value *v, const char *what) {
  char t[256];
  qcc_type_format(v->type, t, sizeof t);
  if (!qcc_type_is_static(v->type)) {
    qcc_diag_error(m->diag, v->loc,
                   "cannot compile: graph %s '%s' has no static shape (%s); bind its dims with "
                   "--dim or --shape",
                   what, v->name, t);
    return QCC_ERR_INPUT;
  }
  if (!boundary_elem(v->type.elem)) {
    qcc_diag_error(m->diag, v->loc, "cannot compile: graph %s '%s' has element type %s", what,
                   v->name, qcc_elem_name(v->type.elem));
    return QCC_ERR_INPUT;
  }
  if (!qcc_layout_same_bytes(v->type, v->layout, QCC_LAYOUT_ROW_MAJOR)) {
    qcc_diag_error(m->diag, v->loc, "cannot compile: graph %s '%s' is not row-major", what,
                   v->name);
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

/* Every op has a lowering and static shapes; all problems are reported, not only the first. */
static qcc_status check_graph(qcc_module *m) {
  qcc_status st = QCC_OK;
  for (uint32_t i = 0; i < m->g->num_inputs; ++i)
    if (check_boundary(m, m->g->inputs[i], "input") != QCC_OK)
      st = QCC_ERR_INPUT;
  for (uint32_t j = 0; j < m->g->num_outputs; ++j)
    if (check_boundary(m, m->g->outputs[j], "output") != QCC_OK)
      st = QCC_ERR_INPUT;
  qcc_graph_for_each_op(m->g, op) {
    if (qcc_op_is(op, QCC_OP_Constant))
      continue;
    const qcc_lowering *l = qcc_lowering_get(op->def->kind);
    if (!l->lower) {
      st = op_error(m, op, "interpreter only (%s)", l->interpreter_only);
      continue;
    }
    for (uint32_t i = 0; i < op->num_operands + op->num_results; ++i) {
      const qcc_value *v =
          i < op->num_operands ? op->operands[i].value : op->results[i - op->num_operands];
      if (v && !qcc_type_is_static(v->type)) {
        char t[256];
        qcc_type_format(v->type, t, sizeof t);
        st = op_error(m, op, "'%s' has no static shape (%s); bind its dims with --dim or --shape",
                      v->name, t);
        break;
      }
    }
  }
  return st;
}

/* ---- kernels ---- */

static LLVMValueRef is_null(qcc_module *m, LLVMValueRef p) { return LLVMBuildIsNull(m->rb, p, ""); }

/* ---- per-kernel timing: exec->on_kernel(user, kernel, nanoseconds) around each call ---- */

/* The monotonic clock in nanoseconds (clock_gettime and a 64-bit struct timespec). */
static LLVMValueRef now_ns(qcc_module *m) {
  qcc_cg *cg = &m->cg;
  LLVMTypeRef args[2] = {cg->i32, cg->ptr};
  LLVMTypeRef ft = LLVMFunctionType(cg->i32, args, 2, 0);
  LLVMValueRef fn = LLVMGetNamedFunction(cg->mod, "clock_gettime");
  if (!fn)
    fn = LLVMAddFunction(cg->mod, "clock_gettime", ft);
  LLVMValueRef call_args[2] = {qcc_cg_i32(cg, m->clock_id), m->timespec};
  LLVMBuildCall2(m->rb, ft, fn, call_args, 2, "");
  LLVMValueRef one = qcc_cg_i64(cg, 1);
  LLVMValueRef sec = LLVMBuildLoad2(m->rb, cg->i64, m->timespec, "");
  LLVMValueRef nsec = LLVMBuildLoad2(
      m->rb, cg->i64, LLVMBuildInBoundsGEP2(m->rb, cg->i64, m->timespec, &one, 1, ""), "");
  return LLVMBuildAdd(m->rb, LLVMBuildMul(m->rb, sec, qcc_cg_i64(cg, 1000000000), ""), nsec, "");
}

/* Reads exec->on_kernel and exec->user (exec may be NULL) at the start of the run body. */
static void begin_profiling(qcc_module *m, LLVMValueRef fn, LLVMBasicBlockRef entry) {
  qcc_cg *cg = &m->cg;
  LLVMBuilderRef eb = LLVMCreateBuilderInContext(cg->ctx);
  LLVMPositionBuilderBefore(eb, LLVMGetFirstInstruction(entry));
  LLVMTypeRef ts_t = LLVMArrayType2(cg->i64, 2);
  m->timespec = LLVMBuildAlloca(eb, ts_t, "timespec");
  LLVMDisposeBuilder(eb);
  LLVMValueRef exec = LLVMGetParam(fn, 3);
  LLVMBasicBlockRef from = LLVMGetInsertBlock(m->rb);
  LLVMBasicBlockRef read = LLVMAppendBasicBlockInContext(cg->ctx, fn, "exec");
  LLVMBasicBlockRef join = LLVMAppendBasicBlockInContext(cg->ctx, fn, "kernels");
  LLVMBuildCondBr(m->rb, is_null(m, exec), join, read);
  LLVMPositionBuilderAtEnd(m->rb, read);
  /* qcc_rt_exec: {pool, on_kernel, user}, three pointers. */
  LLVMTypeRef fields[3] = {cg->ptr, cg->ptr, cg->ptr};
  LLVMTypeRef exec_t = LLVMStructTypeInContext(cg->ctx, fields, 3, false);
  LLVMValueRef cb =
      LLVMBuildLoad2(m->rb, cg->ptr, LLVMBuildStructGEP2(m->rb, exec_t, exec, 1, ""), "");
  LLVMValueRef user =
      LLVMBuildLoad2(m->rb, cg->ptr, LLVMBuildStructGEP2(m->rb, exec_t, exec, 2, ""), "");
  LLVMBuildBr(m->rb, join);
  LLVMPositionBuilderAtEnd(m->rb, join);
  LLVMValueRef null = LLVMConstNull(cg->ptr);
  LLVMBasicBlockRef preds[2] = {from, read};
  LLVMValueRef cbs[2] = {null, cb}, users[2] = {null, user};
  m->on_kernel = LLVMBuildPhi(m->rb, cg->ptr, "on_kernel");
  LLVMAddIncoming(m->on_kernel, cbs, preds, 2);
  m->user = LLVMBuildPhi(m->rb, cg->ptr, "user");
  LLVMAddIncoming(m->user, users, preds, 2);
  m->profiling = LLVMBuildICmp(m->rb, LLVMIntNE, m->on_kernel, null, "");
}

/* Calls kernel `index`, timed when the caller asked for it. */
static void call_kernel(qcc_module *m, LLVMValueRef fn, LLVMValueRef *args, unsigned n,
                        uint32_t index) {
  qcc_cg *cg = &m->cg;
  LLVMTypeRef ft = LLVMGlobalGetValueType(fn);
  if (m->clock_id < 0) {
    LLVMBuildCall2(m->rb, ft, fn, args, n, "");
    return;
  }
  LLVMValueRef run = LLVMGetBasicBlockParent(LLVMGetInsertBlock(m->rb));
  LLVMBasicBlockRef timed = LLVMAppendBasicBlockInContext(cg->ctx, run, "timed");
  LLVMBasicBlockRef plain = LLVMAppendBasicBlockInContext(cg->ctx, run, "plain");
  LLVMBasicBlockRef next = LLVMAppendBasicBlockInContext(cg->ctx, run, "next");
  LLVMBuildCondBr(m->rb, m->profiling, timed, plain);
  LLVMPositionBuilderAtEnd(m->rb, timed);
  LLVMValueRef t0 = now_ns(m);
  LLVMBuildCall2(m->rb, ft, fn, args, n, "");
  LLVMValueRef ns = LLVMBuildSub(m->rb, now_ns(m), t0, "");
  LLVMTypeRef cb_args[3] = {cg->ptr, cg->i32, cg->i64};
  LLVMValueRef cb_vals[3] = {m->user, qcc_cg_i32(cg, index), ns};
  LLVMBuildCall2(m->rb, LLVMFunctionType(cg->void_t, cb_args, 3, 0), m->on_kernel, cb_vals, 3, "");
  LLVMBuildBr(m->rb, next);
  LLVMPositionBuilderAtEnd(m->rb, plain);
  LLVMBuildCall2(m->rb, ft, fn, args, n, "");
  LLVMBuildBr(m->rb, next);
  LLVMPositionBuilderAtEnd(m->rb, next);
}

static void add_attr(qcc_module *m, LLVMValueRef fn, unsigned index, const char *name) {
  unsigned kind = LLVMGetEnumAttributeKindForName(name, strlen(name));
  LLVMAddAttributeAtIndex(fn, index, LLVMCreateEnumAttribute(m->cg.ctx, kind, 0));
}

/* void wrapper(void *ctx, uint32_t i): the kernel on the n pointers stored at ctx, task i (the
 * function qcc_rt_parallel_for calls). */
static LLVMValueRef task_wrapper(qcc_module *m, LLVMValueRef kernel, uint32_t n,
                                 const char *kernel_name) {
  qcc_cg *cg = &m->cg;
  LLVMTypeRef args[2] = {cg->ptr, cg->i32};
  char name[300];
  snprintf(name, sizeof name, "%s.task", kernel_name);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->void_t, args, 2, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  add_attr(m, fn, LLVMAttributeFunctionIndex, "nounwind");
  LLVMBuilderRef b = LLVMCreateBuilderInContext(cg->ctx);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMValueRef *vals = calloc(n + 1, sizeof *vals);
  if (vals) {
    for (uint32_t k = 0; k < n; ++k) {
      LLVMValueRef idx = qcc_cg_i64(cg, k);
      LLVMValueRef slot = LLVMBuildInBoundsGEP2(b, cg->ptr, LLVMGetParam(fn, 0), &idx, 1, "");
      vals[k] = LLVMBuildLoad2(b, cg->ptr, slot, "");
    }
    vals[n] = LLVMBuildZExt(b, LLVMGetParam(fn, 1), cg->i64, "");
    LLVMBuildCall2(b, LLVMGlobalGetValueType(kernel), kernel, vals, n + 1, "");
  }
  LLVMBuildRetVoid(b);
  LLVMDisposeBuilder(b);
  free(vals);
  return fn;
}

/* qcc_rt_parallel_for(exec, tasks, wrapper, pointers), timed as one kernel. */
static void call_parallel(qcc_module *m, LLVMValueRef wrapper, LLVMValueRef *ptrs, uint32_t n,
                          uint32_t tasks, uint32_t index) {
  qcc_cg *cg = &m->cg;
  LLVMValueRef ctx = m->task_ptrs;
  for (uint32_t k = 0; k < n; ++k) {
    LLVMValueRef idx = qcc_cg_i64(cg, k);
    LLVMBuildStore(m->rb, ptrs[k], LLVMBuildInBoundsGEP2(m->rb, cg->ptr, ctx, &idx, 1, ""));
  }
  LLVMTypeRef pf_args[4] = {cg->ptr, cg->i32, cg->ptr, cg->ptr};
  LLVMTypeRef pf_t = LLVMFunctionType(cg->void_t, pf_args, 4, 0);
  LLVMValueRef pf = LLVMGetNamedFunction(cg->mod, "qcc_rt_parallel_for");
  if (!pf)
    pf = LLVMAddFunction(cg->mod, "qcc_rt_parallel_for", pf_t);
  LLVMValueRef args[4] = {m->exec, qcc_cg_i32(cg, tasks), wrapper, ctx};
  call_kernel(m, pf, args, 4, index);
}

/* A kernel's parameters: each distinct non-constant operand or result, once. */
typedef struct kernel_params {
  uint32_t n;
  const qcc_value **values;
  bool *written;
} kernel_params;

static uint32_t param_of(kernel_params *p, const qcc_value *v, bool written) {
  for (uint32_t k = 0; k < p->n; ++k)
    if (p->values[k] == v) {
      p->written[k] = p->written[k] || written;
      return k;
    }
  p->values[p->n] = v;
  p->written[p->n] = written;
  return p->n++;
}

static qcc_status lower_op(qcc_module *m, const qcc_op *op, uint32_t index) {
  qcc_cg *cg = &m->cg;
  uint32_t slots = op->num_operands + op->num_results;
  kernel_params p = {.values = calloc(slots + 1, sizeof *p.values),
                     .written = calloc(slots + 1, sizeof *p.written)};
  uint32_t *slot_param = calloc(slots + 1, sizeof *slot_param);
  LLVMValueRef *ptrs = calloc(slots + 1, sizeof *ptrs);
  LLVMTypeRef *types = calloc(slots + 2, sizeof *types);
  LLVMValueRef *args = calloc(slots + 2, sizeof *args);
  qcc_status st = QCC_ERR_NOMEM;
  if (!p.values || !p.written || !slot_param || !ptrs || !types || !args) {
    qcc_diag_error(m->diag, op->loc, "out of memory");
    goto done;
  }
  for (uint32_t s = 0; s < slots; ++s) {
    const qcc_value *v =
        s < op->num_operands ? op->operands[s].value : op->results[s - op->num_operands];
    slot_param[s] = UINT32_MAX;
    if (v && m->locs[v->id].kind != QCC_LOC_CONST)
      slot_param[s] = param_of(&p, v, s >= op->num_operands);
  }
  for (uint32_t k = 0; k < p.n; ++k)
    types[k] = cg->ptr;
  types[p.n] = cg->i64; /* the task */
  char name[256];
  snprintf(name, sizeof name, "%s_k%u_%s", m->prefix, index, op->def->name);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->void_t, types, p.n + 1, 0));
  LLVMSetLinkage(fn, LLVMInternalLinkage);
  add_attr(m, fn, LLVMAttributeFunctionIndex, "nounwind");
  add_attr(m, fn, LLVMAttributeFunctionIndex, "noinline");
  for (uint32_t k = 0; k < p.n; ++k) {
    bool alone = true;
    for (uint32_t j = 0; j < p.n && alone; ++j)
      alone = j == k || !may_overlap(m, p.values[k], p.values[j]);
    if (alone)
      add_attr(m, fn, k + 1, "noalias");
    add_attr(m, fn, k + 1, "nocapture");
    if (!p.written[k])
      add_attr(m, fn, k + 1, "readonly");
  }
  /* Constants get their global when the lowering asks (qcc_lower_operand_ptr). */
  for (uint32_t s = 0; s < slots; ++s)
    if (slot_param[s] != UINT32_MAX)
      ptrs[s] = LLVMGetParam(fn, slot_param[s]);
  qcc_cg_begin_function(cg, fn);
  qcc_lower_ctx L = {.cg = cg,
                     .diag = m->diag,
                     .op = op,
                     .m = m,
                     .operand_ptr = ptrs,
                     .result_ptr = ptrs + op->num_operands,
                     .isa = &m->isa,
                     .task = LLVMGetParam(fn, p.n),
                     .num_tasks = 1};
  st = qcc_lowering_get(op->def->kind)->lower(&L);
  if (st != QCC_OK)
    goto done;
  LLVMBuildRetVoid(cg->b);
  if (L.no_kernel) {
    LLVMDeleteFunction(fn);
    goto done;
  }
  if (L.vec_bits) {
    char bits[16];
    snprintf(bits, sizeof bits, "%u", L.vec_bits);
    LLVMAddAttributeAtIndex(fn, LLVMAttributeFunctionIndex,
                            LLVMCreateStringAttribute(cg->ctx, "min-legal-vector-width", 22, bits,
                                                      (unsigned)strlen(bits)));
  }
  for (uint32_t k = 0; k < p.n; ++k)
    args[k] = qcc_module_run_pointer(m, p.values[k]);
  if (L.num_tasks > 1) {
    LLVMValueRef wrapper = task_wrapper(m, fn, p.n, name);
    call_parallel(m, wrapper, args, p.n, L.num_tasks, m->num_kernels);
  } else {
    args[p.n] = qcc_cg_i64(cg, 0);
    call_kernel(m, fn, args, p.n + 1, m->num_kernels);
  }
  char label[512];
  snprintf(label, sizeof label, "%s %s%s%s%s", op->def->name,
           op->name ? op->name : op->results[0]->name, L.ukernel[0] ? " [" : "", L.ukernel,
           L.ukernel[0] ? "]" : "");
  m->kernel_names[m->num_kernels++] = qcc_cg_const_string(cg, label);
done:
  free(p.values), free(p.written), free(slot_param), free(ptrs), free(types), free(args);
  return st;
}

/* ---- the run function ---- */

static LLVMValueRef load_ptr(qcc_module *m, LLVMValueRef array, uint32_t i) {
  LLVMValueRef idx = qcc_cg_i64(&m->cg, i);
  LLVMValueRef p = LLVMBuildInBoundsGEP2(m->rb, m->cg.ptr, array, &idx, 1, "");
  return LLVMBuildLoad2(m->rb, m->cg.ptr, p, "");
}

/* Entry: QCC_RT_ERR_ARGUMENT for NULL arrays or buffers, or a missing or misaligned workspace. */
static void begin_run(qcc_module *m, LLVMValueRef fn) {
  qcc_cg *cg = &m->cg;
  qcc_graph *g = m->g;
  m->rb = LLVMCreateBuilderInContext(cg->ctx);
  LLVMBasicBlockRef entry = LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry");
  LLVMBasicBlockRef args_ok = LLVMAppendBasicBlockInContext(cg->ctx, fn, "arrays_ok");
  LLVMBasicBlockRef body = LLVMAppendBasicBlockInContext(cg->ctx, fn, "run");
  LLVMBasicBlockRef fail = LLVMAppendBasicBlockInContext(cg->ctx, fn, "bad_argument");
  LLVMPositionBuilderAtEnd(m->rb, fail);
  LLVMBuildRet(m->rb, qcc_cg_i32(cg, 1));
  LLVMValueRef inputs = LLVMGetParam(fn, 0), outputs = LLVMGetParam(fn, 1);
  m->ws = LLVMGetParam(fn, 2);
  m->exec = LLVMGetParam(fn, 3);
  LLVMPositionBuilderAtEnd(m->rb, entry);
  /* The pointers a parallel kernel's tasks read (sized for the op with the most). */
  uint32_t most = 1;
  qcc_graph_for_each_op(g, op) {
    if (op->num_operands + op->num_results > most)
      most = op->num_operands + op->num_results;
  }
  m->task_ptrs = LLVMBuildAlloca(m->rb, LLVMArrayType2(cg->ptr, most), "task_pointers");
  LLVMValueRef bad = qcc_cg_i1(cg, false);
  if (g->num_inputs)
    bad = LLVMBuildOr(m->rb, bad, is_null(m, inputs), "");
  if (g->num_outputs)
    bad = LLVMBuildOr(m->rb, bad, is_null(m, outputs), "");
  if (m->plan.arena_bytes) {
    LLVMValueRef addr = LLVMBuildPtrToInt(m->rb, m->ws, cg->i64, "");
    LLVMValueRef mis = LLVMBuildAnd(m->rb, addr, qcc_cg_i64(cg, QCC_PLAN_ALIGN - 1), "");
    bad = LLVMBuildOr(m->rb, bad, is_null(m, m->ws), "");
    bad = LLVMBuildOr(m->rb, bad, LLVMBuildICmp(m->rb, LLVMIntNE, mis, qcc_cg_i64(cg, 0), ""), "");
  }
  LLVMBuildCondBr(m->rb, bad, fail, args_ok);
  LLVMPositionBuilderAtEnd(m->rb, args_ok);
  bad = qcc_cg_i1(cg, false);
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    m->in_ptr[i] = load_ptr(m, inputs, i);
    bad = LLVMBuildOr(m->rb, bad, is_null(m, m->in_ptr[i]), "");
  }
  for (uint32_t j = 0; j < g->num_outputs; ++j) {
    m->out_ptr[j] = load_ptr(m, outputs, j);
    bad = LLVMBuildOr(m->rb, bad, is_null(m, m->out_ptr[j]), "");
  }
  LLVMBuildCondBr(m->rb, bad, fail, body);
  LLVMPositionBuilderAtEnd(m->rb, body);
  if (m->clock_id >= 0)
    begin_profiling(m, fn, entry);
}

/* Outputs not written by their producer (a graph input, a constant, a value returned twice). */
static void finish_run(qcc_module *m) {
  qcc_graph *g = m->g;
  for (uint32_t j = 0; j < g->num_outputs; ++j) {
    const qcc_value *v = g->outputs[j];
    const qcc_value_loc *l = &m->locs[v->id];
    size_t bytes;
    if ((l->kind == QCC_LOC_OUTPUT && l->index == j) || !qcc_type_nbytes(v->type, &bytes))
      continue;
    if (bytes)
      LLVMBuildMemCpy(m->rb, m->out_ptr[j], 1, qcc_module_run_pointer(m, v), 1,
                      qcc_cg_i64(&m->cg, (int64_t)bytes));
  }
  LLVMBuildRet(m->rb, qcc_cg_i32(&m->cg, 0));
  LLVMDisposeBuilder(m->rb);
  m->rb = NULL;
}

/* ---- the descriptor ---- */

static int32_t rt_dtype(qcc_elem e) {
  switch (e) {
  case QCC_F32: return 1;
  case QCC_U8: return 2;
  case QCC_I8: return 3;
  case QCC_I32: return 6;
  case QCC_BOOL: return 9;
  case QCC_F16: return 10;
  default: return 7;
  }
}

/* qcc_rt_tensor_info[n] for the values; LLVM lays the struct out as C does. */
static LLVMValueRef tensor_infos(qcc_module *m, qcc_value *const *vals, uint32_t n,
                                 LLVMTypeRef info_t) {
  qcc_cg *cg = &m->cg;
  if (!n)
    return LLVMConstNull(cg->ptr);
  LLVMValueRef *elems = calloc(n, sizeof *elems);
  if (!elems)
    return NULL;
  for (uint32_t i = 0; i < n; ++i) {
    const qcc_value *v = vals[i];
    int64_t dims[QCC_MAX_RANK];
    for (int32_t d = 0; d < v->type.rank; ++d)
      dims[d] = v->type.dims[d].size;
    LLVMValueRef dims_g =
        v->type.rank
            ? qcc_cg_const_bytes(cg, "dims", dims, (size_t)v->type.rank * sizeof(int64_t), 8)
            : LLVMConstNull(cg->ptr);
    LLVMValueRef fields[4] = {qcc_cg_const_string(cg, v->name),
                              qcc_cg_i32(cg, rt_dtype(v->type.elem)), qcc_cg_i32(cg, v->type.rank),
                              dims_g};
    elems[i] = LLVMConstNamedStruct(info_t, fields, 4);
  }
  LLVMValueRef init = LLVMConstArray2(info_t, elems, n);
  free(elems);
  char name[64];
  snprintf(name, sizeof name, "%s.tensors.%u", m->prefix, m->cg.globals++);
  LLVMValueRef g = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
  LLVMSetInitializer(g, init);
  LLVMSetGlobalConstant(g, true);
  LLVMSetLinkage(g, LLVMPrivateLinkage);
  return g;
}

static qcc_status build_descriptor(qcc_module *m, LLVMValueRef run) {
  qcc_cg *cg = &m->cg;
  LLVMTypeRef info_t = LLVMStructCreateNamed(cg->ctx, "qcc_rt_tensor_info");
  LLVMTypeRef info_fields[4] = {cg->ptr, cg->i32, cg->i32, cg->ptr};
  LLVMStructSetBody(info_t, info_fields, 4, false);
  LLVMTypeRef model_t = LLVMStructCreateNamed(cg->ctx, "qcc_rt_model");
  LLVMTypeRef model_fields[11] = {cg->i32, cg->ptr, cg->i32, cg->i32, cg->ptr, cg->ptr,
                                  cg->i64, cg->i32, cg->i32, cg->ptr, cg->ptr};
  LLVMStructSetBody(model_t, model_fields, 11, false);
  LLVMValueRef ins = tensor_infos(m, m->g->inputs, m->g->num_inputs, info_t);
  LLVMValueRef outs = tensor_infos(m, m->g->outputs, m->g->num_outputs, info_t);
  if (!ins || !outs)
    return QCC_ERR_NOMEM;
  LLVMValueRef names = LLVMConstNull(cg->ptr);
  if (m->num_kernels) {
    LLVMValueRef init = LLVMConstArray2(cg->ptr, m->kernel_names, m->num_kernels);
    char name[64];
    snprintf(name, sizeof name, "%s.kernel_names", m->prefix);
    names = LLVMAddGlobal(cg->mod, LLVMTypeOf(init), name);
    LLVMSetInitializer(names, init);
    LLVMSetGlobalConstant(names, true);
    LLVMSetLinkage(names, LLVMPrivateLinkage);
  }
  LLVMValueRef fields[11] = {qcc_cg_i32(cg, 1), /* QCC_RT_ABI_VERSION */
                             qcc_cg_const_string(cg, m->prefix),
                             qcc_cg_i32(cg, m->g->num_inputs),
                             qcc_cg_i32(cg, m->g->num_outputs),
                             ins,
                             outs,
                             qcc_cg_i64(cg, (int64_t)m->plan.arena_bytes),
                             qcc_cg_i32(cg, QCC_PLAN_ALIGN),
                             qcc_cg_i32(cg, m->num_kernels),
                             names,
                             run};
  char name[256];
  snprintf(name, sizeof name, "%s_model", m->prefix);
  LLVMValueRef model = LLVMAddGlobal(cg->mod, model_t, name);
  LLVMSetInitializer(model, LLVMConstNamedStruct(model_t, fields, 11));
  LLVMSetGlobalConstant(model, true);
  return QCC_OK;
}

static void build_workspace_size(qcc_module *m) {
  qcc_cg *cg = &m->cg;
  char name[256];
  snprintf(name, sizeof name, "%s_workspace_size", m->prefix);
  LLVMValueRef fn = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->i64, NULL, 0, 0));
  add_attr(m, fn, LLVMAttributeFunctionIndex, "nounwind");
  LLVMBuilderRef b = LLVMCreateBuilderInContext(cg->ctx);
  LLVMPositionBuilderAtEnd(b, LLVMAppendBasicBlockInContext(cg->ctx, fn, "entry"));
  LLVMBuildRet(b, qcc_cg_i64(cg, (int64_t)m->plan.arena_bytes));
  LLVMDisposeBuilder(b);
}

/* ---- the whole module ---- */

qcc_status qcc_module_build(qcc_module *m, qcc_graph *g, LLVMContextRef ctx, const char *prefix,
                            const char *triple, const qcc_isa *isa, LLVMTargetDataRef td,
                            int clock_id, qcc_diag *diag) {
  memset(m, 0, sizeof *m);
  m->clock_id = clock_id;
  m->isa = *isa;
  m->g = g;
  m->diag = diag;
  m->prefix = prefix;
  qcc_cg *cg = &m->cg;
  cg->ctx = ctx;
  cg->prefix = prefix;
  cg->round = isa->arch == QCC_ARCH_X86_64    ? (isa->avx512 ? QCC_CG_ROUND_AVX512
                                                 : isa->avx2 ? QCC_CG_ROUND_NATIVE
                                                             : QCC_CG_ROUND_MAGIC)
              : isa->arch == QCC_ARCH_AARCH64 ? QCC_CG_ROUND_NATIVE
                                              : QCC_CG_ROUND_MAGIC;
  cg->mod = LLVMModuleCreateWithNameInContext(g->name ? g->name : prefix, ctx);
  /* The target's data layout before any IR: alignments and struct layouts follow it. */
  LLVMSetTarget(cg->mod, triple);
  LLVMSetModuleDataLayout(cg->mod, td);
  cg->b = LLVMCreateBuilderInContext(ctx);
  cg->i1 = LLVMInt1TypeInContext(ctx);
  cg->i8 = LLVMInt8TypeInContext(ctx);
  cg->i16 = LLVMInt16TypeInContext(ctx);
  cg->i32 = LLVMInt32TypeInContext(ctx);
  cg->i64 = LLVMInt64TypeInContext(ctx);
  cg->f32 = LLVMFloatTypeInContext(ctx);
  cg->ptr = LLVMPointerTypeInContext(ctx, 0);
  cg->void_t = LLVMVoidTypeInContext(ctx);
  if (qcc_plan_memory(g, &m->plan) != QCC_OK) {
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  uint32_t nv = g->num_values, nops = qcc_graph_op_count(g);
  m->locs = calloc(nv + 1, sizeof *m->locs);
  m->const_globals = calloc(nv + 1, sizeof *m->const_globals);
  m->in_ptr = calloc(g->num_inputs + 1, sizeof *m->in_ptr);
  m->out_ptr = calloc(g->num_outputs + 1, sizeof *m->out_ptr);
  m->kernel_names = calloc(nops + 1, sizeof *m->kernel_names);
  if (!m->locs || !m->const_globals || !m->in_ptr || !m->out_ptr || !m->kernel_names) {
    qcc_diag_error(diag, (qcc_loc){0}, "out of memory");
    return QCC_ERR_NOMEM;
  }
  qcc_status st = check_graph(m);
  if (st != QCC_OK || (st = locate_values(m)) != QCC_OK)
    return st;
  LLVMTypeRef run_args[4] = {cg->ptr, cg->ptr, cg->ptr, cg->ptr};
  char name[256];
  snprintf(name, sizeof name, "%s_run", prefix);
  LLVMValueRef run = LLVMAddFunction(cg->mod, name, LLVMFunctionType(cg->i32, run_args, 4, 0));
  add_attr(m, run, LLVMAttributeFunctionIndex, "nounwind");
  begin_run(m, run);
  uint32_t index = 0;
  qcc_graph_for_each_op(g, op) {
    if (qcc_op_is(op, QCC_OP_Constant))
      continue;
    if ((st = lower_op(m, op, index++)) != QCC_OK)
      return st;
  }
  finish_run(m);
  build_workspace_size(m);
  return build_descriptor(m, run);
}

void qcc_module_dispose(qcc_module *m) {
  if (m->rb)
    LLVMDisposeBuilder(m->rb);
  if (m->cg.b)
    LLVMDisposeBuilder(m->cg.b);
  qcc_memory_plan_free(&m->plan);
  free(m->locs), free(m->const_globals), free(m->in_ptr), free(m->out_ptr), free(m->kernel_names);
  /* The LLVM module belongs to the caller (qcc_codegen_emit disposes it). */
}
