#include "ir/printer.h"

#include <stdlib.h>
#include <string.h>

#include "ir/op_registry.h"
#include "ir/tensor.h"

static bool is_bare_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '$' || c == '/' || c == '-';
}

static void print_quoted(FILE *out, const char *s) {
  fputc('"', out);
  for (const unsigned char *p = (const unsigned char *)s; *p; ++p) {
    if (*p == '"' || *p == '\\')
      fprintf(out, "\\%c", *p);
    else if (*p == '\n')
      fputs("\\n", out);
    else if (*p == '\t')
      fputs("\\t", out);
    else if (*p < 0x20 || *p == 0x7f)
      fprintf(out, "\\x%02x", *p);
    else
      fputc(*p, out);
  }
  fputc('"', out);
}

/* Bare when every character is a name character, quoted otherwise. */
static void print_symbol(FILE *out, const char *s) {
  bool bare = *s != '\0';
  for (const char *p = s; *p && bare; ++p)
    bare = is_bare_char(*p);
  if (bare)
    fputs(s, out);
  else
    print_quoted(out, s);
}

void qcc_print_value_name(FILE *out, const char *name) {
  fputc('%', out);
  print_symbol(out, name);
}

void qcc_print_value_type(FILE *out, const qcc_value *v) {
  qcc_type_print(out, v->type);
  if (v->layout != QCC_LAYOUT_ROW_MAJOR)
    fprintf(out, "{%s}", qcc_layout_name(v->layout));
}

static void print_scalar(FILE *out, qcc_elem elem, const unsigned char *p) {
  char buf[32];
  switch (elem) {
  case QCC_F32: {
    float f;
    memcpy(&f, p, 4);
    qcc_format_float(f, buf);
    fputs(buf, out);
    break;
  }
  case QCC_F16: {
    uint16_t h;
    memcpy(&h, p, 2);
    qcc_format_float(qcc_f16_to_f32(h), buf);
    fputs(buf, out);
    break;
  }
  case QCC_I8: fprintf(out, "%d", (int)*(const int8_t *)p); break;
  case QCC_U8: fprintf(out, "%u", (unsigned)*p); break;
  case QCC_I32: {
    int32_t v;
    memcpy(&v, p, 4);
    fprintf(out, "%d", (int)v);
    break;
  }
  case QCC_I64: {
    int64_t v;
    memcpy(&v, p, 8);
    fprintf(out, "%lld", (long long)v);
    break;
  }
  case QCC_BOOL: fputs(*p ? "true" : "false", out); break;
  default: break;
  }
}

void qcc_print_const_payload(FILE *out, const qcc_const *k) {
  qcc_type_print(out, k->type);
  if (k->file) {
    fputs(" file<", out);
    print_quoted(out, k->file);
    fprintf(out, ", %llu>", (unsigned long long)k->offset);
    return;
  }
  size_t es = qcc_elem_size(k->type.elem);
  size_t n = es ? k->nbytes / es : 0;
  const unsigned char *p = k->data;
  if (n <= QCC_PRINT_DENSE_LIMIT) {
    fputs(" dense<[", out);
    for (size_t i = 0; i < n; ++i) {
      if (i)
        fputs(", ", out);
      print_scalar(out, k->type.elem, p + i * es);
    }
    fputs("]>", out);
    return;
  }
  static const char hex[] = "0123456789abcdef";
  fputs(" hex<\"", out);
  for (size_t i = 0; i < k->nbytes; ++i) {
    fputc(hex[p[i] >> 4], out);
    fputc(hex[p[i] & 15], out);
  }
  fputs("\">", out);
}

