/* Code generation of every op kind, indexed by qcc_op_kind: the lowering (codegen/lower/<family>.c)
 * or the documented reason why the kind runs only in the interpreter for now. Compiling a graph
 * with such an op is a located error naming the reason. test/codegen/lower/registry.test
 * (qcc-codegen-registry-test) fails when a kind has neither or both. */
#include "codegen/lower/lower.h"

/* Constants are not kernels: their bytes become constant globals that kernels read. */
static qcc_status lower_constant(qcc_lower_ctx *L) {
  L->no_kernel = true;
  return QCC_OK;
}

#define LOWERED(fn) {.lower = fn}
#define INTERP(why) {.interpreter_only = why}

static const char float_op[] = "a float op; -O2 folds quantized models into integer ops";
static const char shape_op[] = "a shape computation; constant-folded from -O1 on";
static const char later[] = "not lowered yet (a later code generator step)";

static const qcc_lowering table[QCC_OP_COUNT] = {
    [QCC_OP_Constant] = LOWERED(lower_constant),
    [QCC_OP_Identity] = LOWERED(qcc_lower_view),
    [QCC_OP_QuantizeLinear] = LOWERED(qcc_lower_quantize_linear),
    [QCC_OP_DequantizeLinear] = LOWERED(qcc_lower_dequantize_linear),
    [QCC_OP_DynamicQuantizeLinear] = LOWERED(qcc_lower_dynamic_quantize_linear),
    [QCC_OP_QLinearConv] = LOWERED(qcc_lower_qlinear_conv),
    [QCC_OP_ConvInteger] = LOWERED(qcc_lower_conv_integer),
    [QCC_OP_QLinearConvFused] = LOWERED(qcc_lower_qlinear_conv_fused),
    [QCC_OP_QLinearMatMul] = LOWERED(qcc_lower_qlinear_matmul),
    [QCC_OP_MatMulInteger] = LOWERED(qcc_lower_matmul_integer),
    [QCC_OP_QGemm] = LOWERED(qcc_lower_qgemm),
    [QCC_OP_DynamicQuantizeMatMul] = LOWERED(qcc_lower_dynamic_quantize_matmul),
    [QCC_OP_DynamicQuantizeConv] = INTERP(later),
    [QCC_OP_QLinearAdd] = LOWERED(qcc_lower_qlinear_add),
    [QCC_OP_QLinearMul] = LOWERED(qcc_lower_qlinear_mul),
    [QCC_OP_QLinearSigmoid] = LOWERED(qcc_lower_qlinear_table),
    [QCC_OP_QLinearLeakyRelu] = LOWERED(qcc_lower_qlinear_table),
    [QCC_OP_QLinearLookup] = LOWERED(qcc_lower_qlinear_lookup),
    [QCC_OP_QLinearGlobalAveragePool] = LOWERED(qcc_lower_qlinear_global_average_pool),
    [QCC_OP_QLinearAveragePool] = LOWERED(qcc_lower_qlinear_average_pool),
    [QCC_OP_QLinearConcat] = LOWERED(qcc_lower_qlinear_concat),
    [QCC_OP_Conv] = INTERP(float_op),
    [QCC_OP_BatchNormalization] = INTERP(float_op),
    [QCC_OP_ConvTranspose] = INTERP(float_op),
    [QCC_OP_LayerNormalization] = INTERP(float_op),
    [QCC_OP_Pow] = INTERP(float_op),
    [QCC_OP_Sqrt] = INTERP(float_op),
    [QCC_OP_Reciprocal] = INTERP(float_op),
    [QCC_OP_ReduceSum] = INTERP(float_op),
    [QCC_OP_ReduceMax] = INTERP(float_op),
    [QCC_OP_Expand] = INTERP("shapes and broadcasting of float models; not lowered yet"),
    [QCC_OP_Where] = INTERP(float_op),
    [QCC_OP_Relu] = INTERP("-O2 turns activations on quantized values into integer clamps"),
    [QCC_OP_LeakyRelu] = INTERP(float_op),
    [QCC_OP_Clip] = LOWERED(qcc_lower_clip),
    [QCC_OP_Sigmoid] = INTERP(float_op),
    [QCC_OP_HardSigmoid] = INTERP(float_op),
    [QCC_OP_HardSwish] = INTERP(float_op),
    [QCC_OP_Tanh] = INTERP(float_op),
    [QCC_OP_Exp] = INTERP(float_op),
    [QCC_OP_Erf] = INTERP(float_op),
    [QCC_OP_Gelu] = INTERP(float_op),
    [QCC_OP_Softmax] = INTERP(float_op),
    [QCC_OP_Add] = INTERP(float_op),
    [QCC_OP_Sub] = INTERP(float_op),
    [QCC_OP_Mul] = INTERP(float_op),
    [QCC_OP_Div] = INTERP(float_op),
    [QCC_OP_MaxPool] = LOWERED(qcc_lower_max_pool),
    [QCC_OP_AveragePool] = INTERP(float_op),
    [QCC_OP_GlobalAveragePool] = INTERP(float_op),
    [QCC_OP_GlobalMaxPool] = INTERP(float_op),
    [QCC_OP_ReduceMean] = INTERP(float_op),
    [QCC_OP_Gemm] = INTERP(float_op),
    [QCC_OP_MatMul] = INTERP(float_op),
    [QCC_OP_Flatten] = LOWERED(qcc_lower_view),
    [QCC_OP_Reshape] = LOWERED(qcc_lower_view),
    [QCC_OP_Transpose] = LOWERED(qcc_lower_transpose),
    [QCC_OP_Concat] = INTERP(later),
    [QCC_OP_Split] = INTERP(later),
    [QCC_OP_Squeeze] = LOWERED(qcc_lower_view),
    [QCC_OP_Unsqueeze] = LOWERED(qcc_lower_view),
    [QCC_OP_Pad] = LOWERED(qcc_lower_pad),
    [QCC_OP_Cast] = INTERP(later),
    [QCC_OP_Shape] = INTERP(shape_op),
    [QCC_OP_ConstantOfShape] = INTERP(shape_op),
    [QCC_OP_Slice] = INTERP(later),
    [QCC_OP_Gather] = INTERP(later),
    [QCC_OP_Resize] = INTERP(later),
    [QCC_OP_Relayout] = LOWERED(qcc_lower_relayout),
};

const qcc_lowering *qcc_lowering_get(qcc_op_kind k) { return &table[k]; }
