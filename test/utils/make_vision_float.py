#!/usr/bin/python3
"""Float ResNet-18 and MobileNetV2 (torchvision's architectures) as ONNX, for the `qcc quantize`
tests (issue 13), written with onnx.helper and numpy (no PyTorch needed), with calibration and
held-back inputs.

  make_vision_float.py resnet18|mobilenetv2 OUTDIR [--calib N] [--holdout M] [--res R]

Weights: He-normal convs (seed 2) and Linear, BatchNormalization kept after every conv with
gamma in [0.5, 1.5], beta, mean in [-0.1, 0.1] and var in [0.5, 1.5]: values of the size running
statistics take on such a network, so the activations stay of order one. Opset 13, input
`input` [N, 3, R, R] (dynamic batch), output `output` [N, 1000]. Writes OUTDIR/<name>_float.onnx,
OUTDIR/<name>_calib.npy (N samples, default 32) and OUTDIR/<name>_holdout.npy (M, default 8):
N(0, 1) images from their own seeds.
"""
import argparse
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


class Net:
    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)
        self.nodes, self.inits, self.n = [], [], 0

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
        fan_in = cin // group * k * k
        w = self.rng.normal(0, np.sqrt(2.0 / fan_in), (cout, cin // group, k, k))
        y = self.node("Conv", [x, self.init("w", w)], kernel_shape=[k, k], strides=[stride, stride],
                      pads=[k // 2] * 4, group=group)
        r = self.rng
        bn = [self.init("gamma", r.uniform(0.5, 1.5, cout)), self.init("beta", r.uniform(-0.1, 0.1, cout)),
              self.init("mean", r.uniform(-0.1, 0.1, cout)), self.init("var", r.uniform(0.5, 1.5, cout))]
        y = self.node("BatchNormalization", [y] + bn, epsilon=1e-5)
        if relu == "relu":
            y = self.node("Relu", [y])
        elif relu == "relu6":
            y = self.node("Clip", [y, self.init("lo", np.array(0.0)), self.init("hi", np.array(6.0))])
        return y

    def head(self, x, c):
        x = self.node("GlobalAveragePool", [x])
        x = self.node("Flatten", [x], axis=1)
        w = self.rng.normal(0, np.sqrt(1.0 / c), (1000, c))
        b = self.rng.uniform(-0.1, 0.1, 1000)
        return self.node("Gemm", [x, self.init("fc_w", w), self.init("fc_b", b)], transB=1)


def resnet18(net):
    x = net.conv_bn("input", 3, 64, 7, 2, relu="relu")
    x = net.node("MaxPool", [x], kernel_shape=[3, 3], strides=[2, 2], pads=[1, 1, 1, 1])
    cin = 64
    for cout, stride in [(64, 1), (64, 1), (128, 2), (128, 1), (256, 2), (256, 1), (512, 2), (512, 1)]:
        y = net.conv_bn(x, cin, cout, 3, stride, relu="relu")
        y = net.conv_bn(y, cout, cout, 3)
        skip = x if stride == 1 and cin == cout else net.conv_bn(x, cin, cout, 1, stride)
        x = net.node("Relu", [net.node("Add", [y, skip])])
        cin = cout
    return net.head(x, 512)


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
            x = net.node("Add", [x, y]) if stride == 1 and cin == c else y
            cin = c
    x = net.conv_bn(x, cin, 1280, 1, relu="relu6")
    return net.head(x, 1280)


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
