"""Run part of an ONNX graph as a PyTorch module, so that part can be trained.

Debian's PyTorch cannot import an ONNX model, and its Python has no onnxruntime. PP-OCRv4's
recogniser ends in a small SVTR neck (convolutions, two transformer blocks); this module runs the
nodes between two tensors of the graph with PyTorch operations, with every weight of the part as a
parameter. `write_back` puts the trained weights into the graph again, so the exported model is the
original graph with new numbers: no re-export, no operator that lpr-edge's onnxruntime has not run.

Only the operators of that neck are implemented (opset 9 as exported by paddle2onnx); any other
stops with its name.
"""
from __future__ import annotations

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import numpy_helper


def _attrs(node):
    return {a.name: onnx.helper.get_attribute_value(a) for a in node.attribute}


def _conv(x, w, b, at):
    top, left, bottom, right = at.get("pads", [0, 0, 0, 0])
    if (top, left) != (bottom, right):
        x, pad = F.pad(x, (left, right, top, bottom)), 0
    else:
        pad = (top, left)
    return F.conv2d(x, w, b, at.get("strides", [1, 1]), pad, at.get("dilations", [1, 1]), at.get("group", 1))


def _batch_norm(x, scale, bias, mean, var, at):
    # Inference form: the running statistics stay as trained; scale and bias can learn.
    shape = (1, -1) + (1,) * (x.dim() - 2)
    return (x - mean.reshape(shape)) / torch.sqrt(var.reshape(shape) + at.get("epsilon", 1e-5)) * scale.reshape(shape) + bias.reshape(shape)


def _slice(x, at):
    for axis, start, end in zip(at["axes"], at["starts"], at["ends"]):
        x = x.narrow(axis, start, min(end, x.shape[axis]) - start)
    return x


def _reshape(x, shape):
    dims = [int(s) for s in shape.tolist()]
    return x.reshape([x.shape[i] if s == 0 else s for i, s in enumerate(dims)])


_DTYPES = {1: torch.float32, 6: torch.int32, 7: torch.long}

_OPS = {
    "Add": lambda i, at: i[0] + i[1],
    "Sub": lambda i, at: i[0] - i[1],
    "Mul": lambda i, at: i[0] * i[1],
    "Div": lambda i, at: i[0] / i[1],
    "Pow": lambda i, at: torch.pow(i[0], i[1]),
    "MatMul": lambda i, at: torch.matmul(i[0], i[1]),
    "Sigmoid": lambda i, at: torch.sigmoid(i[0]),
    "Sqrt": lambda i, at: torch.sqrt(i[0]),
    "Softmax": lambda i, at: torch.softmax(i[0], at.get("axis", 1)),
    "Transpose": lambda i, at: i[0].permute(*at["perm"]),
    "ReduceMean": lambda i, at: i[0].mean(dim=tuple(at["axes"]), keepdim=bool(at.get("keepdims", 1))),
    "Shape": lambda i, at: torch.tensor(i[0].shape, dtype=torch.long),
    "Cast": lambda i, at: i[0].to(_DTYPES[at["to"]]),
    "Slice": lambda i, at: _slice(i[0], at),
    "Concat": lambda i, at: torch.cat([t if t.is_floating_point() else t.long() for t in i], at["axis"]),
    "Squeeze": lambda i, at: i[0].reshape([d for k, d in enumerate(i[0].shape) if k not in [a % i[0].dim() for a in at["axes"]]]),
    "Reshape": lambda i, at: _reshape(i[0], i[1]),
    "Conv": lambda i, at: _conv(i[0], i[1], i[2] if len(i) > 2 else None, at),
    "BatchNormalization": lambda i, at: _batch_norm(*i, at),
}


class OnnxPart(nn.Module):
    """The nodes of `path` that compute `end` from `start`; float constants of more than one value
    (weights, biases, norms) are parameters, scalars and shapes stay constants."""

    def __init__(self, path: str, start: str, end: str):
        super().__init__()
        nodes = list(onnx.load(path).graph.node)
        first = next(i for i, n in enumerate(nodes) if start in n.output) + 1
        last = next(i for i, n in enumerate(nodes) if end in n.output) + 1
        self.nodes = [n for n in nodes[first:last] if n.op_type != "Constant"]
        unknown = sorted({n.op_type for n in self.nodes} - set(_OPS))
        if unknown:
            raise SystemExit("onnx_part: operators not implemented: %s" % ", ".join(unknown))
        used = {i for n in self.nodes for i in n.input}
        self.weights = nn.ParameterDict()
        self.param_of: dict[str, str] = {}
        self.constants: dict[str, torch.Tensor] = {}
        for n in nodes:
            if n.op_type != "Constant" or n.output[0] not in used:
                continue
            value = numpy_helper.to_array(n.attribute[0].t).copy()
            if value.dtype == np.float32 and value.size > 1:
                key = "w%d" % len(self.weights)
                self.param_of[n.output[0]] = key
                self.weights[key] = nn.Parameter(torch.from_numpy(value))
            else:
                self.constants[n.output[0]] = torch.from_numpy(value)
        self.start, self.end = start, end

    def forward(self, x):
        values = {self.start: x, **self.constants}
        values.update({name: self.weights[key] for name, key in self.param_of.items()})
        for n in self.nodes:
            values[n.output[0]] = _OPS[n.op_type]([values[i] for i in n.input if i], _attrs(n))
        return values[self.end]

    def write_back(self, src: str, dst: str):
        """`src` with this part's weights replaced by the trained ones, saved as `dst`."""
        model = onnx.load(src)
        for n in model.graph.node:
            if n.op_type == "Constant" and n.output[0] in self.param_of:
                t = self.weights[self.param_of[n.output[0]]].detach().numpy().astype(np.float32)
                n.attribute[0].t.CopyFrom(numpy_helper.from_array(t, n.attribute[0].t.name))
        onnx.save(model, dst)
