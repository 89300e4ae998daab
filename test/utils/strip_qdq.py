#!/usr/bin/python3
"""A float model from a QDQ model: every QuantizeLinear -> DequantizeLinear pair removed (the
TensorRT idiom keeps float weights that pass through such pairs) and every DequantizeLinear of a
constant replaced by its float values (ORT's int8 initializers), so the float network the QDQ
model was made from, up to the weights' rounding.

  strip_qdq.py IN.onnx OUT.onnx
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper
src, dst = sys.argv[1], sys.argv[2]
m = onnx.load(src)
g = m.graph
inits = {i.name: i for i in g.initializer}
consts = {}
for n in g.node:
    if n.op_type == "Constant":
        for a in n.attribute:
            if a.name == "value":
                consts[n.output[0]] = numpy_helper.to_array(a.t)
def val(name):
    if name in inits: return numpy_helper.to_array(inits[name])
    if name in consts: return consts[name]
    return None
prod = {o: n for n in g.node for o in n.output}
rename = {}
drop = set()
new_inits = []
for n in g.node:
    if n.op_type != "DequantizeLinear": continue
    x = n.input[0]
    p = prod.get(x)
    if p is not None and p.op_type == "QuantizeLinear":
        rename[n.output[0]] = p.input[0]; drop.add(id(n)); drop.add(id(p))
    else:
        q = val(x); s = val(n.input[1]); z = val(n.input[2]) if len(n.input) > 2 and n.input[2] else None
        if q is None or s is None: continue
        axis = next((a.i for a in n.attribute if a.name == "axis"), 1)
        q = q.astype(np.float32); s = s.astype(np.float32)
        zz = np.zeros_like(s) if z is None else z.astype(np.float32)
        if s.ndim == 1 and s.size > 1:
            shp = [1] * q.ndim; shp[axis] = -1
            f = (q - zz.reshape(shp)) * s.reshape(shp)
        else:
            f = (q - zz) * s
        name = n.output[0] + "_float"
        new_inits.append(numpy_helper.from_array(f.astype(np.float32), name))
        rename[n.output[0]] = name; drop.add(id(n))
def r(x):
    while x in rename: x = rename[x]
    return x
nodes = []
for n in g.node:
    if id(n) in drop: continue
    for i, x in enumerate(n.input): n.input[i] = r(x)
    nodes.append(n)
for o in g.output: o.name = r(o.name)
del g.node[:]; g.node.extend(nodes); g.initializer.extend(new_inits)
onnx.save(m, dst)
print("stripped", len(drop), "nodes")
