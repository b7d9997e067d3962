#!/usr/bin/python3
"""PyTorch row of charstream's benchmark table: the reference's training run (yxtay/char-rnn-text-generation,
pytorch_model.py: Embedding 32, 2 x nn.LSTM 128, Linear, Adam 0.001, clip_grad_norm 5, batch 64 x 64, LSTM state
carried across batches and epochs, streams rotated by one per epoch) with the held-out split charstream's
`bench table` uses, written as a result file with the same keys as `charstream bench table`.

Split (charstream's --val-split blocks): the corpus is cut into 64 equal blocks and the last --val-fraction of
each is held out; the training text is the blocks' heads, in order. The validation loss is the mean per-character
cross entropy over the held-out text read as up to 64 streams in 64-character chunks from a zero state, in eval
mode, exactly as charstream measures it. --val-fraction 0 trains on the whole text like the reference.

Run (the venv from bench/pytorch/setup.sh: PyTorch 2 with MKL and oneDNN, see README.md in this folder):
  OMP_NUM_THREADS=2 bench/pytorch/.venv/bin/python bench/pytorch/charrnn_table.py \
      --text-path ../shared/data/tinyshakespeare.txt --out results/tinyshakespeare-pytorch-reference.json
(History: the results/ files written before the venv came from Debian's python3-torch 1.13 on OpenBLAS,
`OMP_NUM_THREADS=2 OPENBLAS_CORETYPE=SkylakeX /usr/bin/python3 ...`.)
"""
import argparse
import datetime
import hashlib
import json
import os
import platform
import resource
import subprocess
import time

import numpy as np
import torch
import torch.nn as nn

from charrnn_bench import Model, encode

BATCH_SIZE = 64
SEQ_LEN = 64


def split(ids, val_fraction, blocks):
    if val_fraction == 0:
        return ids, ids[:0]
    block_len = len(ids) // blocks
    held = int(np.floor(block_len * val_fraction))
    kept = block_len - held
    heads = [ids[b * block_len:b * block_len + kept] for b in range(blocks)]
    tails = [ids[b * block_len + kept:(b + 1) * block_len] for b in range(blocks)]
    return np.concatenate(heads), np.concatenate(tails)


def validation_loss(model, val, batch_size, seq_len):
    if len(val) < 2:
        return None
    streams = max(1, min(batch_size, (len(val) - 1) // seq_len))
    stream_len = (len(val) - 1) // streams
    x = torch.from_numpy(val[:streams * stream_len].reshape(streams, stream_len))
    y = torch.from_numpy(val[1:streams * stream_len + 1].reshape(streams, stream_len))
    model.eval()
    total, count, state = 0.0, 0, None
    with torch.no_grad():
        for start in range(0, stream_len, seq_len):
            logits, state = model(x[:, start:start + seq_len], state)
            target = y[:, start:start + seq_len]
            total += nn.functional.cross_entropy(logits.reshape(-1, logits.size(-1)), target.reshape(-1),
                                                 reduction="sum").item()
            count += target.numel()
    model.train()
    return total / count


def git_commit():
    here = os.path.dirname(os.path.abspath(__file__))
    try:
        commit = subprocess.run(["git", "-C", here, "rev-parse", "HEAD"], capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", here, "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.strip() != ""
        return commit, dirty
    except (OSError, subprocess.CalledProcessError):
        return "unknown", None


def machine():
    cpu, flags = platform.processor(), []
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                elif line.startswith("flags"):
                    flags = sorted(f for f in line.split(":", 1)[1].split() if f.startswith(("avx", "fma", "sse4")))
                    break
    except OSError:
        pass
    return {"cores": os.cpu_count(), "cpu": cpu, "cpu_flags": flags, "os": platform.platform(),
            "torch": torch.__version__, "threads": torch.get_num_threads(),
            "openblas_coretype": os.environ.get("OPENBLAS_CORETYPE"),
            "load_average_1m": round(os.getloadavg()[0], 2)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text-path", required=True)
    parser.add_argument("--out", required=True, help="result file (JSON), rewritten after every epoch")
    parser.add_argument("--num-epochs", type=int, default=32)
    parser.add_argument("--val-fraction", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()

    torch.manual_seed(args.seed)
    with open(args.text_path, "rb") as f:
        raw = f.read()
    text = raw.decode("utf-8")
    train, val = split(encode(text), args.val_fraction, BATCH_SIZE)
    num_batches = (len(train) - 1) // (BATCH_SIZE * SEQ_LEN)
    length = num_batches * BATCH_SIZE * SEQ_LEN
    x = train[:length].reshape(BATCH_SIZE, -1)
    y = train[1:length + 1].reshape(BATCH_SIZE, -1)

    model = Model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_fn = nn.CrossEntropyLoss()
    commit, dirty = git_commit()
    result = {
        "benchmark": "table", "system": "pytorch", "preset": "reference",
        "corpus": {"name": os.path.splitext(os.path.basename(args.text_path))[0],
                   "file": os.path.basename(args.text_path), "chars": len(text),
                   "sha256": hashlib.sha256(raw).hexdigest()},
        "config": {"vocab_size": 98, "embedding_size": 32, "rnn_size": 128, "num_layers": 2, "drop_rate": 0.0,
                   "seq_len": SEQ_LEN, "batch_size": BATCH_SIZE, "num_epochs": args.num_epochs,
                   "learning_rate": 0.001, "lr_schedule": "constant", "clip_norm": 5.0,
                   "val_fraction": args.val_fraction, "val_split": "blocks", "seed": args.seed,
                   "train_chars": int(len(train)), "val_chars": int(len(val)), "batches_per_epoch": num_batches},
        "git_commit": commit, "git_dirty": dirty, "machine": machine(),
        "started_at": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "epochs": [],
    }
    started = time.time()
    state = None
    for epoch in range(args.num_epochs):
        xs = np.split(np.roll(x, -epoch, axis=0), num_batches, axis=1)
        ys = np.split(np.roll(y, -epoch, axis=0), num_batches, axis=1)
        losses = np.zeros(num_batches)
        epoch_start = time.time()
        for j in range(num_batches):
            if state is not None:
                state = tuple(s.detach() for s in state)
            model.zero_grad()
            logits, state = model(torch.from_numpy(xs[j]), state)
            loss = loss_fn(logits.reshape(-1, logits.size(-1)), torch.from_numpy(ys[j]).reshape(-1))
            losses[j] = loss.item()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimizer.step()
        duration = time.time() - epoch_start
        val_loss = validation_loss(model, val, BATCH_SIZE, SEQ_LEN)
        result["epochs"].append({
            "epoch": epoch + 1, "duration_s": round(duration, 3), "train_loss": round(float(losses.mean()), 6),
            "val_loss": None if val_loss is None else round(val_loss, 6), "learning_rate": 0.001,
            "chars_per_s": round(num_batches * BATCH_SIZE * SEQ_LEN / duration),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
            "elapsed_s": round(time.time() - started, 3)})
        result["total_duration_s"] = round(time.time() - started, 3)
        result["final_train_loss"] = result["epochs"][-1]["train_loss"]
        result["final_val_loss"] = result["epochs"][-1]["val_loss"]
        with open(args.out + ".tmp", "w") as f:
            json.dump(result, f, indent=2)
        os.replace(args.out + ".tmp", args.out)
        print(json.dumps(result["epochs"][-1]), flush=True)


if __name__ == "__main__":
    main()
