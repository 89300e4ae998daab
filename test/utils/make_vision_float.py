#!/usr/bin/python3
"""Float ResNet-18 and MobileNetV2 (torchvision's architectures) as ONNX, for the `qcc quantize`
tests (issue 13), written with onnx.helper and numpy (no PyTorch needed), with calibration and
held-back inputs.

  make_vision_float.py resnet18|mobilenetv2 OUTDIR [--calib N] [--holdout M] [--res R]

Weights as torchvision initializes them (seed 2): convs kaiming-normal in fan-out mode, the
classifier normal(0, 0.01) (MobileNetV2) or U(+-1/sqrt(fan_in)) (ResNet); BatchNormalization kept
after every conv with gamma 1 and beta 0, its running mean and variance those three
training-mode passes leave in torchvision's models (gen_models.py's warm-up: momentum 0.1 from
(0, 1)), from the per-channel mean and variance of the conv's output on a batch of 8 N(0, 1)
images of 32 x 32 (a numpy forward pass of the same network in training mode, layer by layer). Opset 13, input
`input` [N, 3, R, R] (dynamic batch), output `output` [N, 1000]. Writes OUTDIR/<name>_float.onnx,
OUTDIR/<name>_calib.npy (N samples, default 32) and OUTDIR/<name>_holdout.npy (M, default 8):
N(0, 1) images from their own seeds.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def conv2d(x, w, stride, group):
    """numpy NCHW convolution, padding k // 2 (the warm-up's forward pass)."""
    n, c, h, wd = x.shape
    m, cg, k, _ = w.shape
    p = k // 2
    xp = np.pad(x, ((0, 0), (0, 0), (p, p), (p, p)))
    oh, ow = (h + 2 * p - k) // stride + 1, (wd + 2 * p - k) // stride + 1
    y = np.zeros((n, m, oh, ow), np.float64)
    mg = m // group
    for g in range(group):
        xs = xp[:, g * cg:(g + 1) * cg]
        ws = w[g * mg:(g + 1) * mg]
        for i in range(k):
            for j in range(k):
                patch = xs[:, :, i:i + stride * oh:stride, j:j + stride * ow:stride]
                y[:, g * mg:(g + 1) * mg] += np.einsum("nchw,mc->nmhw", patch, ws[:, :, i, j])
    return y


