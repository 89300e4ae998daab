/* Shared state of the .qir lexer (qir_lexer.l), grammar (qir_parser.y) and graph builder
 * (qir_build.c). Not a public header: only frontend/qir_*.c and the generated scanner/parser
 * include it. */
#ifndef QCC_FRONTEND_QIR_INTERNAL_H
#define QCC_FRONTEND_QIR_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "ir/arena.h"
#include "ir/diag.h"
#include "ir/graph.h"

/* Source range of a token or rule; byte offsets let diagnostics quote the token text. */
typedef struct qir_loc {
  int first_line, first_column;
  int last_line, last_column;
  size_t first_offset, last_offset;
} qir_loc;

/* Payload literal forms after a constant's type. */
enum { QIR_PAYLOAD_DENSE, QIR_PAYLOAD_HEX, QIR_PAYLOAD_FILE };

/* Semantic value of every token and rule: which fields are meaningful depends on the symbol. */
typedef struct qir_sv {
  const char *str; /* decoded, NUL-terminated (scratch arena); identifiers, names, strings */
  size_t len;
  int64_t i;
  float f;
  int kind; /* payload kind, or literal kind of a number */
  qcc_type type;
  qcc_layout layout; /* value types: the annotation after the shape */
  qir_loc aux;       /* payload: location of the string / dense '<'; layout: its '{' */
  qir_loc aux2;      /* payload: location of the file offset */
} qir_sv;

/* A growable array of fixed-size elements (heap, freed with the context). */
typedef struct qir_vec {
  void *data;
  size_t n, cap, elem_size;
} qir_vec;

/* An opener the lexer has seen and not yet seen closed, for newline handling and EOF notes. */
typedef struct qir_opener {
  char ch;          /* '[', '<' or '{' */
  bool body;        /* the graph body's '{' */
  const char *what; /* "dense<", "hex<", "[", "graph body", ... */
  qir_loc loc;
} qir_opener;

enum { QIR_MAX_OPENERS = 256 };

/* A dense literal is converted as its elements arrive, into at most the bytes its type
 * needs: memory stays proportional to the constant, not to the literal's text. */
typedef struct qir_dense_state {
  size_t count; /* elements seen */
  bool started;
  bool valid; /* the type is usable: elements are stored */
  bool bad;   /* an element error was reported */
  qcc_elem elem;
  uint64_t numel;
} qir_dense_state;

typedef struct qir_list_item {
  int kind; /* QIR_LIT_INT, QIR_LIT_FLOAT, QIR_LIT_STRING */
  int64_t i;
  float f;
  const char *s;
  qir_loc loc;
} qir_list_item;

enum { QIR_LIT_INT, QIR_LIT_FLOAT, QIR_LIT_BOOL, QIR_LIT_STRING };
enum { QIR_DIM_STATIC, QIR_DIM_SYMBOL, QIR_DIM_UNKNOWN };

typedef struct qir_named {
  const char *name;
  qir_loc loc;
} qir_named;

typedef struct qir_operand {
  qcc_value *value; /* NULL: none, or unresolved */
} qir_operand;

typedef struct qir_rtype {
  qcc_type type;
  qcc_layout layout;
  qir_loc loc;
} qir_rtype;

typedef struct qir_qpair {
  float scale;
  int32_t zero_point;
} qir_qpair;

typedef struct qir_ctx {
  const char *file;
  const char *base_dir;
  const char *text;
  size_t len;
  qcc_diag *diag;
  qcc_graph *g;
  qcc_arena *scratch; /* token strings and other parse-lifetime data */

  /* lexer */
  int cur_line, cur_col;
  size_t cur_offset;
  int last_tok;
  qir_loc last_end;   /* end of the last token returned */
  bool lex_fatal;     /* binary garbage or EOF inside a string: stop */
  int lex_error_line; /* syntax errors on this line follow from a lexer error: drop them */
  qir_opener openers[QIR_MAX_OPENERS];
  int num_openers;
  int deep_openers; /* openers beyond QIR_MAX_OPENERS, only counted */
  char *sbuf;       /* string literal under construction */
  size_t slen, scap;
  int str_kind; /* token to return when the string closes */
  qir_loc str_loc;
  bool str_bad;

  /* parser / builder */
  bool oom;
  bool returned;
  bool reported_after_return;
  bool stmt_bad;    /* an operand was undefined or poisoned */
  bool type_bad;    /* the last type built had a reported error */
  bool dims_bad;    /* a dim of the type being collected had a reported error */
  qir_vec results;  /* qir_named */
  qir_vec operands; /* qir_operand */
  qir_vec attrs;    /* qcc_attr */
  qir_vec rtypes;   /* qir_rtype */
  qir_vec dims;     /* qcc_dim */
  qir_vec qpairs;   /* qir_qpair */
  qir_vec dense;    /* bytes of the dense literal being read */
  qir_dense_state dstate;
  qcc_type last_type; /* the type built last: the one a payload belongs to */
  qir_vec list;       /* qir_list_item */
  /* Names whose definition failed: uses stay silent instead of cascading errors. */
  const char **poison;
  size_t poison_cap, poison_count;
  bool *poisoned_ids; /* by value id */
  size_t poisoned_cap;
} qir_ctx;

