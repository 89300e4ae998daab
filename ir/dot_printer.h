/* Graphviz printer (--emit=dot): one node per graph input, op and output, one edge per use,
 * labelled with the value's name and type, quantization included, so a drawing shows where a
 * graph is integer and where it is float. Constants are drawn small and grey. */
#ifndef QCC_IR_DOT_PRINTER_H
#define QCC_IR_DOT_PRINTER_H

#include <stdio.h>

#include "ir/graph.h"

void qcc_print_dot(FILE *out, const qcc_graph *g);

#endif
