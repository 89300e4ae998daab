/* NumPy .npy files for the exe driver (runtime/exe/qcc_exe_main.c): read (format versions 1 to
 * 3, little-endian, C order) and write (version 1, the layout numpy.save and `qcc run` write). */
#ifndef QCC_EXE_NPY_H
#define QCC_EXE_NPY_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "qcc_model.h"

enum { EXE_NPY_MAX_RANK = 16 };

typedef struct exe_npy {
  char descr[16]; /* as written in the file, e.g. "<f4" */
  int32_t dtype;  /* qcc_rt_dtype, 0 when descr is none of them */
  int32_t rank;
  int64_t dims[EXE_NPY_MAX_RANK];
  size_t data_offset; /* where the elements start */
  uint64_t data_bytes;
} exe_npy;

/* The descr numpy writes for a qcc_rt_dtype ("<f4", "|u1", ...), or "?" for an unknown one; and
 * numpy's name of that type ("float32", "uint8", ...). */
const char *exe_npy_descr(int32_t dtype);
const char *exe_npy_type_name(int32_t dtype);

/* Reads the header of an open .npy file (positioned at its start), leaving the file at the first
 * element, and checks that the rest of the file has exactly the bytes its shape and dtype need
 * (for a dtype qcc knows). On error returns -1 with a message in err. */
int exe_npy_read_header(FILE *f, exe_npy *out, char *err, size_t err_cap);

/* Writes a tensor as a version-1 .npy file; -1 with a message on error. */
int exe_npy_write(const char *path, int32_t dtype, int32_t rank, const int64_t *dims,
                  const void *data, uint64_t bytes, char *err, size_t err_cap);

/* "(2, 3)", "(5,)" or "()" into buf. */
void exe_npy_format_shape(int32_t rank, const int64_t *dims, char *buf, size_t cap);

#endif
