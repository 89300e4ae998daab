/* Grammar of the textual .qir language (docs/qir.md has the EBNF and the semantics).
 * Actions only collect pieces; qir_build.c turns them into graph objects and does the
 * semantic checks. A syntax error skips to the end of the statement, so one run reports
 * several independent mistakes. */
%code requires {
#include "frontend/qir_internal.h"
}

%code {
#include <stdio.h>
#include <string.h>

#include "qir_lexer.h"

static void qir_error(QIR_LTYPE *loc, qir_ctx *ctx, void *scanner, const char *msg);
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                                \
  do {                                                                                             \
    if (N) {                                                                                       \
      (Cur).first_line = YYRHSLOC(Rhs, 1).first_line;                                              \
      (Cur).first_column = YYRHSLOC(Rhs, 1).first_column;                                          \
      (Cur).first_offset = YYRHSLOC(Rhs, 1).first_offset;                                          \
      (Cur).last_line = YYRHSLOC(Rhs, N).last_line;                                                \
      (Cur).last_column = YYRHSLOC(Rhs, N).last_column;                                            \
      (Cur).last_offset = YYRHSLOC(Rhs, N).last_offset;                                            \
    } else {                                                                                       \
      (Cur).first_line = (Cur).last_line = YYRHSLOC(Rhs, 0).last_line;                             \
      (Cur).first_column = (Cur).last_column = YYRHSLOC(Rhs, 0).last_column;                       \
      (Cur).first_offset = (Cur).last_offset = YYRHSLOC(Rhs, 0).last_offset;                       \
    }                                                                                              \
  } while (0)
#define CHECK(call)                                                                                \
  do {                                                                                             \
    if (!(call))                                                                                   \
      YYABORT;                                                                                     \
  } while (0)
}

%define api.pure full
%define api.prefix {qir_}
%define api.value.type {qir_sv}
%define api.location.type {qir_loc}
%define parse.error custom
%define parse.lac full
%locations
%lex-param {void *scanner}
%parse-param {qir_ctx *ctx} {void *scanner}

%token T_END 0 "end of file"
%token T_GRAPH "'graph'"
%token T_CONST "'const'"
%token T_RETURN "'return'"
%token T_NONE "'none'"
%token T_DENSE "'dense'"
%token T_HEX "'hex'"
%token T_FILE "'file'"
%token T_TRUE "'true'"
%token T_FALSE "'false'"
%token T_QUANT "'!q'"
%token T_IDENT "identifier"
%token T_VALUE "value name"
%token T_SYMBOL "'@' name"
%token T_INT "integer"
%token T_FLOAT "float"
%token T_STRING "string"
%token T_NEWLINE "end of line"

%%

file
  : T_GRAPH graph_name '(' params_opt ')' '{' body '}'   { qir_finish_graph(ctx, @8); }
  ;

graph_name
  : T_SYMBOL                         { CHECK(qir_set_graph_name(ctx, $1.str)); }
  ;

params_opt
  : %empty
  | params
  ;

params
  : param
  | params ',' param
  ;

param
  : T_VALUE ':' value_type           { CHECK(qir_add_input(ctx, $1.str, @1, $3.type, $3.layout)); }
  ;

body
  : %empty
  | body line
  ;

line
  : T_NEWLINE
  | stmt T_NEWLINE                   {
                                       qir_stmt_reset(ctx);
                                       if (qcc_diag_limit_reached(ctx->diag))
                                         YYABORT;
                                     }
  | error T_NEWLINE                  {
                                       (void)yynerrs; /* counted by qcc_diag instead */
                                       yyerrok;
                                       CHECK(qir_poison_pending(ctx));
                                       qir_stmt_reset(ctx);
                                       if (qcc_diag_limit_reached(ctx->diag))
                                         YYABORT;
                                     }
  ;

stmt
  : results '=' T_CONST type payload {
                                       qir_check_not_after_return(ctx, @1);
                                       const qcc_const *k = NULL;
                                       CHECK(qir_make_const(ctx, $4.type, @4, &$5, @5, &k));
                                       CHECK(qir_build_const(ctx, @3, k));
                                     }
  | results '=' T_IDENT node_name_opt '(' operands_opt ')' attrs_opt result_types_opt {
                                       qir_check_not_after_return(ctx, @1);
                                       CHECK(qir_build_op(ctx, $3.str, @3, $4.str, $9.kind != 0, @9));
                                     }
  | return_kw returns_opt
  ;

