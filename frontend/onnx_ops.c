/* Which ONNX nodes and opsets the loader accepts. */
#include "frontend/onnx_internal.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Opsets before 10 are accepted for the ops whose meaning did not change since (the ONNX
 * backend tests still ship such models); legacy attributes are reported as unknown. */
enum { MIN_OPSET = 1, MAX_OPSET = 20 };

bool onnx_is_default_domain(const char *d) { return !d || !*d || strcmp(d, "ai.onnx") == 0; }

const qcc_op_def *onnx_lookup_node_def(const Onnx__NodeProto *n) {
  const char *op_type = onnx_str_or_empty(n->op_type);
  const qcc_op_def *def = qcc_op_lookup(op_type);
  if (!def)
    return NULL;
  if (onnx_is_default_domain(n->domain))
    return def->domain[0] == '\0' ? def : NULL;
  if (strcmp(n->domain, "com.microsoft") == 0)
    return strcmp(def->domain, "com.microsoft") == 0 ? def : NULL;
  return NULL;
}

bool onnx_node_is_constant(const Onnx__NodeProto *n) {
  return onnx_is_default_domain(n->domain) && n->op_type && strcmp(n->op_type, "Constant") == 0;
}

qcc_status onnx_check_supported_ops(loader *L) {
  const Onnx__GraphProto *gp = L->gp;
  size_t n = gp->n_node;
  /* For each node: index of the first node with the same (domain, op_type), if unsupported. */
  uint32_t *first = malloc((n ? n : 1) * sizeof(uint32_t));
  uint32_t *count = calloc(n ? n : 1, sizeof(uint32_t));
  if (!first || !count) {
    free(first);
    free(count);
    return onnx_nomem(L);
  }
  name_map kinds;
  if (!onnx_map_init(&kinds, n)) {
    free(first);
    free(count);
    return onnx_nomem(L);
  }
  /* Keys are "domain\x1fop_type"; heap copies freed below. */
  char **keys = calloc(n ? n : 1, sizeof(char *));
  bool any = false, failed = false;
  for (size_t i = 0; keys && i < n; ++i) {
    const Onnx__NodeProto *node = gp->node[i];
    first[i] = UINT32_MAX;
    if (onnx_node_is_constant(node) || onnx_lookup_node_def(node))
      continue;
    const char *dom = onnx_is_default_domain(node->domain) ? "" : node->domain;
    const char *op = onnx_str_or_empty(node->op_type);
    size_t klen = strlen(dom) + 1 + strlen(op) + 1;
    if (!(keys[i] = malloc(klen))) {
      failed = true;
      break;
    }
    snprintf(keys[i], klen, "%s\x1f%s", dom, op);
    const name_entry *e = onnx_map_insert(&kinds, keys[i], NAME_NODE, (uint32_t)i);
    first[i] = e ? e->index : (uint32_t)i;
    count[first[i]]++;
    any = true;
  }
  qcc_status st = QCC_OK;
  if (!keys || failed) {
    st = onnx_nomem(L);
  } else if (any) {
    /* Build the message in a growing buffer. */
    size_t cap = 256, len = 0;
    char *msg = malloc(cap);
    for (size_t i = 0; msg && i < n; ++i) {
      if (first[i] != i)
        continue;
      const Onnx__NodeProto *node = gp->node[i];
      char part[512];
      int m = snprintf(part, sizeof part, "%s%s%s%.200s (%u node%s: ", len ? ", " : "",
                       onnx_is_default_domain(node->domain) ? "" : node->domain,
                       onnx_is_default_domain(node->domain) ? "" : "::",
                       onnx_str_or_empty(node->op_type), count[i], count[i] == 1 ? "" : "s");
      uint32_t shown = 0;
      for (size_t j = i; j < n && shown < 3 && m > 0 && (size_t)m < sizeof part; ++j)
        if (first[j] == i)
          m += snprintf(part + m, sizeof part - (size_t)m, "%s'%.80s'", shown++ ? ", " : "",
                        L->node_names[j]);
      if (m > 0 && (size_t)m < sizeof part)
        m += snprintf(part + m, sizeof part - (size_t)m, "%s)", count[i] > 3 ? ", ..." : "");
      if (m < 0 || (size_t)m >= sizeof part)
        m = (int)strlen(part);
      while (len + (size_t)m + 1 > cap) {
        cap *= 2;
        char *grown = realloc(msg, cap);
        if (!grown) {
          free(msg);
          msg = NULL;
          break;
        }
        msg = grown;
      }
      if (msg) {
        memcpy(msg + len, part, (size_t)m);
        len += (size_t)m;
        msg[len] = '\0';
      }
    }
    if (!msg) {
      st = onnx_nomem(L);
    } else {
      qcc_diag_error(L->diag, onnx_file_loc(L), "unsupported operators: %s", msg);
      free(msg);
      st = QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; keys && i < n; ++i)
    free(keys[i]);
  free(keys);
  free(kinds.slots);
  free(first);
  free(count);
  return st;
}

qcc_status onnx_check_opsets(loader *L, const Onnx__ModelProto *m) {
  bool found = false;
  for (size_t i = 0; i < m->n_opset_import; ++i) {
    const Onnx__OperatorSetIdProto *o = m->opset_import[i];
    if (!onnx_is_default_domain(o->domain))
      continue; /* com.microsoft, ai.onnx.ml, ...: only ops actually used matter */
    if (o->version < MIN_OPSET || o->version > MAX_OPSET) {
      qcc_diag_error(L->diag, onnx_file_loc(L),
                     "unsupported opset version %" PRId64 " for the default domain (supported: "
                     "%d to %d)",
                     o->version, MIN_OPSET, MAX_OPSET);
      return QCC_ERR_INPUT;
    }
    found = true;
    L->opset = o->version;
  }
  if (!found) {
    qcc_diag_error(L->diag, onnx_file_loc(L), "model does not import the default ONNX opset");
    return QCC_ERR_INPUT;
  }
  return QCC_OK;
}

/* Forms of the ops whose signature changed within the supported opsets. */
static const struct {
  qcc_op_kind kind;
  int64_t since;
} first_opset[] = {
    {QCC_OP_Expand, 8}, {QCC_OP_Where, 9}, {QCC_OP_Erf, 9}, {QCC_OP_LayerNormalization, 17},
    {QCC_OP_Gelu, 20},
};

/* Attributes that became operand `operand` at opset `since`. */
static const struct {
  qcc_op_kind kind;
  const char *attr;
  uint32_t operand;
  int64_t since;
} moved[] = {
    {QCC_OP_ReduceSum, "axes", 1, 13},
    {QCC_OP_ReduceMean, "axes", 1, 18},
    {QCC_OP_ReduceMax, "axes", 1, 18},
    {QCC_OP_Split, "split", 1, 13},
};

/* Attributes added at opset `since`. */
static const struct {
  qcc_op_kind kind;
  const char *attr;
  int64_t since;
} added[] = {
    {QCC_OP_ReduceSum, "noop_with_empty_axes", 13},
    {QCC_OP_ReduceMean, "noop_with_empty_axes", 18},
    {QCC_OP_ReduceMax, "noop_with_empty_axes", 18},
    {QCC_OP_Split, "num_outputs", 18},
};

static bool node_has_attr(const Onnx__NodeProto *n, const char *name) {
  for (size_t i = 0; i < n->n_attribute; ++i)
    if (strcmp(onnx_str_or_empty(n->attribute[i]->name), name) == 0)
      return true;
  return false;
}

qcc_status onnx_check_node_form(loader *L, size_t index, const qcc_op_def *def) {
  const Onnx__NodeProto *n = L->gp->node[index];
  qcc_loc loc = onnx_node_loc(L, index);
  for (size_t i = 0; i < sizeof first_opset / sizeof first_opset[0]; ++i)
    if (first_opset[i].kind == def->kind && L->opset < first_opset[i].since) {
      qcc_diag_error(L->diag, loc, "%s exists from opset %lld on; the model imports opset %lld",
                     def->name, (long long)first_opset[i].since, (long long)L->opset);
      return QCC_ERR_INPUT;
    }
  for (size_t i = 0; i < sizeof moved / sizeof moved[0]; ++i) {
    if (moved[i].kind != def->kind)
      continue;
    bool as_attr = node_has_attr(n, moved[i].attr);
    bool as_operand =
        n->n_input > moved[i].operand && n->input[moved[i].operand] && *n->input[moved[i].operand];
    bool new_form = L->opset >= moved[i].since;
    if ((as_attr && new_form) || (as_operand && !new_form)) {
      qcc_diag_error(L->diag, loc,
                     "%s takes '%s' as an attribute before opset %lld and as input %u from then "
                     "on; the model imports opset %lld",
                     def->name, moved[i].attr, (long long)moved[i].since, moved[i].operand,
                     (long long)L->opset);
      return QCC_ERR_INPUT;
    }
  }
  for (size_t i = 0; i < sizeof added / sizeof added[0]; ++i)
    if (added[i].kind == def->kind && L->opset < added[i].since &&
        node_has_attr(n, added[i].attr)) {
      qcc_diag_error(L->diag, loc,
                     "%s has the attribute '%s' from opset %lld on; the model imports opset %lld",
                     def->name, added[i].attr, (long long)added[i].since, (long long)L->opset);
      return QCC_ERR_INPUT;
    }
  return QCC_OK;
}
