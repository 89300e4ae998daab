#include "ir/layout.h"

#include <string.h>

static const char *const layout_names[QCC_LAYOUT_COUNT] = {
    [QCC_LAYOUT_ROW_MAJOR] = "row_major",
    [QCC_LAYOUT_NHWC] = "nhwc",
};

const char *qcc_layout_name(qcc_layout l) {
  return (unsigned)l < QCC_LAYOUT_COUNT ? layout_names[l] : "?";
}

bool qcc_layout_from_name(const char *name, size_t len, qcc_layout *out) {
  for (int l = 0; l < QCC_LAYOUT_COUNT; ++l) {
    if (strlen(layout_names[l]) == len && memcmp(layout_names[l], name, len) == 0) {
      *out = (qcc_layout)l;
      return true;
    }
  }
  return false;
}

bool qcc_layout_fits(qcc_layout l, qcc_type t) {
  switch (l) {
  case QCC_LAYOUT_ROW_MAJOR: return true;
  case QCC_LAYOUT_NHWC: return t.rank == 4;
  default: return false;
  }
}

bool qcc_layout_same_bytes(qcc_type t, qcc_layout a, qcc_layout b) {
  if (a == b)
    return true;
  if (t.rank != 4)
    return false;
  for (int i = 0; i < 4; ++i)
    if (t.dims[i].size == 0)
      return true;
  /* NHWC offset ((n*H + h)*W + w)*C + c and row-major ((n*C + c)*H + h)*W + w coincide when
   * C == 1 or H == W == 1. */
  bool c1 = t.dims[1].size == 1;
  bool hw1 = t.dims[2].size == 1 && t.dims[3].size == 1;
  return c1 || hw1;
}