return_kw
  : T_RETURN                         { qir_note_return(ctx, @1); }
  ;

returns_opt
  : %empty
  | returns
  ;

returns
  : T_VALUE                          { CHECK(qir_add_output(ctx, $1.str, @1)); }
  | returns ',' T_VALUE              { CHECK(qir_add_output(ctx, $3.str, @3)); }
  ;

results
  : T_VALUE                          { CHECK(qir_push_result(ctx, $1.str, @1)); }
  | results ',' T_VALUE              { CHECK(qir_push_result(ctx, $3.str, @3)); }
  ;

node_name_opt
  : %empty                           { $$.str = NULL; }
  | T_SYMBOL                         { $$.str = $1.str; }
  ;

operands_opt
  : %empty
  | operands
  ;

operands
  : operand
  | operands ',' operand
  ;

operand
  : T_VALUE                          { CHECK(qir_push_operand(ctx, $1.str, @1)); }
  | T_NONE                           { CHECK(qir_push_operand(ctx, NULL, @1)); }
  ;

attrs_opt
  : %empty
  | '{' '}'
  | '{' attrs '}'
  ;

attrs
  : attr
  | attrs ',' attr
  ;

attr
  : attr_name '=' T_INT              { CHECK(qir_push_attr_scalar(ctx, $1.str, QIR_LIT_INT, &$3)); }
  | attr_name '=' T_FLOAT            { CHECK(qir_push_attr_scalar(ctx, $1.str, QIR_LIT_FLOAT, &$3)); }
  | attr_name '=' T_STRING           { CHECK(qir_push_attr_scalar(ctx, $1.str, QIR_LIT_STRING, &$3)); }
  | attr_name '=' '[' ']'            { CHECK(qir_push_attr_list(ctx, $1.str, @3)); }
  | attr_name '=' '[' list_items ']' { CHECK(qir_push_attr_list(ctx, $1.str, @3)); }
  | attr_name '=' type payload       {
                                       const qcc_const *k = NULL;
                                       CHECK(qir_make_const(ctx, $3.type, @3, &$4, @4, &k));
                                       CHECK(qir_push_attr_tensor(ctx, $1.str, k));
                                     }
  ;

attr_name
  : T_IDENT                          { $$.str = $1.str; }
  | keyword                          { $$.str = $1.str; }
  ;

/* Keywords double as attribute names and symbolic dims; their text is the name. */
keyword
  : T_GRAPH                          { $$.str = "graph"; }
  | T_CONST                          { $$.str = "const"; }
  | T_RETURN                         { $$.str = "return"; }
  | T_NONE                           { $$.str = "none"; }
  | T_DENSE                          { $$.str = "dense"; }
  | T_HEX                            { $$.str = "hex"; }
  | T_FILE                           { $$.str = "file"; }
  | T_TRUE                           { $$.str = "true"; }
  | T_FALSE                          { $$.str = "false"; }
  ;

list_items
  : list_item
  | list_items ',' list_item
  ;

list_item
  : T_INT                            { CHECK(qir_push_list_item(ctx, QIR_LIT_INT, &$1, @1)); }
  | T_FLOAT                          { CHECK(qir_push_list_item(ctx, QIR_LIT_FLOAT, &$1, @1)); }
  | T_STRING                         { CHECK(qir_push_list_item(ctx, QIR_LIT_STRING, &$1, @1)); }
  ;

result_types_opt
  : %empty                           { $$.kind = 0; }
  | ':' result_types                 { $$.kind = 1; }
  ;

result_types
  : value_type                       { CHECK(qir_push_rtype(ctx, $1.type, $1.layout, @1)); }
  | result_types ',' value_type      { CHECK(qir_push_rtype(ctx, $3.type, $3.layout, @3)); }
  ;

