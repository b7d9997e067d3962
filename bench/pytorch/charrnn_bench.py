#!/usr/bin/env python3
"""PyTorch side of charstream's speed comparison: the reference's char-RNN (yxtay/char-rnn-text-generation,
pytorch_model.py) trained and sampled the way the reference does it, timed, printed as one JSON object with
the same keys as `charstream bench train` / `charstream bench generate`.

Model: Embedding(98, 32) -> 2-layer nn.LSTM(32 -> 128, batch_first) -> Linear(128, 98); mean cross entropy;
Adam(lr 0.001); clip_grad_norm_(5.0). Data: the corpus cut into 64 contiguous streams, batches of 64 x 64,
LSTM state carried (detached) from batch to batch. Sampling: prime with a seed, then keep the top-n (3)
probabilities, renormalise, draw.

Run (PyTorch 2 with MKL and oneDNN from bench/pytorch/setup.sh's venv, see README.md in this folder):
  OMP_NUM_THREADS=2 bench/pytorch/.venv/bin/python bench/pytorch/charrnn_bench.py \
      --text-path ../shared/data/tinyshakespeare.txt

Steady state: --warmup untimed batches, then --batches (200) timed ones; generation warms up at both batch sizes,
then times --length-batch1 (4096) characters at batch 1 and --length-batch64 (2048) per stream at batch 64.
The JSON records torch.__version__, the MKL and oneDNN versions from torch.__config__.show(), and the threads.
"""
import argparse
import json
import os
import re
import resource
import time

import numpy as np
import torch
import torch.nn as nn

# The reference vocabulary: id 0 = unknown, then printable ASCII minus \x0b \x0c \r (98 ids).
PRINTABLE = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ" \
            "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~ \t\n"
VOCAB = [""] + list(PRINTABLE)
CHAR_TO_ID = {ch: i for i, ch in enumerate(VOCAB)}


class Model(nn.Module):
    def __init__(self, vocab_size=98, embedding_size=32, rnn_size=128, num_layers=2, drop_rate=0.0):
        super().__init__()
        self.encoder = nn.Embedding(vocab_size, embedding_size)
        self.rnn = nn.LSTM(embedding_size, rnn_size, num_layers, dropout=drop_rate, batch_first=True)
        self.decoder = nn.Linear(rnn_size, vocab_size)

    def forward(self, inputs, state=None):
        out, state = self.rnn(self.encoder(inputs), state)
        return self.decoder(out), state


def encode(text):
    return np.array([CHAR_TO_ID.get(ch, 0) for ch in text], dtype=np.int64)


def batches(ids, batch_size, seq_len):
    """Contiguous streams: stream b is the b-th of batch_size equal slices; batch i continues batch i-1."""
    stream_len = (len(ids) - 1) // batch_size
    xs = ids[:stream_len * batch_size].reshape(batch_size, stream_len)
    ys = ids[1:stream_len * batch_size + 1].reshape(batch_size, stream_len)
    for start in range(0, stream_len - seq_len + 1, seq_len):
        yield torch.from_numpy(xs[:, start:start + seq_len]), torch.from_numpy(ys[:, start:start + seq_len])


def bench_train(model, ids, batch_size, seq_len, warmup, timed):
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    state = None
    it = batches(ids, batch_size, seq_len)
    start = cpu_start = None
    loss_value = float("nan")
    for step in range(warmup + timed):
        if step == warmup:
            start = time.perf_counter()
            cpu_start = time.process_time()
        try:
            x, y = next(it)
        except StopIteration:
            it = batches(ids, batch_size, seq_len)
            x, y = next(it)
        if state is not None:
            state = tuple(s.detach() for s in state)
        optimizer.zero_grad()
        logits, state = model(x, state)
        loss = loss_fn(logits.reshape(-1, logits.size(-1)), y.reshape(-1))
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        loss_value = loss.item()
    seconds = time.perf_counter() - start
    cpu_seconds = time.process_time() - cpu_start
    chars = timed * batch_size * seq_len
    return chars / seconds, chars / cpu_seconds, loss_value


