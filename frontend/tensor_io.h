/* Tensor files for `qcc run`: NumPy .npy (read/write) and ONNX TensorProto .pb (read). */
#ifndef QCC_FRONTEND_TENSOR_IO_H
#define QCC_FRONTEND_TENSOR_IO_H

#include "ir/diag.h"
#include "ir/tensor.h"

/* Reads a .npy or (by content) a serialized TensorProto. Errors are reported as
 * "FILE: error: ..." and *out is NULL. */
qcc_status qcc_read_tensor_file(const char *path, qcc_diag *diag, qcc_tensor **out);
qcc_status qcc_write_npy(const char *path, const qcc_tensor *t, qcc_diag *diag);

#endif
