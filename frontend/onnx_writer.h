/* qcc graph -> ONNX ModelProto (--emit=onnx). */
#ifndef QCC_FRONTEND_ONNX_WRITER_H
#define QCC_FRONTEND_ONNX_WRITER_H

#include "ir/diag.h"
#include "ir/graph.h"

qcc_status qcc_write_onnx_file(const qcc_graph *g, const char *path, qcc_diag *diag);

#endif