def sample_top_n(probs, top_n, generator):
    """Reference top-n sampling for each row of probs [batch, vocab]."""
    top_p, top_i = probs.topk(top_n, dim=-1)
    top_p = top_p / top_p.sum(dim=-1, keepdim=True)
    choice = torch.multinomial(top_p, 1, generator=generator)
    return top_i.gather(-1, choice)


def bench_generate(model, seed_ids, batch_size, length, top_n=3):
    model.eval()
    generator = torch.Generator().manual_seed(1)
    with torch.no_grad():
        x = torch.from_numpy(seed_ids).unsqueeze(0).repeat(batch_size, 1)
        start = time.perf_counter()
        logits, state = model(x)  # prime with the seed
        nxt = sample_top_n(torch.softmax(logits[:, -1], dim=-1), top_n, generator)
        for _ in range(length - 1):
            logits, state = model(nxt, state)
            nxt = sample_top_n(torch.softmax(logits[:, -1], dim=-1), top_n, generator)
        seconds = time.perf_counter() - start
    return batch_size * length / seconds


def build_facts():
    """torch.__version__ plus what torch.__config__.show() says about MKL and oneDNN (MKL-DNN)."""
    config = torch.__config__.show()
    mkl = re.search(r"Math Kernel Library Version ([\d.]+)", config)
    onednn = re.search(r"(?:MKL-DNN|oneDNN) v([\w.\-]+)", config)
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    capability = re.search(r"CPU capability usage: (\w+)", config)
    return {
        "torch_version": torch.__version__,
        "mkl_version": mkl.group(1) if mkl else None,
        "onednn_version": onednn.group(1) if onednn else None,
        "blas": blas.group(1) if blas else None,
        "cpu_capability": capability.group(1) if capability else None,
        "mkldnn_enabled": torch.backends.mkldnn.is_available() and torch.backends.mkldnn.enabled,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text-path", required=True, help="training corpus (UTF-8 text)")
    parser.add_argument("--warmup", type=int, default=10, help="untimed training batches first")
    parser.add_argument("--batches", type=int, default=200, help="timed training batches")
    parser.add_argument("--length-batch1", type=int, default=4096, help="characters generated at batch 1")
    parser.add_argument("--length-batch64", type=int, default=2048, help="characters generated per stream at batch 64")
    parser.add_argument("--threads", type=int, default=int(os.environ.get("OMP_NUM_THREADS", "2")),
                        help="torch.set_num_threads (default: OMP_NUM_THREADS, else 2)")
    parser.add_argument("--seed", default="KING RICHARD", help="text that primes generation")
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--skip-generate", action="store_true")
    args = parser.parse_args()

    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.text_path, encoding="utf-8") as f:
        ids = encode(f.read())
    model = Model()
    result = {"impl": "pytorch", **build_facts(), "threads": torch.get_num_threads()}
    if not args.skip_train:
        chars_per_s, chars_per_cpu_s, loss = bench_train(model, ids, 64, 64, args.warmup, args.batches)
        result["train_chars_per_s"] = round(chars_per_s)
        result["train_chars_per_cpu_s"] = round(chars_per_cpu_s)
        result["train_batches"] = args.batches
        result["warmup_batches"] = args.warmup
        result["final_loss"] = round(loss, 4)
    if not args.skip_generate:
        seed = encode(args.seed)
        bench_generate(model, seed, 1, 512)  # warm-up at both batch sizes
        bench_generate(model, seed, 64, 256)
        result["generate_chars_per_s_batch1"] = round(bench_generate(model, seed, 1, args.length_batch1))
        result["generate_chars_per_s_batch64"] = round(bench_generate(model, seed, 64, args.length_batch64))
        result["generate_length_batch1"] = args.length_batch1
        result["generate_length_batch64"] = args.length_batch64
    result["peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    result["load_average_1m"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()
