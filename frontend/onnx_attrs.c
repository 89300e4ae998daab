/* ONNX AttributeProto -> qcc_attr. */
#include "frontend/onnx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend/onnx_tensor.h"

/* ---- attributes ------------------------------------------------------------------------------ */

qcc_status onnx_convert_attr(loader *L, size_t node_index, const Onnx__AttributeProto *a,
                             qcc_attr *out) {
  qcc_arena *arena = L->g->arena;
  qcc_loc loc = onnx_node_loc(L, node_index);
  const char *name = onnx_str_or_empty(a->name);
  if (!*name) {
    qcc_diag_error(L->diag, loc, "attribute without a name");
    return QCC_ERR_INPUT;
  }
  if (a->ref_attr_name && *a->ref_attr_name) {
    qcc_diag_error(L->diag, loc, "attribute '%s' refers to a function attribute", name);
    return QCC_ERR_INPUT;
  }
  if (!(out->name = qcc_arena_strdup(arena, name)))
    return onnx_nomem(L);
  Onnx__AttributeProto__AttributeType type = a->has_type ? a->type : 0;
  if (type == ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__UNDEFINED) {
    /* Very old IR versions left `type` out; infer it from the field in use. */
    if (a->has_f)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT;
    else if (a->has_i)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT;
    else if (a->has_s)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING;
    else if (a->t)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR;
    else if (a->n_floats)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS;
    else if (a->n_ints)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS;
    else if (a->n_strings)
      type = ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS;
  }
  switch (type) {
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOAT:
    out->kind = QCC_ATTR_FLOAT;
    out->f = a->f;
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INT:
    out->kind = QCC_ATTR_INT;
    out->i = a->i;
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRING:
    out->kind = QCC_ATTR_STRING;
    if (a->s.len && memchr(a->s.data, 0, a->s.len)) {
      qcc_diag_error(L->diag, loc, "attribute '%s': string contains a NUL byte", name);
      return QCC_ERR_INPUT;
    }
    if (!(out->s = qcc_arena_strndup(arena, a->s.len ? (const char *)a->s.data : "", a->s.len)))
      return onnx_nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__INTS:
    if (a->n_ints > UINT32_MAX)
      break;
    out->kind = QCC_ATTR_INTS;
    out->ints.n = (uint32_t)a->n_ints;
    if (!(out->ints.v = qcc_arena_memdup(arena, a->ints, a->n_ints * sizeof(int64_t))))
      return onnx_nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__FLOATS:
    if (a->n_floats > UINT32_MAX)
      break;
    out->kind = QCC_ATTR_FLOATS;
    out->floats.n = (uint32_t)a->n_floats;
    if (!(out->floats.v = qcc_arena_memdup(arena, a->floats, a->n_floats * sizeof(float))))
      return onnx_nomem(L);
    return QCC_OK;
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__STRINGS: {
    if (a->n_strings > UINT32_MAX)
      break;
    const char **v = qcc_arena_alloc_array(arena, a->n_strings + 1, sizeof(char *));
    if (!v)
      return onnx_nomem(L);
    for (size_t i = 0; i < a->n_strings; ++i) {
      const ProtobufCBinaryData *s = &a->strings[i];
      if (s->len && memchr(s->data, 0, s->len)) {
        qcc_diag_error(L->diag, loc, "attribute '%s': string contains a NUL byte", name);
        return QCC_ERR_INPUT;
      }
      if (!(v[i] = qcc_arena_strndup(arena, s->len ? (const char *)s->data : "", s->len)))
        return onnx_nomem(L);
    }
    out->kind = QCC_ATTR_STRINGS;
    out->strings.v = v;
    out->strings.n = (uint32_t)a->n_strings;
    return QCC_OK;
  }
  case ONNX__ATTRIBUTE_PROTO__ATTRIBUTE_TYPE__TENSOR: {
    if (!a->t)
      break;
    qcc_const *k = qcc_arena_alloc(arena, sizeof(*k));
    if (!k)
      return onnx_nomem(L);
    char what[160];
    snprintf(what, sizeof what, "%.120s.%.30s", L->node_names[node_index], name);
    qcc_status st = qcc_onnx_decode_tensor(a->t, what, L->base_dir, arena, L->diag, loc, k);
    if (st != QCC_OK)
      return st;
    out->kind = QCC_ATTR_TENSOR;
    out->tensor = k;
    return QCC_OK;
  }
  default: {
    static const char *const kinds[] = {
        "UNDEFINED",      "FLOAT",      "INT",        "STRING",  "TENSOR", "GRAPH",
        "FLOATS",         "INTS",       "STRINGS",    "TENSORS", "GRAPHS", "SPARSE_TENSOR",
        "SPARSE_TENSORS", "TYPE_PROTO", "TYPE_PROTOS"};
    const char *kname = (unsigned)type < sizeof kinds / sizeof kinds[0] ? kinds[type] : "unknown";
    qcc_diag_error(L->diag, loc, "attribute '%s' has unsupported type %s", name, kname);
    return QCC_ERR_INPUT;
  }
  }
  qcc_diag_error(L->diag, loc, "attribute '%s' is malformed", name);
  return QCC_ERR_INPUT;
}
