"""`python -m rlm_studio.training.pipeline STEP ...`: the steps scripts/train-bundled-model runs.

data     generate tasks, run the teacher through the engine, write kept samples   (app venv)
base     dequantize the bundled GGUF into an HF folder                           (train venv)
train    LoRA SFT                                                                (train venv)
convert  adapter -> GGUF in resources/models                                     (train venv)
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from pathlib import Path


def _data(args: argparse.Namespace) -> None:
    from .tasks import generate
    from .trajectories import build

    tasks = generate(args.seed, args.tasks, max_chars=args.max_chars)
    counts = asyncio.run(build(tasks, Path(args.out), seed=args.seed))
    Path(args.out).with_suffix(".counts.json").write_text(json.dumps({**counts, "seed": args.seed}, indent=2))
    print(f"data: {counts}")


def _base(args: argparse.Namespace) -> None:
    from .convert import save_base

    print(f"base: {save_base(Path(args.gguf_dir), Path(args.out))}")


def _train(args: argparse.Namespace) -> None:
    from .sft import TrainConfig, train

    cfg = TrainConfig(base_dir=Path(args.base), data=Path(args.data), out_dir=Path(args.out), epochs=args.epochs,
                      lr=args.lr, rank=args.rank, alpha=2 * args.rank, max_len=args.max_len,
                      max_steps=args.max_steps, max_minutes=args.max_minutes, threads=args.threads,
                      init_adapter=Path(args.init_adapter) if args.init_adapter else None)
    print(f"train: adapter in {train(cfg)}")


def _convert(args: argparse.Namespace) -> None:
    from .convert import convert_adapter, llama_cpp_source

    source = llama_cpp_source(Path(args.work), args.llama_cpp_version)
    print(f"convert: {convert_adapter(Path(args.adapter), Path(args.base), Path(args.out), source)}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rlm_studio.training.pipeline")
    sub = parser.add_subparsers(dest="step", required=True)
    p = sub.add_parser("data")
    p.add_argument("--seed", type=int, default=1201)
    p.add_argument("--tasks", type=int, default=400)
    p.add_argument("--max-chars", type=int, default=400_000)
    p.add_argument("--out", required=True)
    p.set_defaults(run=_data)
    p = sub.add_parser("base")
    p.add_argument("--gguf-dir", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(run=_base)
    p = sub.add_parser("train")
    p.add_argument("--base", required=True)
    p.add_argument("--data", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--epochs", type=float, default=1.0)
    p.add_argument("--lr", type=float, default=3e-4)
    p.add_argument("--rank", type=int, default=8)
    p.add_argument("--max-len", type=int, default=1024)
    p.add_argument("--max-steps", type=int, default=None)
    p.add_argument("--max-minutes", type=float, default=None)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--init-adapter", default=None, help="continue from this adapter folder")
    p.set_defaults(run=_train)
    p = sub.add_parser("convert")
    p.add_argument("--adapter", required=True)
    p.add_argument("--base", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--work", required=True)
    p.add_argument("--llama-cpp-version", required=True)
    p.set_defaults(run=_convert)
    args = parser.parse_args(argv)
    args.run(args)
    return 0


if __name__ == "__main__":
    sys.exit(main())
