/* Private to the ONNX front end: TensorProto <-> qcc_const and element type mapping. */
#ifndef QCC_FRONTEND_ONNX_TENSOR_H
#define QCC_FRONTEND_ONNX_TENSOR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/diag.h"
#include "ir/graph.h"
#include "onnx.pb-c.h"

/* Files bigger than this are refused before reading (protobuf cannot describe more anyway). */
#define QCC_ONNX_MAX_FILE_BYTES ((uint64_t)2 << 30)

/* TensorProto.DataType -> qcc element; false for types qcc does not support. */
bool qcc_onnx_elem_from_dtype(int32_t dtype, qcc_elem *out);
int32_t qcc_onnx_dtype_from_elem(qcc_elem e);
/* "FLOAT", "DOUBLE", ... or "type <n>" for unknown codes (buf needs 24 bytes). */
const char *qcc_onnx_dtype_name(int32_t dtype, char *buf);

/* Decodes `t` (raw_data, typed fields or external data resolved against `base_dir`) into a
 * constant whose type and payload live in `arena`. `what` names the tensor in errors, which
 * are reported at `loc`. */
qcc_status qcc_onnx_decode_tensor(const Onnx__TensorProto *t, const char *what,
                                  const char *base_dir, qcc_arena *arena, qcc_diag *diag,
                                  qcc_loc loc, qcc_const *out);

/* Reads a whole file of at most QCC_ONNX_MAX_FILE_BYTES into a malloc'ed buffer. Errors are
 * reported at `loc` and return QCC_ERR_IO (cannot open/read) or QCC_ERR_INPUT (too big). */
qcc_status qcc_onnx_read_file(const char *path, qcc_diag *diag, qcc_loc loc, uint8_t **data,
                              size_t *size);

#endif
