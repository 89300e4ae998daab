"""Independent numpy reference of the ONNX integer operators (test tooling, not qcc code).

The integer part follows the ONNX specification literally: every product and sum is formed in
int64 and must fit int32, so there is no saturation anywhere. Requantization follows ONNX
Runtime's float32 operation order (docs/ort-arithmetic.md §3): the multiplier
M = f32(f32(x_scale * w_scale) / y_scale), then f32(float32(acc) * M), round half to even,
add the zero point, saturate. numpy's float32 arithmetic rounds every operation to binary32, and
np.rint rounds half to even, so these are the exact values an exact engine must produce.

Nothing here is shared with qcc: convolution is an explicit sum over kernel taps, matrix products
are numpy matmuls over int64.
"""
import numpy as np

F32 = np.float32


def _limits(dtype):
    info = np.iinfo(dtype)
    return int(info.min), int(info.max)


def _as_vec(a, n):
    a = np.asarray(a).reshape(-1)
    return np.broadcast_to(a, (n,)) if a.size == 1 else a


def checked_i32(acc):
    if acc.size and (acc.max() > 2**31 - 1 or acc.min() < -(2**31)):
        raise ValueError("accumulator leaves int32: the ONNX result would wrap")
    return acc.astype(np.int32)


def requantize(acc, multiplier, y_zp, dtype, channel_axis):
    """sat(RNE(f32(float32(acc) * M[c])) + y_zp): ONNX Runtime's MlasRequantizeOutput."""
    shape = [1] * acc.ndim
    shape[channel_axis] = -1
    m = np.asarray(multiplier, F32).reshape(shape) if np.size(multiplier) > 1 else F32(multiplier)
    f = checked_i32(acc).astype(F32) * m
    lo, hi = _limits(dtype)
    q = np.rint(f).astype(np.int64) + int(y_zp)
    return np.clip(q, lo, hi).astype(dtype)


def output_multiplier(in_scale, w_scale, y_scale, n):
    """M[c] = f32(f32(in_scale * w_scale[c]) / y_scale), left to right."""
    ws = _as_vec(np.asarray(w_scale, F32), n)
    return (F32(in_scale) * ws) / F32(y_scale)


def _zp_scalar(zp):
    return 0 if zp is None else int(np.asarray(zp).reshape(-1)[0])


# ---- convolution -------------------------------------------------------------------------------

