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

static const char shape_op[] = "a shape computation; constant-folded from -O1 on";

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
    [QCC_OP_DynamicQuantizeConv] = LOWERED(qcc_lower_dynamic_quantize_conv),
    [QCC_OP_QLinearAdd] = LOWERED(qcc_lower_qlinear_add),
    [QCC_OP_QLinearMul] = LOWERED(qcc_lower_qlinear_mul),
    [QCC_OP_QLinearSigmoid] = LOWERED(qcc_lower_qlinear_table),
    [QCC_OP_QLinearLeakyRelu] = LOWERED(qcc_lower_qlinear_table),
    [QCC_OP_QLinearLookup] = LOWERED(qcc_lower_qlinear_lookup),
    [QCC_OP_QLinearGlobalAveragePool] = LOWERED(qcc_lower_qlinear_global_average_pool),
    [QCC_OP_QLinearAveragePool] = LOWERED(qcc_lower_qlinear_average_pool),
    [QCC_OP_QLinearConcat] = LOWERED(qcc_lower_qlinear_concat),
    [QCC_OP_Conv] = LOWERED(qcc_lower_conv),
    [QCC_OP_FusedConv] = LOWERED(qcc_lower_conv),
    [QCC_OP_BatchNormalization] = LOWERED(qcc_lower_batch_norm),
    [QCC_OP_ConvTranspose] = LOWERED(qcc_lower_conv_transpose),
    [QCC_OP_LayerNormalization] = LOWERED(qcc_lower_layer_norm),
    [QCC_OP_Pow] = LOWERED(qcc_lower_pow),
    [QCC_OP_Sqrt] = LOWERED(qcc_lower_sqrt_reciprocal),
    [QCC_OP_Reciprocal] = LOWERED(qcc_lower_sqrt_reciprocal),
    [QCC_OP_ReduceSum] = LOWERED(qcc_lower_reduce),
    [QCC_OP_ReduceMax] = LOWERED(qcc_lower_reduce),
    [QCC_OP_Expand] = LOWERED(qcc_lower_expand_where),
    [QCC_OP_Where] = LOWERED(qcc_lower_expand_where),
    [QCC_OP_Relu] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_LeakyRelu] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Clip] = LOWERED(qcc_lower_clip),
    [QCC_OP_Sigmoid] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_HardSigmoid] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_HardSwish] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Tanh] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Exp] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Erf] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Gelu] = LOWERED(qcc_lower_float_activation),
    [QCC_OP_Softmax] = LOWERED(qcc_lower_softmax),
    [QCC_OP_Add] = LOWERED(qcc_lower_binary),
    [QCC_OP_Sub] = LOWERED(qcc_lower_binary),
    [QCC_OP_Mul] = LOWERED(qcc_lower_binary),
    [QCC_OP_Div] = LOWERED(qcc_lower_binary),
    [QCC_OP_MaxPool] = LOWERED(qcc_lower_max_pool),
    [QCC_OP_AveragePool] = LOWERED(qcc_lower_average_pool),
    [QCC_OP_GlobalAveragePool] = LOWERED(qcc_lower_global_pool),
    [QCC_OP_GlobalMaxPool] = LOWERED(qcc_lower_global_pool),
    [QCC_OP_ReduceMean] = LOWERED(qcc_lower_reduce),
    [QCC_OP_Gemm] = LOWERED(qcc_lower_gemm),
    [QCC_OP_MatMul] = LOWERED(qcc_lower_matmul),
    [QCC_OP_Flatten] = LOWERED(qcc_lower_view),
    [QCC_OP_Reshape] = LOWERED(qcc_lower_view),
    [QCC_OP_Transpose] = LOWERED(qcc_lower_transpose),
    [QCC_OP_Concat] = LOWERED(qcc_lower_concat),
    [QCC_OP_Split] = LOWERED(qcc_lower_split),
    [QCC_OP_Squeeze] = LOWERED(qcc_lower_view),
    [QCC_OP_Unsqueeze] = LOWERED(qcc_lower_view),
    [QCC_OP_Pad] = LOWERED(qcc_lower_pad),
    [QCC_OP_Cast] = LOWERED(qcc_lower_cast),
    [QCC_OP_Shape] = INTERP(shape_op),
    [QCC_OP_ConstantOfShape] = LOWERED(qcc_lower_constant_of_shape),
    [QCC_OP_Slice] = LOWERED(qcc_lower_slice),
    [QCC_OP_Gather] = LOWERED(qcc_lower_gather),
    [QCC_OP_Resize] = LOWERED(qcc_lower_resize),
    [QCC_OP_Relayout] = LOWERED(qcc_lower_relayout),
};

const qcc_lowering *qcc_lowering_get(qcc_op_kind k) { return &table[k]; }
