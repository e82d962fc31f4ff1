#!/usr/bin/python3
"""Train the lpr-edge plate-text recogniser (CTC, CPU) and export it to ONNX.

Data: synthetic plates from synth.py (cached as .npz) + real crops from openalpr-dev
`crops-us` (train split only) + plate crops cut from `endtoend-eu` boxes (train split only).
`endtoend-us` is never read (held-out end-to-end benchmark).

Split: a file is in the validation split iff md5(file name) % 100 < 30 (deterministic).

Full run (the committed model):
  /usr/bin/python3 scripts/train/train.py --out models
CI smoke run (seconds, no real data needed):
  /usr/bin/python3 scripts/train/train.py --smoke --out /tmp/x
"""
from __future__ import annotations

import argparse
import csv
import hashlib
import json
import os
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from PIL import Image

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import synth  # noqa: E402

ALPHABET = synth.ALPHABET
H, W = 32, 128
MEAN, STD = 0.5, 0.5
FRESH_SEED_BASE = 10 ** 12  # --fresh-per-step plates: far from the cached sets' seed * 100003 + chunk
SYNTH_VERSION = "v6"  # bump when synth.py changes, invalidates the cache
HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DEFAULT_DATA = os.path.join(ROOT, "..", "shared", "datasets", "openalpr-dev")


def is_val(name: str) -> bool:
    return int(hashlib.md5(name.encode()).hexdigest(), 16) % 100 < 30


def clean_label(s: str) -> str:
    return "".join(c for c in s.strip().upper() if c in ALPHABET)


# ----------------------------------------------------------------------------- model
def norm(fused, bn, cout):
    """Batch norm, or nothing when the model is rebuilt from an exported ONNX file, where the
    exporter has folded every batch norm into its convolution's weights and bias."""
    return nn.Identity() if fused else bn(cout)


class PlateRec(nn.Module):
    """1x32x128 -> [N, 32, 37] logits. Six conv blocks, then a 1-D conv head (`head="conv"`) or
    a bidirectional LSTM (`head="lstm"`), which sees the whole line when it places a character."""

    def __init__(self, n_cls=len(ALPHABET) + 1, fused=False, head="conv"):
        super().__init__()
        self.head_kind = head

        def block(cin, cout):
            return nn.Sequential(nn.Conv2d(cin, cout, 3, padding=1, bias=fused), norm(fused, nn.BatchNorm2d, cout), nn.ReLU(inplace=True))

        self.features = nn.Sequential(
            block(1, 32), nn.MaxPool2d(2),            # 16x64
            block(32, 64), nn.MaxPool2d(2),           # 8x32
            block(64, 128), block(128, 128), nn.MaxPool2d((2, 1)),   # 4x32
            block(128, 192), block(192, 192), nn.MaxPool2d((2, 1)),  # 2x32
        )
        self.collapse = nn.Sequential(nn.Conv2d(192, 256, (2, 1), bias=fused), norm(fused, nn.BatchNorm2d, 256), nn.ReLU(inplace=True))  # 1x32
        self.drop = nn.Dropout(0.15)
        if head == "lstm":
            self.rnn = nn.LSTM(256, 128, batch_first=True, bidirectional=True)
            self.out = nn.Linear(256, n_cls)
        else:
            self.head = nn.Sequential(
                nn.Conv1d(256, 256, 3, padding=1, bias=fused), norm(fused, nn.BatchNorm1d, 256), nn.ReLU(inplace=True),
                nn.Conv1d(256, n_cls, 1),
            )

    def forward(self, x):
        f = self.collapse(self.features(x))  # N,256,1,T
        f = self.drop(f.squeeze(2))
        if self.head_kind == "lstm":
            return self.out(self.rnn(f.permute(0, 2, 1))[0])  # N,T,C
        return self.head(f).permute(0, 2, 1)  # N,T,C