class Net:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0
        self.act = {"input": np.random.default_rng(7).standard_normal((8, 3, 32, 32))}

    def name(self, what):
        self.n += 1
        return "%s_%d" % (what, self.n)

    def init(self, what, arr):
        n = self.name(what)
        self.inits.append(numpy_helper.from_array(arr.astype(np.float32), n))
        return n

    def node(self, op, inputs, **attrs):
        out = self.name(op.lower())
        self.nodes.append(helper.make_node(op, inputs, [out], name=out, **attrs))
        return out

    def conv_bn(self, x, cin, cout, k, stride=1, group=1, relu=None):
        # torchvision's init: kaiming_normal_(mode="fan_out", nonlinearity="relu")
        w = self.rng.normal(0, np.sqrt(2.0 / (cout * k * k)), (cout, cin // group, k, k))
        y = self.node("Conv", [x, self.init("w", w)], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        r = self.rng
        gamma, beta = np.ones(cout), np.zeros(cout)  # torchvision's BatchNorm init
        z = conv2d(self.act[x], w, stride, group)
        mean, var = z.mean(axis=(0, 2, 3)), z.var(axis=(0, 2, 3))
        # running statistics as torchvision's models leave them after three training-mode passes
        # from their initial (0, 1) with momentum 0.1 (unbiased variance, as PyTorch keeps it)
        keep = 0.9 ** 3
        n = z.shape[0] * z.shape[2] * z.shape[3]
        run_mean = (1 - keep) * mean
        run_var = keep * 1.0 + (1 - keep) * var * n / max(n - 1, 1)
        bn = [self.init("gamma", gamma), self.init("beta", beta), self.init("mean", run_mean),
              self.init("var", run_var)]
        y = self.node("BatchNormalization", [y] + bn, epsilon=1e-5)
        a = (z - mean[None, :, None, None]) / np.sqrt(var[None, :, None, None] + 1e-5)
        a = a * gamma[None, :, None, None] + beta[None, :, None, None]
        if relu == "relu":
            y = self.node("Relu", [y])
            a = np.maximum(a, 0)
        elif relu == "relu6":
            y = self.node("Clip", [y, self.init("lo", np.array(0.0)), self.init("hi", np.array(6.0))])
            a = np.clip(a, 0, 6)
        self.act[y] = a
        return y

    def add_act(self, op, ins, fn):
        y = self.node(op, ins)
        self.act[y] = fn(*[self.act[i] for i in ins])
        return y

    def head(self, x, c, normal_fc):
        x = self.node("GlobalAveragePool", [x])
        x = self.node("Flatten", [x], axis=1)
        if normal_fc:  # MobileNetV2: normal(0, 0.01), bias 0
            w, b = self.rng.normal(0, 0.01, (1000, c)), np.zeros(1000)
        else:  # ResNet: nn.Linear's default, U(+-1/sqrt(fan_in))
            w = self.rng.uniform(-1, 1, (1000, c)) / np.sqrt(c)
            b = self.rng.uniform(-1, 1, 1000) / np.sqrt(c)
        return self.node("Gemm", [x, self.init("fc_w", w), self.init("fc_b", b)], transB=1)


def resnet18(net):
    x = net.conv_bn("input", 3, 64, 7, 2, relu="relu")
    xin = net.act[x]
    x = net.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    xp = np.pad(xin, ((0, 0), (0, 0), (1, 1), (1, 1)), constant_values=-np.inf)
    h = (xin.shape[2] + 2 - 3) // 2 + 1
    net.act[x] = np.max([xp[:, :, i:i + 2 * h:2, j:j + 2 * h:2] for i in range(3) for j in range(3)], axis=0)
    cin = 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        y = net.conv_bn(x, cin, cout, 3, stride, relu="relu")
        y = net.conv_bn(y, cout, cout, 3)
        skip = x if stride == 1 and cin == cout else net.conv_bn(x, cin, cout, 1, stride)
        x = net.add_act("Relu", [net.add_act("Add", [y, skip], np.add)], lambda v: np.maximum(v, 0))
        cin = cout
    return net.head(x, 512, False)


def mobilenetv2(net):
    x = net.conv_bn("input", 3, 32, 3, 2, relu="relu6")
    cin = 32
    for t, c, n, s in [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
                       (6, 160, 3, 2), (6, 320, 1, 1)]:
        for i in range(n):
            stride = s if i == 0 else 1
            hidden = cin * t
            y = x if t == 1 else net.conv_bn(x, cin, hidden, 1, relu="relu6")
            y = net.conv_bn(y, hidden, hidden, 3, stride, group=hidden, relu="relu6")
            y = net.conv_bn(y, hidden, c, 1)
            x = net.add_act("Add", [x, y], np.add) if stride == 1 and cin == c else y
            cin = c
    x = net.conv_bn(x, cin, 1280, 1, relu="relu6")
    return net.head(x, 1280, True)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("name", choices=["resnet18", "mobilenetv2"])
    ap.add_argument("outdir")
    ap.add_argument("--calib", type=int, default=32)
    ap.add_argument("--holdout", type=int, default=8)
    ap.add_argument("--res", type=int, default=224)
    a = ap.parse_args()
    os.makedirs(a.outdir, exist_ok=True)
    net = Net(2)
    out = (resnet18 if a.name == "resnet18" else mobilenetv2)(net)
    net.nodes[-1].output[0] = "output"
    graph = helper.make_graph(net.nodes, a.name, [helper.make_tensor_value_info(
        "input", TensorProto.FLOAT, ["N", 3, a.res, a.res])], [helper.make_tensor_value_info(
            "output", TensorProto.FLOAT, ["N", 1000])], net.inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)], producer_name="make_vision_float")
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(a.outdir, a.name + "_float.onnx"))
    rng_c, rng_h = np.random.default_rng(5), np.random.default_rng(6)
    np.save(os.path.join(a.outdir, a.name + "_calib.npy"),
            rng_c.standard_normal((a.calib, 3, a.res, a.res)).astype(np.float32))
    np.save(os.path.join(a.outdir, a.name + "_holdout.npy"),
            rng_h.standard_normal((a.holdout, 3, a.res, a.res)).astype(np.float32))
    del out


if __name__ == "__main__":
    main()
