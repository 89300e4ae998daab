/* Types of ONNX graph inputs, with --shape bindings applied. */
#include "frontend/onnx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"

/* ---- types ----------------------------------------------------------------------------------- */

/* dim_param -> [A-Za-z0-9_] identifier not starting with a digit. */
static const char *sanitize_symbol(qcc_arena *a, const char *s) {
  size_t n = strlen(s);
  char *out = qcc_arena_alloc(a, n + 2);
  if (!out)
    return NULL;
  size_t k = 0;
  if (s[0] >= '0' && s[0] <= '9')
    out[k++] = '_';
  for (size_t i = 0; i < n; ++i) {
    char c = s[i];
    bool ok =
        (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
    out[k++] = ok ? c : '_';
  }
  out[k] = '\0';
  return out;
}

const qcc_shape_binding *onnx_find_binding(const loader *L, const char *name, size_t *idx) {
  if (!L->opts)
    return NULL;
  for (uint32_t i = 0; i < L->opts->num_shapes; ++i)
    if (L->opts->shapes[i].name && strcmp(L->opts->shapes[i].name, name) == 0) {
      *idx = i;
      return &L->opts->shapes[i];
    }
  return NULL;
}

/* Type of a graph input from its ValueInfo, with --shape bindings applied. */
qcc_status onnx_input_type(loader *L, const Onnx__ValueInfoProto *vi, qcc_type *out) {
  const char *name = onnx_str_or_empty(vi->name);
  qcc_loc loc = onnx_file_loc(L);
  const Onnx__TypeProto *tp = vi->type;
  if (!tp || tp->value_case != ONNX__TYPE_PROTO__VALUE_TENSOR_TYPE || !tp->tensor_type) {
    qcc_diag_error(L->diag, loc, "graph input '%s' is not a tensor", name);
    return QCC_ERR_INPUT;
  }
  const Onnx__TypeProto__Tensor *tt = tp->tensor_type;
  qcc_elem elem;
  char buf[24];
  if (!tt->has_elem_type || !qcc_onnx_elem_from_dtype(tt->elem_type, &elem)) {
    qcc_diag_error(L->diag, loc, "graph input '%s' has unsupported element type %s", name,
                   qcc_onnx_dtype_name(tt->has_elem_type ? tt->elem_type : 0, buf));
    return QCC_ERR_INPUT;
  }
  int32_t rank = QCC_RANK_UNKNOWN;
  qcc_dim *dims = NULL;
  if (tt->shape) {
    if (tt->shape->n_dim > QCC_MAX_RANK) {
      qcc_diag_error(L->diag, loc, "graph input '%s' has rank %zu; at most %d is supported", name,
                     tt->shape->n_dim, QCC_MAX_RANK);
      return QCC_ERR_INPUT;
    }
    rank = (int32_t)tt->shape->n_dim;
    if (!(dims = qcc_arena_alloc_array(L->g->arena, (size_t)rank + 1, sizeof(qcc_dim))))
      return onnx_nomem(L);
    for (int32_t i = 0; i < rank; ++i) {
      const Onnx__TensorShapeProto__Dimension *d = tt->shape->dim[i];
      dims[i] = (qcc_dim){.size = -1, .sym = NULL};
      if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_VALUE) {
        if (d->dim_value < 0) {
          qcc_diag_error(L->diag, loc,
                         "graph input '%s' has negative dimension %" PRId64 " at index %d", name,
                         d->dim_value, i);
          return QCC_ERR_INPUT;
        }
        dims[i].size = d->dim_value;
      } else if (d->value_case == ONNX__TENSOR_SHAPE_PROTO__DIMENSION__VALUE_DIM_PARAM &&
                 d->dim_param && *d->dim_param) {
        const char *sym = sanitize_symbol(L->g->arena, d->dim_param);
        if (!sym)
          return onnx_nomem(L);
        /* The binding may use the symbol as written in the model or as qcc prints it. */
        size_t bi, unused;
        const qcc_shape_binding *b = onnx_find_binding(L, d->dim_param, &bi);
        if (!b)
          b = onnx_find_binding(L, sym, &bi);
        if (b && !onnx_find_binding(L, name, &unused) && !onnx_map_find(&L->names, b->name)) {
          /* A binding named like the symbol (and no input) fixes it everywhere. */
          if (b->rank != 1 || b->dims[0] < 0) {
            qcc_diag_error(L->diag, loc, "--shape %s: a symbolic dimension takes exactly one size",
                           b->name);
            return QCC_ERR_INPUT;
          }
          dims[i].size = b->dims[0];
          L->binding_used[bi] = true;
        } else {
          dims[i].sym = sym;
        }
      }
    }
  }
  size_t bi;
  const qcc_shape_binding *b = onnx_find_binding(L, name, &bi);
  if (b) {
    if (b->rank < 0 || b->rank > QCC_MAX_RANK || (rank >= 0 && b->rank != rank)) {
      qcc_diag_error(L->diag, loc, "--shape %s: rank %d does not match the input's rank %d", name,
                     b->rank, rank);
      return QCC_ERR_INPUT;
    }
    for (int32_t i = 0; i < b->rank; ++i)
      if (b->dims[i] < 0) {
        qcc_diag_error(L->diag, loc, "--shape %s: negative dimension", name);
        return QCC_ERR_INPUT;
      }
    rank = b->rank;
    if (!(dims = qcc_arena_alloc_array(L->g->arena, (size_t)rank + 1, sizeof(qcc_dim))))
      return onnx_nomem(L);
    for (int32_t i = 0; i < rank; ++i)
      dims[i] = (qcc_dim){.size = b->dims[i], .sym = NULL};
    L->binding_used[bi] = true;
  }
  *out = (qcc_type){.elem = elem, .rank = rank, .dims = dims};
  return QCC_OK;
}
