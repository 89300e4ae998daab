#include "ir/dot_printer.h"

#include "ir/op_registry.h"

/* A DOT double-quoted string body: quotes and backslashes escaped. */
static void print_escaped(FILE *out, const char *s) {
  for (; *s; ++s) {
    if (*s == '"' || *s == '\\')
      fputc('\\', out);
    fputc(*s, out);
  }
}

static void print_value_label(FILE *out, const qcc_value *v) {
  char type[256];
  qcc_type_format(v->type, type, sizeof type);
  fputc('%', out);
  print_escaped(out, v->name);
  fputs("\\n", out);
  print_escaped(out, type);
  if (v->layout != QCC_LAYOUT_ROW_MAJOR)
    fprintf(out, "{%s}", qcc_layout_name(v->layout));
}

/* The DOT node that defines `v`: its op, or the graph input. */
static void print_source(FILE *out, const qcc_value *v) {
  if (v->def)
    fprintf(out, "op%u", v->def->results[0]->id);
  else
    fprintf(out, "in%u", v->id);
}

void qcc_print_dot(FILE *out, const qcc_graph *g) {
  /* Ids name the nodes; renumbering is the graph's own bookkeeping, not a change to it. */
  qcc_graph_renumber((qcc_graph *)g);
  fputs("digraph \"", out);
  print_escaped(out, g->name ? g->name : "graph");
  fputs("\" {\n  node [shape=box, fontname=\"monospace\"];\n  edge [fontname=\"monospace\", "
        "fontsize=10];\n",
        out);
  for (uint32_t i = 0; i < g->num_inputs; ++i) {
    fprintf(out, "  in%u [shape=ellipse, label=\"", g->inputs[i]->id);
    print_value_label(out, g->inputs[i]);
    fputs("\"];\n", out);
  }
  qcc_graph_for_each_op(g, op) {
    if (!op->num_results)
      continue;
    bool is_const = qcc_op_is(op, QCC_OP_Constant);
    fprintf(out, "  op%u [", op->results[0]->id);
    if (is_const) {
      fputs("shape=note, color=grey, fontcolor=grey, fontsize=9, label=\"", out);
      print_value_label(out, op->results[0]);
    } else {
      fputs("label=\"", out);
      print_escaped(out, op->def->name);
      if (op->name) {
        fputs("\\n", out);
        print_escaped(out, op->name);
      }
    }
    fputs("\"];\n", out);
    for (uint32_t k = 0; k < op->num_operands; ++k) {
      const qcc_value *v = op->operands[k].value;
      if (!v)
        continue;
      fputs("  ", out);
      print_source(out, v);
      fprintf(out, " -> op%u [label=\"", op->results[0]->id);
      if (!(v->def && qcc_op_is(v->def, QCC_OP_Constant)))
        print_value_label(out, v);
      fputs(v->def && qcc_op_is(v->def, QCC_OP_Constant) ? "\", color=grey];\n" : "\"];\n", out);
    }
  }
  for (uint32_t i = 0; i < g->num_outputs; ++i) {
    const qcc_value *v = g->outputs[i];
    fprintf(out, "  out%u [shape=ellipse, label=\"return\"];\n  ", i);
    print_source(out, v);
    fprintf(out, " -> out%u [label=\"", i);
    print_value_label(out, v);
    fputs("\"];\n", out);
  }
  fputs("}\n", out);
}