def load_onnx_weights(model: PlateRec, onnx_path: str):
    """Fine-tuning starts from an exported model: its Conv nodes, in graph order, are the fused
    model's convolutions in module order. An LSTM-head model takes only the convolutions before
    the head from a conv-head model (its head starts fresh); from an LSTM-head model, all."""
    import onnx
    from onnx import numpy_helper
    g = onnx.load(onnx_path).graph
    init = {t.name: numpy_helper.to_array(t) for t in g.initializer}
    onnx_convs = [n for n in g.node if n.op_type == "Conv"]
    convs = [m for m in model.modules() if isinstance(m, (nn.Conv1d, nn.Conv2d))]
    onnx_lstms = [n for n in g.node if n.op_type == "LSTM"]
    if model.head_kind == "lstm" and not onnx_lstms:
        onnx_convs = onnx_convs[: len(convs)]
    elif model.head_kind == "lstm":
        load_onnx_lstm(model, init, onnx_lstms[0], g)
    if len(onnx_convs) != len(convs):
        sys.exit("--init %s: %d convolutions, this architecture has %d" % (onnx_path, len(onnx_convs), len(convs)))
    with torch.no_grad():
        for node, conv in zip(onnx_convs, convs):
            w, b = np.array(init[node.input[1]]), np.array(init[node.input[2]])
            if tuple(w.shape) != tuple(conv.weight.shape):
                sys.exit("--init %s: weight %s has shape %s, expected %s" % (onnx_path, node.input[1], w.shape, tuple(conv.weight.shape)))
            conv.weight.copy_(torch.from_numpy(w))
            conv.bias.copy_(torch.from_numpy(b))


def onnx_has_lstm(onnx_path: str) -> bool:
    import onnx
    return any(n.op_type == "LSTM" for n in onnx.load(onnx_path).graph.node)


def load_onnx_lstm(model: PlateRec, init, node, graph):
    """The LSTM and output layer of an exported LSTM-head model. ONNX keeps the gates in the
    order i, o, f, c and PyTorch in i, f, c, o; the bias is W's then R's."""
    def reorder(t):  # [4H, ...] from iofc to ifco
        i, o, f, c = np.split(t, 4, axis=0)
        return np.concatenate([i, f, c, o], axis=0)
    w, r, b = (np.array(init[name]) for name in node.input[1:4])
    hidden = model.rnn.hidden_size
    with torch.no_grad():
        for d, suffix in enumerate(["", "_reverse"]):
            getattr(model.rnn, "weight_ih_l0" + suffix).copy_(torch.from_numpy(reorder(w[d])))
            getattr(model.rnn, "weight_hh_l0" + suffix).copy_(torch.from_numpy(reorder(r[d])))
            getattr(model.rnn, "bias_ih_l0" + suffix).copy_(torch.from_numpy(reorder(b[d][: 4 * hidden])))
            getattr(model.rnn, "bias_hh_l0" + suffix).copy_(torch.from_numpy(reorder(b[d][4 * hidden:])))
        matmul = [n for n in graph.node if n.op_type in ("MatMul", "Gemm") and n.input[1] in init][-1]
        weight = np.array(init[matmul.input[1]])
        model.out.weight.copy_(torch.from_numpy(weight.T if matmul.op_type == "MatMul" else weight))
        add = [n for n in graph.node if n.op_type == "Add" and any(i in init for i in n.input)][-1]
        bias = next(np.array(init[i]) for i in add.input if i in init)
        model.out.bias.copy_(torch.from_numpy(bias))


class WeightAverage:
    """Exponential moving average of a model's parameters; buffers (batch-norm statistics) are
    copied from the model as they are."""

    def __init__(self, model, decay):
        import copy
        self.model, self.decay = copy.deepcopy(model), decay

    @torch.no_grad()
    def update(self, model):
        for avg, cur in zip(self.model.parameters(), model.parameters()):
            avg.mul_(self.decay).add_(cur.detach(), alpha=1 - self.decay)
        for avg, cur in zip(self.model.buffers(), model.buffers()):
            avg.copy_(cur)


# ----------------------------------------------------------------------------- data
def load_crops_us(root, lines_file=None):
    """Real plate crops; with `lines_file` (find-lines.mjs output) those crops whose character
    line the text detector found carry it as `info["line"]`, for line crops as on full frames."""
    lines = json.load(open(lines_file)) if lines_file and os.path.exists(lines_file) else {}
    items = []
    with open(os.path.join(root, "crops-us.csv"), newline="") as f:
        for row in csv.DictReader(f):
            lab = clean_label(row["plate"])
            name = row["file"].strip()
            p = os.path.join(root, "crops-us", name)
            if lab and os.path.exists(p):
                im = Image.open(p).convert("RGB")
                if name in lines:
                    x, y, w, h = lines[name]
                    im.info["line"] = (x, y, x + w, y + h)
                items.append((name, im, lab))
    return items