/* vectors */
void *qir_vec_push(qir_ctx *ctx, qir_vec *v);
/* Makes room for n elements in total; false when out of memory (reported). */
bool qir_vec_reserve(qir_ctx *ctx, qir_vec *v, size_t n);
void qir_vec_free(qir_vec *v);
#define QIR_VEC_AT(vec, type, i) (((type *)(vec).data)[i])

/* Reports an error at `loc` (first position). */
void qir_report_error(qir_ctx *ctx, qir_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
void qir_report_note(qir_ctx *ctx, qir_loc loc, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
qcc_loc qir_qcc_loc(const qir_ctx *ctx, qir_loc loc);
void qir_out_of_memory(qir_ctx *ctx);

/* Builder steps called from grammar actions. False means stop parsing (out of memory). */
void qir_stmt_reset(qir_ctx *ctx);
/* After a syntax error: the statement's result names become poisoned. */
bool qir_poison_pending(qir_ctx *ctx);
bool qir_set_graph_name(qir_ctx *ctx, const char *name);
bool qir_add_input(qir_ctx *ctx, const char *name, qir_loc loc, qcc_type type, qcc_layout layout);
bool qir_push_result(qir_ctx *ctx, const char *name, qir_loc loc);
bool qir_push_operand(qir_ctx *ctx, const char *name, qir_loc loc); /* name NULL: none */
bool qir_push_rtype(qir_ctx *ctx, qcc_type type, qcc_layout layout, qir_loc loc);
/* Sets t->layout from the annotation `name` (at name_loc, its '{' at brace_loc), reporting an
 * unknown name or a layout the type cannot carry. */
void qir_check_layout(qir_ctx *ctx, qir_sv *t, const char *name, qir_loc name_loc,
                      qir_loc brace_loc);
bool qir_push_dim(qir_ctx *ctx, qir_sv *tok, int tok_kind, qir_loc loc);
/* Builds a type from the collected dims (rank < 0 request: unranked). */
bool qir_make_type(qir_ctx *ctx, const char *elem_name, qir_loc elem_loc, bool unranked,
                   qir_loc shape_loc, const qcc_quant *quant, qcc_type *out);
bool qir_push_qpair(qir_ctx *ctx, const qir_sv *scale, const qir_sv *zp, qir_loc zp_loc);
/* Quantization from the collected pairs; *out NULL after a reported error. */
bool qir_make_quant(qir_ctx *ctx, bool per_axis, const qir_sv *axis, qir_loc axis_loc,
                    const qcc_quant **out);
bool qir_push_dense(qir_ctx *ctx, int kind, const qir_sv *tok, qir_loc loc);
bool qir_push_list_item(qir_ctx *ctx, int kind, const qir_sv *tok, qir_loc loc);
/* Builds a payload for `type`; *out NULL after a reported error. */
bool qir_make_const(qir_ctx *ctx, qcc_type type, qir_loc type_loc, const qir_sv *payload,
                    qir_loc payload_loc, const qcc_const **out);
bool qir_push_attr_scalar(qir_ctx *ctx, const char *name, int kind, const qir_sv *val);
bool qir_push_attr_list(qir_ctx *ctx, const char *name, qir_loc loc);
bool qir_push_attr_tensor(qir_ctx *ctx, const char *name, const qcc_const *k);
bool qir_build_op(qir_ctx *ctx, const char *op_name, qir_loc op_loc, const char *node_name,
                  bool has_types, qir_loc types_loc);
bool qir_build_const(qir_ctx *ctx, qir_loc const_loc, const qcc_const *k);
bool qir_add_output(qir_ctx *ctx, const char *name, qir_loc loc);
void qir_note_return(qir_ctx *ctx, qir_loc loc);
void qir_check_not_after_return(qir_ctx *ctx, qir_loc loc);
void qir_finish_graph(qir_ctx *ctx, qir_loc close_loc);

/* Runs the generated parser over ctx->text (defined in qir_parser.y); nonzero on failure. */
int qir_run_parser(qir_ctx *ctx);

#endif