def _conv_pads(in_sizes, kernel, strides, dilations, attrs):
    nsp = len(in_sizes)
    auto_pad = attrs.get("auto_pad", "NOTSET")
    if auto_pad in ("SAME_UPPER", "SAME_LOWER"):
        begin, end = [], []
        for i in range(nsp):
            out = -(-in_sizes[i] // strides[i])
            total = max((out - 1) * strides[i] + (kernel[i] - 1) * dilations[i] + 1 - in_sizes[i], 0)
            small = total // 2
            b = small if auto_pad == "SAME_UPPER" else total - small
            begin.append(b)
            end.append(total - b)
        return begin, end
    if auto_pad == "VALID":
        return [0] * nsp, [0] * nsp
    pads = list(attrs.get("pads", [0] * (2 * nsp)))
    return pads[:nsp], pads[nsp:]


def conv_integer(x, w, x_zp, w_zp, attrs):
    """Sum over taps of (x - x_zp) * (w - w_zp[m]) in int64; padding contributes 0."""
    x = x.astype(np.int64) - _zp_scalar(x_zp)
    m_out = w.shape[0]
    wz = _as_vec(np.asarray(w_zp if w_zp is not None else 0, np.int64), m_out)
    w = w.astype(np.int64) - wz.reshape([-1] + [1] * (w.ndim - 1))
    n, c = x.shape[:2]
    spatial = list(x.shape[2:])
    kernel = list(w.shape[2:])
    nsp = len(spatial)
    strides = list(attrs.get("strides", [1] * nsp))
    dilations = list(attrs.get("dilations", [1] * nsp))
    group = int(attrs.get("group", 1))
    begin, end = _conv_pads(spatial, kernel, strides, dilations, attrs)
    padded = np.pad(x, [(0, 0), (0, 0)] + [(begin[i], end[i]) for i in range(nsp)])
    out_sizes = [(spatial[i] + begin[i] + end[i] - (kernel[i] - 1) * dilations[i] - 1) // strides[i] + 1
                 for i in range(nsp)]
    cg, mg = c // group, m_out // group
    y = np.zeros([n, m_out] + out_sizes, np.int64)
    for g in range(group):
        xg = padded[:, g * cg:(g + 1) * cg]
        wg = w[g * mg:(g + 1) * mg]
        for tap in np.ndindex(*kernel):
            sl = tuple(slice(tap[i] * dilations[i], tap[i] * dilations[i] + (out_sizes[i] - 1) * strides[i] + 1,
                             strides[i]) for i in range(nsp))
            window = xg[(slice(None), slice(None)) + sl]  # [n, cg, *out]
            wt = wg[(slice(None), slice(None)) + tap]     # [mg, cg]
            y[:, g * mg:(g + 1) * mg] += np.einsum("nc...,mc->nm...", window, wt)
    return y


def qlinear_conv(x, x_scale, x_zp, w, w_scale, w_zp, y_scale, y_zp, bias, attrs):
    acc = conv_integer(x, w, x_zp, w_zp, attrs)
    m_out = w.shape[0]
    if bias is not None:
        acc = acc + np.asarray(bias, np.int64).reshape([1, -1] + [1] * (acc.ndim - 2))
    mult = output_multiplier(x_scale, w_scale, y_scale, m_out)
    return requantize(acc, mult, _zp_scalar(y_zp), np.asarray(y_zp).dtype, 1)


# ---- matrix products ---------------------------------------------------------------------------

def matmul_integer(a, b, a_zp, b_zp):
    """(a - a_zp) @ (b - b_zp[n]) over int64; b_zp is a scalar or one value per column."""
    n = b.shape[-1]
    bz = _as_vec(np.asarray(b_zp if b_zp is not None else 0, np.int64), n)
    return np.matmul(a.astype(np.int64) - _zp_scalar(a_zp), b.astype(np.int64) - bz)


def qlinear_matmul(a, a_scale, a_zp, b, b_scale, b_zp, y_scale, y_zp):
    acc = matmul_integer(a, b, a_zp, b_zp)
    mult = output_multiplier(a_scale, b_scale, y_scale, b.shape[-1])
    return requantize(acc, mult, _zp_scalar(y_zp), np.asarray(y_zp).dtype, acc.ndim - 1)


def qgemm(a, a_scale, a_zp, b, b_scale, b_zp, c, y_scale, y_zp, attrs):
    """com.microsoft QGemm: M[c] = f32(f32(alpha * a_scale) * b_scale[c]) [/ y_scale]."""
    a = a.T if attrs.get("transA", 0) else a
    b = b.T if attrs.get("transB", 0) else b
    acc = matmul_integer(a, b, a_zp, b_zp)
    if c is not None:
        acc = acc + np.asarray(c, np.int64)
    n = b.shape[-1]
    mult = (F32(attrs.get("alpha", 1.0)) * F32(a_scale)) * _as_vec(np.asarray(b_scale, F32), n)
    if y_scale is None:
        return checked_i32(acc).astype(F32) * mult.reshape(1, -1)
    mult = mult / F32(y_scale)
    return requantize(acc, mult, _zp_scalar(y_zp), np.asarray(y_zp).dtype, 1)


# ---- DynamicQuantizeLinear -----------------------------------------------------------------------

def dynamic_quantize(x):
    """ONNX DynamicQuantizeLinear with ONNX Runtime's float32 order: the range widened to include
    0, scale = (max - min) / 255 (1 for an all-zero input), zero point = round_half_even(clamp(
    0 - min / scale, 0, 255)), y = sat(round_half_even(x / scale) + zp). Returns (y, scale, zp)."""
    x = np.asarray(x, F32)
    lo = min(F32(x.min()) if x.size else F32(0), F32(0))
    hi = max(F32(x.max()) if x.size else F32(0), F32(0))
    scale = F32(1) if hi == lo else F32(hi - lo) / F32(255)
    zp = np.rint(np.clip(F32(0) - lo / scale, F32(0), F32(255)))
    y = np.clip(np.rint(x / scale) + zp, 0, 255).astype(np.uint8)
    return y, np.array(scale, F32), np.array(zp, np.uint8)


def dynamic_quantize_matmul(a, b, b_scale, b_zp, bias):
    """com.microsoft DynamicQuantizeMatMul: A quantized as by dynamic_quantize, exact integer
    product with B minus its zero points, Y = f32(float32(acc) * f32(a_scale * b_scale[c])) +
    bias[c]."""
    aq, a_scale, a_zp = dynamic_quantize(a)
    acc = checked_i32(matmul_integer(aq, b, a_zp, b_zp))
    n = b.shape[-1]
    mult = F32(a_scale) * _as_vec(np.asarray(b_scale, F32), n)
    y = acc.astype(F32) * mult
    return y + np.asarray(bias, F32) if bias is not None else y
