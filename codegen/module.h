/* Inside codegen/: the state of the module being built for one graph (codegen/module.c). */
#ifndef QCC_CODEGEN_MODULE_H
#define QCC_CODEGEN_MODULE_H

#include <llvm-c/Target.h>

#include "codegen/emit.h"
#include "codegen/isa.h"
#include "passes/memory_plan.h"

/* Where a value lives at run time. */
typedef enum {
  QCC_LOC_NONE,
  QCC_LOC_INPUT,     /* the caller's inputs[index] */
  QCC_LOC_OUTPUT,    /* the caller's outputs[index] */
  QCC_LOC_WORKSPACE, /* workspace + offset (the memory plan) */
  QCC_LOC_CONST,     /* a constant global */
} qcc_loc_kind;

typedef struct qcc_value_loc {
  qcc_loc_kind kind;
  uint32_t index;
  uint64_t offset, size;
} qcc_value_loc;

struct qcc_module {
  qcc_cg cg;
  qcc_graph *g;
  qcc_diag *diag;
  const char *prefix;
  qcc_memory_plan plan;
  qcc_value_loc *locs;         /* by value id */
  LLVMValueRef *const_globals; /* by value id, created on first use */
  LLVMBuilderRef rb;           /* the run function's builder */
  LLVMValueRef ws, exec, *in_ptr, *out_ptr;
  LLVMValueRef task_ptrs; /* the run function's array of a parallel kernel's pointers */
  qcc_isa isa;
  LLVMValueRef *kernel_names;
  uint32_t num_kernels;
  int clock_id; /* the target libc's CLOCK_MONOTONIC for per-kernel timing, or -1: none */
  LLVMValueRef timespec, on_kernel, user, profiling;
};

typedef struct qcc_module qcc_module;

/* Builds everything into a new module of `ctx` (m->cg.mod) for the target `triple` with data
 * layout `td`. With clock_id >= 0 the run function
 * times each kernel with clock_gettime(clock_id) when exec->on_kernel is set. Errors are
 * reported. */
qcc_status qcc_module_build(qcc_module *m, qcc_graph *g, LLVMContextRef ctx, const char *prefix,
                            const char *triple, const qcc_isa *isa, LLVMTargetDataRef td,
                            int clock_id, qcc_diag *diag);
void qcc_module_dispose(qcc_module *m);

/* True when a and b are stored at the same address. */
bool qcc_module_same_location(const qcc_module *m, const qcc_value *a, const qcc_value *b);
/* The constant global holding constant value v's bytes. */
LLVMValueRef qcc_module_const_global(qcc_module *m, const qcc_value *v);
/* The address of value v in the run function (at m->rb): a graph input or output, a constant
 * global, or its place in the workspace. */
LLVMValueRef qcc_module_run_pointer(qcc_module *m, const qcc_value *v);

#endif
