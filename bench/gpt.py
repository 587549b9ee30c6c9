"""bench/gpt.py: genlab's gpt against transformers' GPT-2, side by side in one run.

1. throughput: training tokens/s of genlab.gpt.GPT and transformers' GPT2LMHeadModel at the same
   width, depth, context, vocabulary and batch (same AdamW), interleaved rounds on one thread.
2. curve: the `quick` preset on the Tang poems, with validation bits/char and the unconstrained
   form rate at every checkpoint against process CPU-minutes of training (evaluation excluded).

    OMP_NUM_THREADS=1 nice -n 10 python bench/gpt.py [--part throughput|curve|all]
                                                      [--steps N] [--out runs/bench-gpt]
Last line: `bench: gpt ...`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from genlab.checkpoint import load
from genlab.config import resolve_config
from genlab.gpt import GPT, bits_per_char, form_rate
from genlab.text import prepare_text
from genlab.train import Callback, train

FORM_TARGET = 0.95


def hf_model(vocab: int, block: int, layers: int, heads: int, width: int) -> torch.nn.Module:
    from transformers import GPT2Config, GPT2LMHeadModel

    cfg = GPT2Config(
        vocab_size=vocab,
        n_positions=block,
        n_embd=width,
        n_layer=layers,
        n_head=heads,
        resid_pdrop=0.0,
        embd_pdrop=0.0,
        attn_pdrop=0.0,
        activation_function="gelu_new",
        bos_token_id=0,
        eos_token_id=0,
    )
    return GPT2LMHeadModel(cfg)


def throughput(rounds: int = 5, steps: int = 10) -> dict[str, float]:
    cfg = resolve_config("gpt", "tang")
    vocab, block, batch = cfg.vocab_size, cfg.block_size, cfg.batch_size
    torch.manual_seed(0)
    ours = GPT(vocab, block, cfg.n_layer, cfg.n_head, cfg.n_embd)
    theirs = hf_model(vocab, block, cfg.n_layer, cfg.n_head, cfg.n_embd)
    x = torch.randint(0, vocab, (batch, block))
    y = torch.randint(0, vocab, (batch, block))

    def step_ours(opt: torch.optim.Optimizer) -> None:
        logits = ours(x)
        loss = torch.nn.functional.cross_entropy(logits.view(-1, vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def step_theirs(opt: torch.optim.Optimizer) -> None:
        loss = theirs(input_ids=x, labels=y).loss  # shifts labels inside: same token count - 1
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    opts = {
        "genlab": (step_ours, torch.optim.AdamW(ours.parameters(), lr=1e-4)),
        "transformers": (step_theirs, torch.optim.AdamW(theirs.parameters(), lr=1e-4)),
    }
    times: dict[str, list[float]] = {k: [] for k in opts}
    for fn, opt in opts.values():
        fn(opt)  # warm-up
    for _ in range(rounds):
        for name, (fn, opt) in opts.items():
            t = time.process_time()
            for _ in range(steps):
                fn(opt)
            times[name].append((time.process_time() - t) / steps)
    tokens = batch * block
    best = {k: min(v) for k, v in times.items()}
    out = {f"{k}_tokens_per_cpu_s": tokens / v for k, v in best.items()}
    out["ratio"] = best["transformers"] / best["genlab"]
    out.update({"batch": batch, "block": block, "width": cfg.n_embd, "layers": cfg.n_layer})
    return out


class Curve(Callback):
    """At each checkpoint: CPU-minutes of training so far, val bits/char, form rate."""

    def __init__(self, out: Path, val) -> None:
        self.out, self.val = out, val
        self.eval_cpu = 0.0
        self.t0 = time.process_time()
        self.rows: list[dict[str, float]] = []

    def on_checkpoint(self, step: int, path: Path) -> None:
        train_cpu = time.process_time() - self.t0 - self.eval_cpu
        t = time.process_time()
        keep = self.out / f"step_{step:06d}.safetensors"
        shutil.copyfile(path, keep)
        ckpt = load(keep)
        row = {"step": step, "cpu_min": train_cpu / 60}
        row.update(bits_per_char(ckpt.model, self.val))
        row.update(form_rate(ckpt.model, n=100, seed=0))
        self.rows.append(row)
        print(json.dumps(row), flush=True)
        self.eval_cpu += time.process_time() - t


def curve(steps: int | None, out: Path) -> dict[str, float]:
    cfg = resolve_config(
        "gpt", "tang", "quick", checkpoint_every=100, **({"steps": steps} if steps else {})
    )
    _, _, val, _ = prepare_text(cfg)
    out.mkdir(parents=True, exist_ok=True)
    cb = Curve(out, val)
    result = train(cfg, out_dir=out, callbacks=[cb])
    (out / "curve.json").write_text(json.dumps(cb.rows, indent=1))
    reach = next((r["cpu_min"] for r in cb.rows if r["form_rate"] >= FORM_TARGET), float("nan"))
    last = cb.rows[-1]
    return {
        "steps": result.step,
        "cpu_min": last["cpu_min"],
        "val_bits_per_char": last["val_bits_per_char"],
        "form_rate": last["form_rate"],
        "cpu_min_to_form_95": reach,
        "sha256": result.sha256,
    }


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--part", default="all", choices=["throughput", "curve", "all"])
    p.add_argument("--steps", type=int)
    p.add_argument("--out", default="runs/bench-gpt")
    args = p.parse_args()
    torch.set_num_threads(int(os.environ.get("GENLAB_THREADS", "1")))
    load_avg = os.getloadavg()[0]
    parts = []
    if args.part in ("throughput", "all"):
        t = throughput()
        print(json.dumps(t), flush=True)
        parts.append(
            f"{t['ratio']:.2f}x transformers GPT-2 training tokens/s "
            f"({t['genlab_tokens_per_cpu_s']:.0f} vs {t['transformers_tokens_per_cpu_s']:.0f})"
        )
    if args.part in ("curve", "all"):
        c = curve(args.steps, Path(args.out))
        print(json.dumps(c), flush=True)
        parts.append(
            f"tang quick: {c['val_bits_per_char']:.3f} bits/char, form rate "
            f"{c['form_rate']:.0%} after {c['cpu_min']:.1f} CPU-min "
            f"(>= {FORM_TARGET:.0%} form at {c['cpu_min_to_form_95']:.1f} CPU-min)"
        )
    print(f"bench: gpt {'; '.join(parts)}; load {load_avg:.1f}")


if __name__ == "__main__":
    main()