def load_eu_crops(root):
    items = []
    d = os.path.join(root, "endtoend-eu")
    for fn in sorted(os.listdir(d)):
        if not fn.endswith(".txt"):
            continue
        for line in open(os.path.join(d, fn)):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 6:
                continue
            img, x, y, w, h, plate = parts[:6]
            lab = clean_label(plate)
            if not lab:
                continue
            im = Image.open(os.path.join(d, img)).convert("RGB")
            x, y, w, h = int(x), int(y), int(w), int(h)
            items.append((img, im.crop((x, y, x + w, y + h)), lab))
    return items


def to_input(img: Image.Image) -> np.ndarray:
    """Inference preprocessing exactly as described in plate-rec.json (grey, stretch, /255, (x-m)/s)."""
    g = img.convert("L").resize((W, H), Image.BILINEAR)
    return ((np.asarray(g, np.float32) / 255.0) - MEAN) / STD


def synth_cache(n, seed, workers, cache_dir, line_frac=0.0):
    os.makedirs(cache_dir, exist_ok=True)
    lines = "_line%g" % line_frac if line_frac > 0 else ""
    p = os.path.join(cache_dir, "synth_%s%s_%d_%d_%dx%d.npz" % (SYNTH_VERSION, lines, seed, n, W, H))
    if os.path.exists(p):
        z = np.load(p)
        return z["X"], list(z["Y"])
    t = time.time()
    X, Y = synth.generate(n, seed, W, H, workers=workers, line_frac=line_frac)
    np.savez(p, X=X, Y=np.array(Y))
    print("generated %d synthetic plates in %.1fs -> %s" % (n, time.time() - t, p), flush=True)
    return X, Y


class Mixer(torch.utils.data.IterableDataset):
    """Infinite stream of batches mixing cached synthetic plates and augmented real crops."""

    def __init__(self, X, Y, real, batch, real_frac_fn, seed, steps, line_frac=0.0, fresh=0):
        # steps <= 0: endless (time-budgeted run); real_frac_fn(step) decides the real share per batch;
        # line_frac: share of real crops with a known character line that are cut around it (and of
        # fresh synthetic plates cut around their line); fresh: synthetic plates generated per step
        # that replace random cached ones
        self.X, self.Y, self.real, self.batch, self.line_frac = X, Y, real, batch, line_frac
        self.real_frac_fn, self.seed, self.steps, self.fresh = real_frac_fn, seed, steps, fresh

    def __iter__(self):
        rng = np.random.default_rng(self.seed + 7)
        step = -1
        while self.steps <= 0 or step < self.steps - 1:
            step += 1
            nr = int(round(self.batch * self.real_frac_fn(step))) if self.real else 0
            ns = self.batch - nr
            imgs, labs = [], []
            for i in rng.integers(0, len(self.X), ns):
                a = self.X[i]
                if rng.random() < 0.5:  # cheap jitter: random sub-crop / pad then stretch back
                    hh, ww = a.shape
                    t, b = int(rng.integers(0, 3)), hh - int(rng.integers(0, 3))
                    l, r = int(rng.integers(0, 5)), ww - int(rng.integers(0, 5))
                    a = np.asarray(Image.fromarray(a[t:b, l:r]).resize((W, H), Image.BILINEAR))
                if rng.random() < 0.05:
                    a = 255 - a  # rare polarity flip
                imgs.append(a)
                labs.append(self.Y[i])
            for j in rng.integers(0, len(self.real), nr):
                _, im, lab = self.real[j]
                line_crop = "line" in im.info and rng.random() < self.line_frac
                imgs.append(synth.degrade(rng, im, W, H, strength=float(rng.uniform(0.3, 1.0)), line_crop=line_crop))
                labs.append(lab)
            if self.fresh:
                # A small cached set seen for many epochs is memorised (models/plate-rec.md): new
                # plates keep replacing old ones instead. (This worker's copy of X only; seeds
                # apart from every cached set's.)
                Xn, Yn = synth._gen_chunk((FRESH_SEED_BASE + self.seed * 10 ** 6 + step, self.fresh, W, H, 0.12, self.line_frac))
                for x_new, y_new, slot in zip(Xn, Yn, rng.integers(0, len(self.X), self.fresh)):
                    self.X[slot], self.Y[slot] = x_new, y_new
            x = torch.from_numpy(((np.stack(imgs).astype(np.float32) / 255.0) - MEAN) / STD).unsqueeze(1)
            tg = torch.tensor([ALPHABET.index(c) + 1 for l_ in labs for c in l_], dtype=torch.long)
            ln = torch.tensor([len(l_) for l_ in labs], dtype=torch.long)
            yield x, tg, ln


