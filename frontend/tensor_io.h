/* Tensor files for `qcc run`: NumPy .npy (read/write) and ONNX TensorProto .pb (read). */
#ifndef QCC_FRONTEND_TENSOR_IO_H
#define QCC_FRONTEND_TENSOR_IO_H

#include "ir/diag.h"
#include "ir/tensor.h"

/* Reads a .npy or (by content) a serialized TensorProto. Errors are reported as
 * "FILE: error: ..." and *out is NULL. */
qcc_status qcc_read_tensor_file(const char *path, qcc_diag *diag, qcc_tensor **out);
/* A .npy file read by rows of its leading dimension (calibration samples, streamed in batches:
 * memory holds one batch, whatever the file's size). */
typedef struct qcc_npy_reader qcc_npy_reader;
qcc_status qcc_npy_open(const char *path, qcc_diag *diag, qcc_npy_reader **out);
void qcc_npy_shape(const qcc_npy_reader *r, qcc_elem *elem, int32_t *rank, int64_t *dims);
/* Rows [r0, r0 + n) as a new tensor (dims[0] = n). */
qcc_status qcc_npy_read_rows(qcc_npy_reader *r, int64_t r0, int64_t n, qcc_diag *diag,
                             qcc_tensor **out);
void qcc_npy_close(qcc_npy_reader *r);
qcc_status qcc_write_npy(const char *path, const qcc_tensor *t, qcc_diag *diag);

#endif
