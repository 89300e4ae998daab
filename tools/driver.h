/* Pieces of the qcc driver shared by its subcommands. */
#ifndef QCC_TOOLS_DRIVER_H
#define QCC_TOOLS_DRIVER_H

#include "frontend/onnx_loader.h"
#include "ir/diag.h"
#include "ir/graph.h"
#include "passes/pass_manager.h"

enum { QCC_EXIT_OK = 0, QCC_EXIT_BAD_INPUT = 1, QCC_EXIT_USAGE = 2 };

enum { QCC_MAX_SHAPE_OPTIONS = 32, QCC_SHAPE_NAME_MAX = 256 };

typedef struct qcc_model_options {
  qcc_shape_binding shapes[QCC_MAX_SHAPE_OPTIONS];
  char shape_names[QCC_MAX_SHAPE_OPTIONS][QCC_SHAPE_NAME_MAX];
  uint32_t num_shapes;
} qcc_model_options;

/* Loads a .qir or ONNX model (chosen by extension, else by content). */
qcc_status qcc_driver_load_model(const char *path, const qcc_model_options *opts, qcc_diag *diag,
                                 qcc_graph **out);
/* Adds a "NAME=AxBxC" binding to `opts`; false on bad syntax or too many bindings. */
bool qcc_driver_add_shape(qcc_model_options *opts, const char *arg);
/* Prints a usage error and returns QCC_EXIT_USAGE. */
int qcc_driver_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

enum { QCC_MAX_DIM_BINDINGS = 32 };

/* `--dim NAME=VALUE`: the symbolic dim NAME has size VALUE everywhere in the graph. */
typedef struct qcc_dim_binding {
  char name[QCC_SHAPE_NAME_MAX];
  int64_t size;
} qcc_dim_binding;

/* The pass flags of both subcommands: -O0..-O3, --passes=a,b,c, --qdq-fusion (ONNX Runtime's
 * pipeline), --print-before=P, --print-after=P, --print-after-all, --verify-each, --time-passes,
 * --stats, --no-residual-quant (leave residual-quant out of whatever pipeline runs),
 * --report=quant and -Werror=float-fallback (passes/quant_report.h), and --dim NAME=VALUE
 * (bound before the pipeline runs). The last pipeline flag wins. */
typedef struct qcc_pass_flags {
  qcc_dim_binding dims[QCC_MAX_DIM_BINDINGS];
  uint32_t num_dims;
  qcc_pipeline pipeline;
  bool pipeline_set;
  int opt_level; /* -1 unless an -O flag was given */
  qcc_pass_options options;
  bool stats;
  bool no_residual_quant;
  bool print_plan;   /* --print-memory-plan */
  bool report_quant; /* --report=quant */
  bool werror_float; /* -Werror=float-fallback: the report's findings are errors */
} qcc_pass_flags;

/* Looks at argv[*i]: 1 when it is a pass flag (consumed, with its argument when the flag takes
 * the next one: *i then moves past it), 0 when it is not, -1 after a usage error. */
int qcc_pass_flags_parse(qcc_pass_flags *f, int argc, char **argv, int *i);
/* Binds the --dim symbols, then runs the pipeline with the instrumentation the flags ask for
 * (--stats goes to stderr). A --dim symbol the graph does not have is a usage error
 * (QCC_ERR_USAGE). */
qcc_status qcc_pass_flags_run(qcc_graph *g, const qcc_pass_flags *f, qcc_diag *diag);

int qcc_cmd_run(int argc, char **argv);
int qcc_cmd_compile(int argc, char **argv);
int qcc_cmd_quantize(int argc, char **argv);

#endif