def greedy_decode(logits: np.ndarray):
    """logits [N,T,C] -> list of (text, per-char confidences)."""
    e = np.exp(logits - logits.max(-1, keepdims=True))
    p = e / e.sum(-1, keepdims=True)
    idx = p.argmax(-1)
    out = []
    for n in range(idx.shape[0]):
        s, conf, prev = [], [], 0
        for t, k in enumerate(idx[n]):
            if k != 0 and k != prev:
                s.append(ALPHABET[k - 1])
                conf.append(float(p[n, t, k]))
            prev = k
        out.append(("".join(s), conf))
    return out


@torch.no_grad()
def evaluate(model, items, bs=64):
    model.eval()
    ok, rows = 0, []
    for i in range(0, len(items), bs):
        chunk = items[i: i + bs]
        x = torch.from_numpy(np.stack([to_input(im) for _, im, _ in chunk])).unsqueeze(1)
        dec = greedy_decode(model(x).numpy())
        for (name, _, lab), (txt, conf) in zip(chunk, dec):
            ok += txt == lab
            rows.append((name, lab, txt, min(conf) if conf else 0.0))
    model.train()
    return ok / max(1, len(items)), rows


def export(model, out_dir):
    os.makedirs(out_dir, exist_ok=True)
    model.eval()
    onnx_path = os.path.join(out_dir, "plate-rec.onnx")
    dummy = torch.zeros(1, 1, H, W)
    torch.onnx.export(model, dummy, onnx_path, input_names=["input"], output_names=["logits"],
                      dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=13,
                      do_constant_folding=True)
    meta = {
        "name": "plate-rec", "version": "1",
        "input": {"name": "input", "height": H, "width": W, "channels": 1, "mean": MEAN, "std": STD, "resize": "stretch"},
        # The crop lpr-edge cuts on full frames: the text line grown by these fractions of its
        # height. Without it the sidecar's default (a whole-plate margin) applies, and a model
        # trained here on line crops reads full frames far worse (endtoend-us 33 % against 72 %).
        "crop": {"kind": "plate", "padX": 0.05, "padY": 0.12},
        "output": {"name": "logits", "layout": "NTC", "blank": 0, "alphabet": ALPHABET, "softmax": False},
    }
    with open(os.path.join(out_dir, "plate-rec.json"), "w") as f:
        json.dump(meta, f)
        f.write("\n")
    import onnx
    onnx.checker.check_model(onnx.load(onnx_path))
    return onnx_path


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", default=os.path.join(ROOT, "models"))
    ap.add_argument("--data", default=DEFAULT_DATA)
    ap.add_argument("--seed", type=int, default=1234)
    ap.add_argument("--synth", type=int, default=80000, help="number of cached synthetic plates")
    ap.add_argument("--synth-sets", type=int, default=1,
                    help="use this many synthetic sets of --synth plates each, seeded --seed, --seed+1, ... (cached separately, so earlier sets are reused)")
    ap.add_argument("--line-frac", type=float, default=0.0,
                    help="share of synthetic crops cut around the character line, as on full frames")
    ap.add_argument("--real-lines", default=os.path.join(HERE, "crops-us-lines.json"),
                    help="character lines of the real train crops (find-lines.mjs); with --line-frac > 0 that share of them is cut as line crops")
    ap.add_argument("--steps", type=int, default=6000)
    ap.add_argument("--minutes", type=float, default=0.0,
                    help="time budget for the training loop; overrides --steps (cosine LR over wall time)")
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=2e-3)
    ap.add_argument("--real-frac", type=float, default=0.25, help="share of real crops per batch (phase 1)")
    ap.add_argument("--ft-real-frac", type=float, default=0.5, help="share of real crops in the fine-tune phase")
    ap.add_argument("--ft-start", type=float, default=0.7, help="fraction of steps after which fine-tuning starts")
    ap.add_argument("--no-eu", action="store_true")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2, help="processes for synthetic generation")
    ap.add_argument("--cache", default="/tmp/plate-rec-cache")
    ap.add_argument("--eval-every", type=int, default=500)
    ap.add_argument("--ema", type=float, default=0.0,
                    help="export an exponential moving average of the weights with this decay (e.g. 0.999) instead of the last step's weights")
    ap.add_argument("--ema-start", type=float, default=0.0,
                    help="fraction of the run after which the weight average starts (a new head's first, random steps are left out)")
    ap.add_argument("--fresh-per-step", type=int, default=0,
                    help="generate this many new synthetic plates per step (in the data worker) to replace random cached ones")
    ap.add_argument("--head", choices=["conv", "lstm"],
                    help="the layer that turns the column features into characters: 1-D convolutions (default), or a bidirectional LSTM; with --init, the init model's own head unless given")
    ap.add_argument("--init", help="fine-tune an exported plate-rec.onnx instead of starting from scratch (use a lower --lr, e.g. 3e-4)")
    ap.add_argument("--init-lr-scale", type=float, default=1.0,
                    help="learning-rate multiplier for the convolutional blocks taken from --init (not the head, which always learns at --lr)")
    ap.add_argument("--distill", type=float, default=0.0,
                    help="with --init: weight of a loss keeping the outputs near the init model's on every batch "
                         "(KL divergence per output step), so a run learns what its data adds without moving "
                         "the init model's readings elsewhere")
    ap.add_argument("--smoke", action="store_true", help="tiny CI run: 64 synthetic plates, 2 steps, export")
    a = ap.parse_args()
    if a.distill > 0 and not a.init:
        ap.error("--distill needs --init: the model whose outputs the run stays near")

    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    np.random.seed(a.seed)
    t0 = time.time()

    if a.smoke:
        X, Y = synth.generate(32, a.seed, W, H, workers=1, chunk=32, line_frac=0.5)
        real_train, val_sets, all_us = [], {}, []
        a.steps, a.batch, a.eval_every = 2, 16, 0
    else:
        sets = [synth_cache(a.synth, a.seed + k, a.workers, a.cache, a.line_frac) for k in range(a.synth_sets)]
        X = np.concatenate([x for x, _ in sets])
        Y = [y for _, ys in sets for y in ys]
        us = load_crops_us(a.data, a.real_lines)
        us_train = [it for it in us if not is_val(it[0])]
        us_val = [it for it in us if is_val(it[0])]
        eu = [] if a.no_eu else load_eu_crops(a.data)
        eu_train = [it for it in eu if not is_val(it[0])]
        eu_val = [it for it in eu if is_val(it[0])]
        real_train = us_train + eu_train
        val_sets = {"crops-us-val": us_val, "eu-val": eu_val}
        all_us = us
        n_lines = sum("line" in it[1].info for it in us_train)
        print("real train: %d crops-us (%d with a character line) + %d eu; val: %d crops-us + %d eu" % (len(us_train), n_lines, len(eu_train), len(us_val), len(eu_val)), flush=True)
    t_data = time.time() - t0

    a.head = a.head or ("lstm" if a.init and onnx_has_lstm(a.init) else "conv")
    model = PlateRec(fused=bool(a.init), head=a.head)
    if a.init:
        load_onnx_weights(model, a.init)
        print("fine-tuning from %s" % a.init, flush=True)
    # Every run from run 2's weights tipped plates run 2 reads narrowly (models/plate-rec.md):
    # a frozen copy of the init model anchors the outputs where the new data does not disagree.
    teacher = None
    if a.distill > 0:
        import copy
        teacher = copy.deepcopy(model).eval()
        for p_ in teacher.parameters():
            p_.requires_grad_(False)
    print("params: %.2fM" % (sum(p.numel() for p in model.parameters()) / 1e6), flush=True)
    # Layers taken from --init can learn more slowly than a new head (--init-lr-scale), so the
    # new head fits the features the shipped model already reads frames with.
    inherited = lambda name: bool(a.init) and name.startswith(("features", "collapse"))  # noqa: E731
    params = list(model.named_parameters())
    groups = [{"params": [p_ for n_, p_ in params if inherited(n_)], "scale": a.init_lr_scale},
              {"params": [p_ for n_, p_ in params if not inherited(n_)], "scale": 1.0}]
    opt = torch.optim.AdamW([g_ for g_ in groups if g_["params"]], lr=a.lr, weight_decay=1e-4)
    # A time-budgeted run ends wherever the clock stops; averaging the weights over the last
    # ~1/(1-decay) steps makes the exported model depend less on that last step.
    averaged = None
    import math
    import multiprocessing as mp
    progress = mp.Value("d", 0.0)  # fraction of the run done, shared with the data worker

    def lr_at(p):  # linear warm-up then cosine decay to 1 %
        return a.lr * (p / 0.05 if p < 0.05 else 0.01 + 0.99 * 0.5 * (1 + math.cos(math.pi * min(1.0, (p - 0.05) / 0.95))))

    frac = lambda s: a.real_frac if progress.value < a.ft_start else a.ft_real_frac  # noqa: E731
    ds = Mixer(X, Y, real_train, a.batch, frac, a.seed, 0 if a.minutes > 0 else a.steps, a.line_frac, a.fresh_per_step)
    dl = torch.utils.data.DataLoader(ds, batch_size=None, num_workers=0 if a.smoke else 1)
    ctc = nn.CTCLoss(blank=0, zero_infinity=True)
    model.train()
    t1 = time.time()
    ema = None
    n_steps = 0
    for step, (x, tg, ln) in enumerate(dl):
        p = (time.time() - t1) / (a.minutes * 60) if a.minutes > 0 else step / max(1, a.steps)
        if p >= 1.0:
            break
        progress.value = p
        for g in opt.param_groups:
            g["lr"] = lr_at(p) * g["scale"]
        logits = model(x)  # N,T,C
        lp = F.log_softmax(logits, -1).permute(1, 0, 2)
        il = torch.full((x.shape[0],), lp.shape[0], dtype=torch.long)
        loss = ctc(lp, tg, il, ln)
        if teacher is not None:
            with torch.no_grad():
                target = F.log_softmax(teacher(x), -1)
            kl = F.kl_div(F.log_softmax(logits, -1), target, log_target=True, reduction="none").sum(-1).mean()
            loss = loss + a.distill * kl
        opt.zero_grad()
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        opt.step()
        if a.ema > 0 and averaged is None and p >= a.ema_start:
            averaged = WeightAverage(model, a.ema)
        elif averaged:
            averaged.update(model)
        ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
        n_steps = step + 1
        if step % 100 == 0:
            el = time.time() - t1
            print("step %d p=%.3f loss %.3f lr %.2e %.0f img/s %.1f min" % (step, p, ema, opt.param_groups[-1]["lr"], (step + 1) * a.batch / el, el / 60), flush=True)
        if a.eval_every and step and step % a.eval_every == 0:
            for k, v in val_sets.items():
                if v:
                    print("  eval step %d %s: %.3f" % (step, k, evaluate(averaged.model if averaged else model, v)[0]), flush=True)
    t_train = time.time() - t1

    if averaged:
        model = averaged.model
    path = export(model, a.out)
    report = {"init": a.init, "head": a.head, "lr": a.lr, "seed": a.seed, "ema": a.ema, "ema_start": a.ema_start, "init_lr_scale": a.init_lr_scale, "distill": a.distill, "steps": n_steps, "minutes_budget": a.minutes, "batch": a.batch, "synth": len(X), "data_prep_s": round(t_data, 1),
              "train_s": round(t_train, 1), "total_s": round(time.time() - t0, 1)}
    if not a.smoke:
        for k, v in list(val_sets.items()) + [("crops-us-all", all_us)]:
            if v:
                acc, rows = evaluate(model, v)
                report[k] = {"n": len(v), "exact": sum(r[1] == r[2] for r in rows), "acc": round(acc, 4)}
                with open(os.path.join(a.cache, "eval-%s.csv" % k), "w") as f:
                    f.write("file,label,pred,min_conf\n")
                    for r in rows:
                        f.write("%s,%s,%s,%.4f\n" % r)
    print("REPORT " + json.dumps(report), flush=True)
    print("exported", path)


if __name__ == "__main__":
    main()
