#!/usr/bin/env python3
"""ONNX Runtime side of charstream's generation comparison: the reference's char-RNN (the Model in
charrnn_bench.py: Embedding(98, 32) -> 2 x LSTM 128 -> Linear(128, 98)) exported by torch.onnx.export as ONE
generation step (token ids [B] and the LSTM state h, c [2, B, 128] in; logits [B, 98] and the new state out),
run by onnxruntime at --threads intra-op threads (inter-op 1) from a Python loop that samples top-n in numpy
(keep the 3 largest probabilities, renormalise, draw), at batch 1 and batch 64, timed after a warm-up at both.
Printed as one JSON object with the keys `charstream bench generate` prints.

The export runs in a child process (it needs torch); this process imports only onnxruntime and numpy, so
peak_rss_mb is ONNX Runtime's own. The child checks the exported step against PyTorch on random inputs.

Timing, as in charrnn_bench.py: priming with --seed (one step per seed character, all streams the same seed)
plus the generated characters; characters counted = batch x length.

Run (the venv from bench/pytorch/setup.sh):
  bench/pytorch/.venv/bin/python bench/pytorch/onnx_generate.py
"""
import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time

import numpy as np

HIDDEN = 128
LAYERS = 2
# The reference vocabulary, as in charrnn_bench.py (not imported from there: that would load torch here).
PRINTABLE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n"
CHAR_TO_ID = {ch: i + 1 for i, ch in enumerate(PRINTABLE)}  # id 0 = unknown


def export(path, opset):
    """Child process: export the one-step network to path, check it against PyTorch, print facts as JSON."""
    import torch
    import torch.nn as nn

    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from charrnn_bench import Model

    class Step(nn.Module):
        def __init__(self, model):
            super().__init__()
            self.model = model

        def forward(self, ids, h, c):
            out, (h, c) = self.model.rnn(self.model.encoder(ids).unsqueeze(1), (h, c))
            return self.model.decoder(out[:, 0]), h, c

    torch.manual_seed(0)
    step = Step(Model()).eval()
    batch = 4
    args = (torch.zeros(batch, dtype=torch.int64), torch.zeros(LAYERS, batch, HIDDEN), torch.zeros(LAYERS, batch, HIDDEN))
    torch.onnx.export(step, args, path, dynamo=False, opset_version=opset,
                      input_names=["ids", "h", "c"], output_names=["logits", "h_out", "c_out"],
                      dynamic_axes={"ids": {0: "batch"}, "h": {1: "batch"}, "c": {1: "batch"},
                                    "logits": {0: "batch"}, "h_out": {1: "batch"}, "c_out": {1: "batch"}})

    import onnxruntime as ort
    session = ort.InferenceSession(path, providers=["CPUExecutionProvider"])
    gen = torch.Generator().manual_seed(2)
    ids = torch.randint(0, 98, (7,), generator=gen)
    h = torch.randn(LAYERS, 7, HIDDEN, generator=gen)
    c = torch.randn(LAYERS, 7, HIDDEN, generator=gen)
    with torch.no_grad():
        expected = step(ids, h, c)
    got = session.run(None, {"ids": ids.numpy(), "h": h.numpy(), "c": c.numpy()})
    diff = max(float(np.abs(e.numpy() - g).max()) for e, g in zip(expected, got))
    ops = sorted({node.op_type for node in __import__("onnx").load(path).graph.node})
    print(json.dumps({"exported_with_torch": torch.__version__, "opset": opset, "max_abs_diff_vs_torch": diff,
                      "onnx_ops": ops}))
    if diff > 1e-4:
        sys.exit(f"exported step differs from PyTorch by {diff}")


def sample_top_n(logits, top_n, rng):
    """Reference top-n sampling for each row of logits [batch, vocab]: softmax, keep the top_n largest
    probabilities, renormalise, draw."""
    probs = np.exp(logits - logits.max(axis=1, keepdims=True))
    probs /= probs.sum(axis=1, keepdims=True)
    top_i = np.argpartition(probs, -top_n, axis=1)[:, -top_n:]
    top_p = np.take_along_axis(probs, top_i, axis=1)
    top_p /= top_p.sum(axis=1, keepdims=True)
    u = rng.random((probs.shape[0], 1), dtype=np.float32)
    choice = np.minimum((np.cumsum(top_p, axis=1) < u).sum(axis=1), top_n - 1)
    return top_i[np.arange(probs.shape[0]), choice]


def generate(session, seed_ids, batch_size, length, rng, top_n=3):
    """Prime with seed_ids (one step each), then sample length characters per stream; returns chars/s."""
    h = np.zeros((LAYERS, batch_size, HIDDEN), dtype=np.float32)
    c = np.zeros((LAYERS, batch_size, HIDDEN), dtype=np.float32)
    start = time.perf_counter()
    for token in seed_ids:
        logits, h, c = session.run(None, {"ids": np.full(batch_size, token, dtype=np.int64), "h": h, "c": c})
    nxt = sample_top_n(logits, top_n, rng)
    for _ in range(length - 1):
        logits, h, c = session.run(None, {"ids": nxt, "h": h, "c": c})
        nxt = sample_top_n(logits, top_n, rng)
    return batch_size * length / (time.perf_counter() - start)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--length-batch1", type=int, default=4096, help="characters generated at batch 1")
    parser.add_argument("--length-batch64", type=int, default=2048, help="characters generated per stream at batch 64")
    parser.add_argument("--seed", default="KING RICHARD", help="text that primes generation")
    parser.add_argument("--threads", type=int, default=2, help="intra-op threads (inter-op: 1)")
    parser.add_argument("--opset", type=int, default=17)
    parser.add_argument("--onnx-path", help="keep the exported step here (default: a temporary file)")
    parser.add_argument("--export-only", metavar="PATH", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.export_only:
        export(args.export_only, args.opset)
        return

    tmp = None
    path = args.onnx_path
    if path is None:
        tmp = tempfile.mkdtemp(prefix="charstream-onnx-")
        path = os.path.join(tmp, "charrnn_step.onnx")
    try:
        child = subprocess.run([sys.executable, os.path.abspath(__file__), "--export-only", path,
                                "--opset", str(args.opset)], capture_output=True, text=True)
        if child.returncode != 0:
            sys.stderr.write(child.stdout + child.stderr)
            sys.exit(f"export failed (exit {child.returncode})")
        export_facts = json.loads(child.stdout.strip().splitlines()[-1])

        import onnxruntime as ort
        options = ort.SessionOptions()
        options.intra_op_num_threads = args.threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        session = ort.InferenceSession(path, options, providers=["CPUExecutionProvider"])
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)

    seed_ids = [CHAR_TO_ID.get(ch, 0) for ch in args.seed]
    rng = np.random.default_rng(1)
    generate(session, seed_ids, 1, 512, rng)  # warm-up at both batch sizes
    generate(session, seed_ids, 64, 256, rng)
    batch1 = generate(session, seed_ids, 1, args.length_batch1, rng)
    batch64 = generate(session, seed_ids, 64, args.length_batch64, rng)
    result = {
        "impl": "onnxruntime",
        "onnxruntime_version": ort.__version__,
        "threads": args.threads,
        "inter_op_threads": 1,
        "generate_chars_per_s_batch1": round(batch1),
        "generate_chars_per_s_batch64": round(batch64),
        "generate_length_batch1": args.length_batch1,
        "generate_length_batch64": args.length_batch64,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
        **export_facts,
        "load_average_1m": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