void qcc_print_attr_value(FILE *out, const qcc_attr *a) {
  char buf[32];
  switch (a->kind) {
  case QCC_ATTR_INT: fprintf(out, "%lld", (long long)a->i); break;
  case QCC_ATTR_FLOAT:
    qcc_format_float(a->f, buf);
    fputs(buf, out);
    break;
  case QCC_ATTR_STRING: print_quoted(out, a->s); break;
  case QCC_ATTR_INTS:
    fputc('[', out);
    for (uint32_t i = 0; i < a->ints.n; ++i)
      fprintf(out, "%s%lld", i ? ", " : "", (long long)a->ints.v[i]);
    fputc(']', out);
    break;
  case QCC_ATTR_FLOATS:
    fputc('[', out);
    for (uint32_t i = 0; i < a->floats.n; ++i) {
      qcc_format_float(a->floats.v[i], buf);
      fprintf(out, "%s%s", i ? ", " : "", buf);
    }
    fputc(']', out);
    break;
  case QCC_ATTR_STRINGS:
    fputc('[', out);
    for (uint32_t i = 0; i < a->strings.n; ++i) {
      if (i)
        fputs(", ", out);
      print_quoted(out, a->strings.v[i]);
    }
    fputc(']', out);
    break;
  case QCC_ATTR_TENSOR: qcc_print_const_payload(out, a->tensor); break;
  }
}

static int compare_attr_names(const void *x, const void *y) {
  return strcmp((*(const qcc_attr *const *)x)->name, (*(const qcc_attr *const *)y)->name);
}

/* Attributes print sorted by name so equal graphs print equally whatever their source order. */
static void print_attrs(FILE *out, const qcc_op *op) {
  uint32_t n = op->num_attrs;
  if (n == 0)
    return;
  const qcc_attr **sorted = malloc(n * sizeof(*sorted));
  if (sorted) {
    for (uint32_t i = 0; i < n; ++i)
      sorted[i] = &op->attrs[i];
    qsort(sorted, n, sizeof(*sorted), compare_attr_names);
  }
  fputs(" {", out);
  for (uint32_t i = 0; i < n; ++i) {
    const qcc_attr *a = sorted ? sorted[i] : &op->attrs[i];
    fprintf(out, "%s%s = ", i ? ", " : "", a->name);
    qcc_print_attr_value(out, a);
  }
  fputc('}', out);
  free(sorted);
}

static void print_op(FILE *out, const qcc_op *op) {
  fputs("  ", out);
  for (uint32_t r = 0; r < op->num_results; ++r) {
    if (r)
      fputs(", ", out);
    qcc_print_value_name(out, op->results[r]->name);
  }
  fputs(" = ", out);
  if (op->konst) {
    fputs("const ", out);
    qcc_print_const_payload(out, op->konst);
    fputc('\n', out);
    return;
  }
  fputs(op->def->name, out);
  if (op->name) {
    fputs(" @", out);
    print_symbol(out, op->name);
    fputc(' ', out);
  }
  fputc('(', out);
  for (uint32_t i = 0; i < op->num_operands; ++i) {
    if (i)
      fputs(", ", out);
    const qcc_value *v = op->operands[i].value;
    if (v)
      qcc_print_value_name(out, v->name);
    else
      fputs("none", out);
  }
  fputc(')', out);
  print_attrs(out, op);
  fputs(" : ", out);
  for (uint32_t r = 0; r < op->num_results; ++r) {
    if (r)
      fputs(", ", out);
    qcc_print_value_type(out, op->results[r]);
  }
  fputc('\n', out);
}

void qcc_print_graph(FILE *out, const qcc_graph *g) {
  fputs("graph @", out);
  print_symbol(out, g->name);
  fputc('(', out);
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    if (i)
      fputs(", ", out);
    qcc_print_value_name(out, g->inputs[i]->name);
    fputs(": ", out);
    qcc_print_value_type(out, g->inputs[i]);
  }
  fputs(") {\n", out);
  qcc_graph_for_each_op(g, op) print_op(out, op);
  fputs("  return", out);
  for (uint32_t i = 0; i < g->num_outputs; ++i) {
    fputs(i ? ", " : " ", out);
    qcc_print_value_name(out, g->outputs[i]->name);
  }
  fputs("\n}\n", out);
}
