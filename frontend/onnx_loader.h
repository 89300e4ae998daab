/* ONNX ModelProto -> qcc graph. */
#ifndef QCC_FRONTEND_ONNX_LOADER_H
#define QCC_FRONTEND_ONNX_LOADER_H

#include <stdint.h>

#include "ir/diag.h"
#include "ir/graph.h"

/* `--shape NAME=AxBxC`: binds the dims of graph input NAME (or a symbolic dim named NAME
 * when rank is 1 and no input has that name). */
typedef struct qcc_shape_binding {
  const char *name;
  int32_t rank;
  int64_t dims[QCC_MAX_RANK];
} qcc_shape_binding;

typedef struct qcc_onnx_options {
  const qcc_shape_binding *shapes;
  uint32_t num_shapes;
} qcc_onnx_options;

qcc_status qcc_load_onnx_file(const char *path, const qcc_onnx_options *opts, qcc_diag *diag,
                              qcc_graph **out);

#endif