/* The type of a graph input or op result, with its physical layout: `u8[1,8,4,4]{nhwc}`. */
value_type
  : type layout_opt                  {
                                       $$ = $1;
                                       $$.layout = QCC_LAYOUT_ROW_MAJOR;
                                       if ($2.kind)
                                         qir_check_layout(ctx, &$$, $2.str, @2, $2.aux);
                                     }
  ;

layout_opt
  : %empty                           { $$.kind = 0; }
  | '{' T_IDENT '}'                  { $$ = $2; $$.kind = 1; $$.aux = @1; }
  ;

type
  : T_IDENT shape                    {
                                       CHECK(qir_make_type(ctx, $1.str, @1, $2.kind != 0, @2, NULL,
                                                           &$$.type));
                                     }
  | T_QUANT '<' T_IDENT ',' number ':' T_INT '>' shape {
                                       const qcc_quant *q = NULL;
                                       CHECK(qir_push_qpair(ctx, &$5, &$7, @7));
                                       CHECK(qir_make_quant(ctx, false, NULL, @3, &q));
                                       CHECK(qir_make_type(ctx, $3.str, @3, $9.kind != 0, @9, q,
                                                           &$$.type));
                                     }
  | T_QUANT '<' T_IDENT ':' T_INT ',' '{' qpairs '}' '>' shape {
                                       const qcc_quant *q = NULL;
                                       CHECK(qir_make_quant(ctx, true, &$5, @5, &q));
                                       CHECK(qir_make_type(ctx, $3.str, @3, $11.kind != 0, @11, q,
                                                           &$$.type));
                                     }
  ;

shape
  : '[' dims_opt ']'                 { $$.kind = 0; }
  | '[' '*' ']'                      { $$.kind = 1; }
  ;

dims_opt
  : %empty
  | dims
  ;

dims
  : dim
  | dims ',' dim
  ;

dim
  : T_INT                            { CHECK(qir_push_dim(ctx, &$1, QIR_DIM_STATIC, @1)); }
  | T_IDENT                          { CHECK(qir_push_dim(ctx, &$1, QIR_DIM_SYMBOL, @1)); }
  | keyword                          { CHECK(qir_push_dim(ctx, &$1, QIR_DIM_SYMBOL, @1)); }
  | '?'                              { CHECK(qir_push_dim(ctx, &$1, QIR_DIM_UNKNOWN, @1)); }
  ;

qpairs
  : qpair
  | qpairs ',' qpair
  ;

qpair
  : number ':' T_INT                 { CHECK(qir_push_qpair(ctx, &$1, &$3, @3)); }
  ;

number
  : T_FLOAT                          { $$ = $1; $$.kind = QIR_LIT_FLOAT; }
  | T_INT                            { $$ = $1; $$.kind = QIR_LIT_INT; }
  ;

payload
  : T_DENSE '<' '[' dense_opt ']' '>' { $$.kind = QIR_PAYLOAD_DENSE; $$.aux = @1; }
  | T_HEX '<' T_STRING '>'            { $$ = $3; $$.kind = QIR_PAYLOAD_HEX; $$.aux = @3; }
  | T_FILE '<' T_STRING ',' T_INT '>' {
                                        $$ = $3;
                                        $$.kind = QIR_PAYLOAD_FILE;
                                        $$.i = $5.i;
                                        $$.aux = @3;
                                        $$.aux2 = @5;
                                      }
  ;

dense_opt
  : %empty
  | dense_items
  ;

dense_items
  : dense_item
  | dense_items ',' dense_item
  ;

dense_item
  : T_INT                            { CHECK(qir_push_dense(ctx, QIR_LIT_INT, &$1, @1)); }
  | T_FLOAT                          { CHECK(qir_push_dense(ctx, QIR_LIT_FLOAT, &$1, @1)); }
  | T_TRUE                           { $1.i = 1; CHECK(qir_push_dense(ctx, QIR_LIT_BOOL, &$1, @1)); }
  | T_FALSE                          { $1.i = 0; CHECK(qir_push_dense(ctx, QIR_LIT_BOOL, &$1, @1)); }
  ;

%%

