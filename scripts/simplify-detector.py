#!/usr/bin/env python3
"""Fold PP-OCRv4's text detector into fewer, larger operations for the CPU.

The exported detector spends more time in small per-pixel operations than in its convolutions:
each convolution is followed by a learnt scale and shift (Mul, Add), batch norms, and hard-swish
written out as Add, Clip, Mul, Div. Every one of them is a pass over a full-resolution tensor, and
onnxruntime converts layouts around each. This script rewrites the graph without changing what it
computes:

  * a scale/shift or batch norm after a convolution goes into that convolution's weights and bias;
  * a scale/shift after an activation goes into the next convolution's weights and bias;
  * hard-swish becomes one HardSwish operation (opset 14).

The only numerical difference is at the image border of a padded convolution whose input shift
was folded (the padding is zero after folding, the shift before); test/detector-model.test.ts
checks the two models find the same text on real images.

Usage: python3 scripts/simplify-detector.py IN.onnx OUT.onnx   (Debian: python3-onnx, python3-numpy)
"""
import sys

import numpy as np
import onnx
from onnx import helper, numpy_helper


def main(src: str, dst: str) -> None:
    model = onnx.load(src)
    graph = model.graph
    consts = {}
    nodes = []
    for node in graph.node:
        if node.op_type == "Constant":
            consts[node.output[0]] = numpy_helper.to_array(node.attribute[0].t)
        else:
            nodes.append(node)

    def consumers(name):
        return [n for n in nodes if name in n.input]

    def scalar_operand(node):
        """The constant operand and the tensor operand of a Mul/Add/Div with one constant."""
        a, b = node.input
        if a in consts and b not in consts:
            return consts[a], b
        if b in consts and a not in consts:
            return consts[b], a
        return None, None

    def per_channel(value, channels):
        v = np.asarray(value, dtype=np.float32).reshape(-1)
        if v.size == 1:
            return np.full(channels, v[0], dtype=np.float32)
        if v.size == channels:
            return v
        return None

    def conv_params(conv):
        """Weights, bias, output channel axis of the weights, output channel count."""
        w = consts[conv.input[1]].astype(np.float32)
        out_axis = 1 if conv.op_type == "ConvTranspose" else 0
        channels = w.shape[out_axis]
        if conv.op_type == "ConvTranspose":
            group = next((a.i for a in conv.attribute if a.name == "group"), 1)
            channels *= group
        bias = consts[conv.input[2]].astype(np.float32).reshape(-1) if len(conv.input) > 2 else np.zeros(channels, np.float32)
        return w, bias, out_axis, channels

    def padded(conv):
        return any(v != 0 for a in conv.attribute if a.name == "pads" for v in a.ints)

    counter = [0]

    def set_conv(conv, w, bias):
        counter[0] += 1
        wn, bn = f"fold{counter[0]}.w", f"fold{counter[0]}.b"
        consts[wn], consts[bn] = w.astype(np.float32), bias.astype(np.float32)
        del conv.input[1:]
        conv.input.extend([wn, bn])

    def only_consumer(name):
        users = consumers(name)
        outputs = {o.name for o in graph.output}
        return users[0] if len(users) == 1 and name not in outputs else None

    # 1. Scale, shift and batch norm after a convolution: into its weights and bias.
    changed = True
    while changed:
        changed = False
        for conv in [n for n in nodes if n.op_type in ("Conv", "ConvTranspose")]:
            nxt = only_consumer(conv.output[0])
            if nxt is None:
                continue
            w, bias, axis, channels = conv_params(conv)
            shape = [1] * w.ndim
            shape[axis] = -1
            if conv.op_type == "ConvTranspose" and channels != w.shape[axis]:
                continue  # grouped transposed convolutions are not folded
            if nxt.op_type in ("Mul", "Add"):
                value, _ = scalar_operand(nxt)
                v = per_channel(value, channels) if value is not None else None
                if v is None:
                    continue
                if nxt.op_type == "Mul":
                    set_conv(conv, w * v.reshape(shape), bias * v)
                else:
                    set_conv(conv, w, bias + v)
            elif nxt.op_type == "BatchNormalization" and len(nxt.output) == 1:
                eps = next((a.f for a in nxt.attribute if a.name == "epsilon"), 1e-5)
                gamma, beta, mean, var = (consts[i].astype(np.float32).reshape(-1) for i in nxt.input[1:5])
                scale = gamma / np.sqrt(var + eps)
                set_conv(conv, w * scale.reshape(shape), (bias - mean) * scale + beta)
            else:
                continue
            conv.output[0] = nxt.output[0]
            nodes.remove(nxt)
            changed = True

    # 2. Hard-swish written out as x * clip(x + 3, 0, 6) / 6: one HardSwish.
    for div in [n for n in nodes if n.op_type == "Div"]:
        six, prod_name = scalar_operand(div)
        mul = next((n for n in nodes if prod_name in n.output and n.op_type == "Mul"), None)
        if six is None or float(six) != 6.0 or mul is None:
            continue
        clip = next((n for n in nodes if n.output[0] in mul.input and n.op_type == "Clip"), None)
        if clip is None:
            continue
        add = next((n for n in nodes if n.output[0] == clip.input[0] and n.op_type == "Add"), None)
        if add is None:
            continue
        three, x = scalar_operand(add)
        lo, hi = (float(consts[i]) for i in clip.input[1:3])
        other = [i for i in mul.input if i != clip.output[0]]
        if three is None or float(three) != 3.0 or (lo, hi) != (0.0, 6.0) or other != [x]:
            continue
        if len(consumers(add.output[0])) != 1 or len(consumers(clip.output[0])) != 1 or len(consumers(mul.output[0])) != 1:
            continue
        swish = helper.make_node("HardSwish", [x], [div.output[0]])
        nodes.insert(nodes.index(div), swish)
        for n in (add, clip, mul, div):
            nodes.remove(n)

    # 3. Scale and shift before convolutions: into those convolutions' weights and bias.
    changed = True
    while changed:
        changed = False
        for mul in [n for n in nodes if n.op_type == "Mul"]:
            a, x = scalar_operand(mul)
            add = only_consumer(mul.output[0])
            if a is None or np.asarray(a).size != 1 or add is None or add.op_type != "Add":
                continue
            b, _ = scalar_operand(add)
            if b is None or np.asarray(b).size != 1:
                continue
            users = consumers(add.output[0])
            if not users or any(u.op_type != "Conv" or u.input[0] != add.output[0] for u in users):
                continue
            a, b = float(np.asarray(a).reshape(-1)[0]), float(np.asarray(b).reshape(-1)[0])
            if a == 0:
                continue
            keep_shift = any(padded(u) for u in users)
            for conv in users:
                w, bias, _, _ = conv_params(conv)
                if keep_shift:
                    # conv_w(a*x + b) = conv_{a*w}(x + b/a): zero padding means the same in both.
                    set_conv(conv, w * a, bias)
                else:
                    # Unpadded: conv_w(a*x + b) = conv_{a*w}(x) + b * sum(w) per output channel.
                    set_conv(conv, w * a, bias + b * w.reshape(w.shape[0], -1).sum(axis=1))
                    conv.input[0] = x
            nodes.remove(mul)
            if keep_shift:
                counter[0] += 1
                consts[f"fold{counter[0]}.shift"] = np.array([b / a], dtype=np.float32)
                add.input[:] = [x, f"fold{counter[0]}.shift"]
            else:
                nodes.remove(add)
            changed = True

    used = {i for n in nodes for i in n.input}
    initializers = [numpy_helper.from_array(v, k) for k, v in consts.items() if k in used]
    del graph.node[:]
    graph.node.extend(nodes)
    del graph.initializer[:]
    graph.initializer.extend(initializers)
    for opset in model.opset_import:
        if opset.domain in ("", "ai.onnx"):
            opset.version = 14
    onnx.checker.check_model(model)
    onnx.save(model, dst)
    kinds = {}
    for n in nodes:
        kinds[n.op_type] = kinds.get(n.op_type, 0) + 1
    print(f"{dst}: {len(nodes)} operations", dict(sorted(kinds.items(), key=lambda kv: -kv[1])))


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
