/* Deterministic .qir printer: parse(print(g)) prints identically. */
#ifndef QCC_IR_PRINTER_H
#define QCC_IR_PRINTER_H

#include <stdio.h>

#include "ir/graph.h"

/* Constants with at most this many elements print as dense literals, larger ones as hex. */
#define QCC_PRINT_DENSE_LIMIT 16

void qcc_print_graph(FILE *out, const qcc_graph *g);
/* Pieces used by the printer, exposed for diagnostics and tools. */
void qcc_print_value_name(FILE *out, const char *name);
/* The value's type and, unless it is row-major, its layout: `u8[1,16,8,8]{nhwc}`. */
void qcc_print_value_type(FILE *out, const qcc_value *v);
void qcc_print_const_payload(FILE *out, const qcc_const *k);
void qcc_print_attr_value(FILE *out, const qcc_attr *a);

#endif