/* Quotes the source text of the offending token (short, printable) for messages. */
static void describe_token(const qir_ctx *ctx, yysymbol_kind_t kind, const QIR_LTYPE *loc,
                           char *buf, size_t cap) {
  if (kind == YYSYMBOL_YYEOF) {
    snprintf(buf, cap, "end of file");
    return;
  }
  if (kind == YYSYMBOL_T_NEWLINE) {
    snprintf(buf, cap, "end of line");
    return;
  }
  size_t b = loc->first_offset, e = loc->last_offset;
  if (b >= ctx->len || e <= b) {
    snprintf(buf, cap, "%s", yysymbol_name(kind));
    return;
  }
  if (e > ctx->len)
    e = ctx->len;
  size_t n = e - b, o = 0;
  bool cut = n > 32;
  if (cut)
    n = 32;
  buf[o++] = '\'';
  for (size_t i = 0; i < n && o + 5 < cap; ++i) {
    unsigned char c = (unsigned char)ctx->text[b + i];
    buf[o++] = c >= 0x20 && c < 0x7f ? (char)c : '?';
  }
  if (cut && o + 5 < cap) {
    memcpy(buf + o, "...", 3);
    o += 3;
  }
  buf[o++] = '\'';
  buf[o] = '\0';
}

static int yyreport_syntax_error(const yypcontext_t *yyctx, qir_ctx *ctx, void *scanner) {
  (void)scanner;
  if (ctx->lex_fatal || ctx->oom)
    return 0;
  const QIR_LTYPE *loc = yypcontext_location(yyctx);
  if (loc->first_line == ctx->lex_error_line)
    return 0; /* the scanner already explained this line */
  yysymbol_kind_t found = yypcontext_token(yyctx);
  if (found == YYSYMBOL_YYEOF && ctx->num_openers > 0) {
    const qir_opener *o = &ctx->openers[ctx->num_openers - 1];
    if (ctx->num_openers == 1 && o->body) {
      qir_report_error(ctx, *loc, "missing '}' at end of file");
      qir_report_note(ctx, o->loc, "to match this '{'");
    } else {
      qir_report_error(ctx, *loc, "unterminated '%s' at end of file", o->what);
      qir_report_note(ctx, o->loc, "'%s' opened here", o->what);
    }
    return 0;
  }
  enum { MAX_EXPECTED = 6 };
  yysymbol_kind_t expected[MAX_EXPECTED];
  int n = yypcontext_expected_tokens(yyctx, expected, MAX_EXPECTED);
  char what[64];
  describe_token(ctx, found, loc, what, sizeof what);
  if (n <= 0 || n >= MAX_EXPECTED) {
    qir_report_error(ctx, *loc, "unexpected %s", what);
    return 0;
  }
  char list[256];
  size_t o = 0;
  list[0] = '\0';
  for (int i = 0; i < n; ++i) {
    const char *sep = i == 0 ? "" : i + 1 == n ? " or " : ", ";
    int w = snprintf(list + o, sizeof list - o, "%s%s", sep, yysymbol_name(expected[i]));
    if (w < 0 || (size_t)w >= sizeof list - o)
      break;
    o += (size_t)w;
  }
  qir_report_error(ctx, *loc, "expected %s, found %s", list, what);
  return 0;
}

static void qir_error(QIR_LTYPE *loc, qir_ctx *ctx, void *scanner, const char *msg) {
  (void)scanner;
  if (ctx->lex_fatal || ctx->oom)
    return;
  /* Only bison's own failures reach here ("memory exhausted" on absurd nesting). */
  qir_report_error(ctx, *loc, "%s", strcmp(msg, "memory exhausted") == 0 ? "input is nested too deeply" : msg);
}

int qir_run_parser(qir_ctx *ctx) {
  yyscan_t scanner;
  if (qir_lex_init_extra(ctx, &scanner) != 0) {
    qir_out_of_memory(ctx);
    return 1;
  }
  int rc = 1;
  YY_BUFFER_STATE buf = qir__scan_bytes(ctx->text, (int)ctx->len, scanner);
  if (!buf) {
    qir_out_of_memory(ctx);
  } else {
    rc = qir_parse(ctx, scanner);
    qir__delete_buffer(buf, scanner);
  }
  qir_lex_destroy(scanner);
  return rc;
}
