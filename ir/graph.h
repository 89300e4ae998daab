/* The SSA dataflow graph: values defined once, ops with operands, results and typed
 * attributes, graph inputs/outputs and constants. All memory lives in the graph's arena. */
#ifndef QCC_IR_GRAPH_H
#define QCC_IR_GRAPH_H

#include <stdbool.h>
#include <stdint.h>

#include "ir/arena.h"
#include "ir/diag.h"
#include "ir/layout.h"
#include "ir/type.h"

typedef struct qcc_graph qcc_graph;
typedef struct qcc_op qcc_op;
typedef struct qcc_value qcc_value;
typedef struct qcc_use qcc_use;
typedef struct qcc_op_def qcc_op_def;

/* Constant payload: raw little-endian bytes of `type`, optionally backed by a side file
 * (kept so the printer can refer to it again instead of inlining megabytes). */
typedef struct qcc_const {
  qcc_type type;
  const void *data;
  size_t nbytes;
  const char *file; /* side file as written in the source, or NULL */
  uint64_t offset;
} qcc_const;

typedef enum {
  QCC_ATTR_INT,
  QCC_ATTR_FLOAT,
  QCC_ATTR_STRING,
  QCC_ATTR_INTS,
  QCC_ATTR_FLOATS,
  QCC_ATTR_STRINGS,
  QCC_ATTR_TENSOR,
} qcc_attr_kind;

typedef struct qcc_attr {
  const char *name;
  qcc_attr_kind kind;
  union {
    int64_t i;
    float f;
    const char *s;
    struct {
      const int64_t *v;
      uint32_t n;
    } ints;
    struct {
      const float *v;
      uint32_t n;
    } floats;
    struct {
      const char *const *v;
      uint32_t n;
    } strings;
    const qcc_const *tensor;
  };
} qcc_attr;

/* One operand slot of an op; threaded on the used value's use list for cheap RAUW. */
struct qcc_use {
  qcc_value *value; /* NULL for an omitted optional operand */
  qcc_op *user;
  uint32_t index;
  qcc_use *prev, *next;
};

struct qcc_value {
  const char *name;  /* unique within the graph */
  qcc_type type;     /* logical: shapes and semantics never depend on the layout */
  qcc_layout layout; /* how the code generator stores it (row-major unless assign-layout says) */
  qcc_op *def;       /* NULL for graph inputs */
  uint32_t result_index;
  uint32_t id; /* dense index, stable until qcc_graph_renumber */
  qcc_use *first_use;
  qcc_loc loc;
  qcc_graph *graph;
};

struct qcc_op {
  const qcc_op_def *def;
  const char *name; /* producer's node name (ONNX), or NULL */
  qcc_loc loc;
  uint32_t num_operands, num_results, num_attrs;
  qcc_use *operands;
  qcc_value **results;
  qcc_attr *attrs;
  const qcc_const *konst; /* payload of a Constant op */
  qcc_op *prev, *next;
  qcc_graph *graph;
};

struct qcc_graph {
  qcc_arena *arena;
  const char *name;
  qcc_value **inputs;
  uint32_t num_inputs, cap_inputs;
  qcc_value **outputs;
  uint32_t num_outputs, cap_outputs;
  qcc_op *first, *last;
  uint32_t num_values;
  struct qcc_name_table *names;
};

qcc_graph *qcc_graph_create(const char *name);
void qcc_graph_destroy(qcc_graph *g);

/* Value names: NULL picks a fresh one. Returns NULL when the name is taken or on OOM. */
qcc_value *qcc_graph_add_input(qcc_graph *g, const char *name, qcc_type type, qcc_loc loc);
bool qcc_graph_add_output(qcc_graph *g, qcc_value *v);
qcc_value *qcc_graph_lookup(const qcc_graph *g, const char *name);
bool qcc_graph_name_taken(const qcc_graph *g, const char *name);
/* A name not yet used in the graph, derived from `base` (arena-owned). */
const char *qcc_graph_fresh_name(qcc_graph *g, const char *base);

typedef struct qcc_op_spec {
  const qcc_op_def *def;
  const char *node_name;
  qcc_loc loc;
  uint32_t num_operands;
  qcc_value *const *operands; /* entries may be NULL (omitted optional operand) */
  uint32_t num_results;
  const char *const *result_names; /* may be NULL, entries may be NULL */
  const qcc_type *result_types;    /* may be NULL: results start untyped (rank unknown f32) */
  uint32_t num_attrs;
  const qcc_attr *attrs; /* copied shallowly: payloads must already be in the graph arena */
} qcc_op_spec;

/* Creates an op and appends it (before `before` when non-NULL). NULL on OOM or name clash. */
qcc_op *qcc_op_create(qcc_graph *g, const qcc_op_spec *spec, qcc_op *before);
/* A Constant op producing `k` (copied shallowly). */
qcc_op *qcc_const_create(qcc_graph *g, const char *name, const qcc_const *k, qcc_loc loc,
                         qcc_op *before);

void qcc_op_set_operand(qcc_op *op, uint32_t index, qcc_value *v);
/* Redirects every use of `from` (and graph outputs) to `to`. */
void qcc_value_replace_all_uses(qcc_value *from, qcc_value *to);
bool qcc_value_has_uses(const qcc_value *v);
uint32_t qcc_value_use_count(const qcc_value *v);
/* Gives `v` a new name; false when taken or on OOM. */
bool qcc_value_rename(qcc_value *v, const char *name);
/* Unlinks an op whose results are unused; its result names become free again. */
void qcc_op_erase(qcc_op *op);
void qcc_op_move_before(qcc_op *op, qcc_op *before);

/* The attribute `name` as written on the op, or NULL when absent. */
const qcc_attr *qcc_op_attr(const qcc_op *op, const char *name);
/* Typed reads: the attribute's value, or when absent the default in the op's attribute table
 * (ir/op_registry.h). Reading an attribute the op does not declare, or an absent int, float or
 * string one that has no default, is a bug in qcc and aborts. */
int64_t qcc_op_attr_int(const qcc_op *op, const char *name);
float qcc_op_attr_float(const qcc_op *op, const char *name);
const char *qcc_op_attr_string(const qcc_op *op, const char *name);
/* Number of values (0 when absent without a default); *v set to the array. */
uint32_t qcc_op_attr_ints(const qcc_op *op, const char *name, const int64_t **v);
uint32_t qcc_op_attr_floats(const qcc_op *op, const char *name, const float **v);

qcc_value *qcc_op_operand(const qcc_op *op, uint32_t i); /* NULL when absent or out of range */
/* The constant payload behind an operand, when it is produced by a Constant op. */
const qcc_const *qcc_value_const(const qcc_value *v);

/* Reassigns dense value ids in program order; returns the number of values. */
uint32_t qcc_graph_renumber(qcc_graph *g);

#define qcc_graph_for_each_op(g, op) for (qcc_op *op = (g)->first; op; op = op->next)

#endif
