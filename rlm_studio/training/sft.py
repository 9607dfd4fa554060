"""LoRA supervised fine-tuning of SmolLM2-135M on the teacher's samples (needs the [train] extra: torch, peft).

Runs on CPU (float32, `threads` threads) or on a CUDA GPU when present (bfloat16). Checkpoints the adapter,
optimizer and position every `save_every` steps and resumes from the last checkpoint; logs the loss to
`loss.tsv` in the output folder.
"""

from __future__ import annotations

import json
import math
import os
import random
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .chat_format import render_segments


@dataclass
class TrainConfig:
    base_dir: Path                  # HF-format base model (saved by convert.save_base)
    data: Path                      # JSONL samples
    out_dir: Path
    max_len: int = 1280
    epochs: float = 1.0
    lr: float = 3e-4
    rank: int = 16
    alpha: int = 32
    grad_accum: int = 2
    save_every: int = 40            # optimizer steps
    threads: int = 2
    seed: int = 0
    max_steps: int | None = None    # optimizer steps; None: from epochs
    init_adapter: Path | None = None  # start from this adapter instead of a fresh one
    max_minutes: float | None = None  # stop (and save) after this long; the schedule still follows total steps


def _device() -> tuple[Any, Any]:
    import torch
    if torch.cuda.is_available():
        return torch.device("cuda"), torch.bfloat16
    return torch.device("cpu"), torch.float32


def load_examples(tokenizer: Any, path: Path, max_len: int) -> tuple[list[tuple[list[int], list[int]]], int]:
    """[(token ids, labels with -100 where no loss)], and how many samples were too long and skipped."""
    examples, skipped = [], 0
    for line in path.read_text(encoding="utf-8").splitlines():
        sample = json.loads(line)
        ids: list[int] = []
        labels: list[int] = []
        for text, trained in render_segments(sample["messages"], sample["response"]):
            piece = tokenizer(text, add_special_tokens=False)["input_ids"]
            ids.extend(piece)
            labels.extend(piece if trained else [-100] * len(piece))
        if len(ids) > max_len:
            skipped += 1
            continue
        examples.append((ids, labels))
    return examples, skipped


def _loss(model: Any, ids: list[int], label_ids: list[int], device: Any) -> Any:
    """Cross-entropy on the trained tokens, with logits computed only where a trained token is predicted
    (the 49K-word output layer over every position is a large share of the work on CPU)."""
    import torch
    import torch.nn.functional as F

    base = model.get_base_model()
    input_ids = torch.tensor([ids], device=device)
    labels = torch.tensor(label_ids, device=device)
    hidden = base.model(input_ids=input_ids).last_hidden_state[0]
    positions = (labels[1:] != -100).nonzero().squeeze(1)
    logits = base.lm_head(hidden[positions])
    return F.cross_entropy(logits.float(), labels[positions + 1])


def train(cfg: TrainConfig, log: Any = print) -> Path:
    # OpenMP threads that spin while they wait burn a shared machine's cores (here: 6x slower per CPU second)
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
    import torch
    from peft import LoraConfig, PeftModel, get_peft_model
    from transformers import AutoModelForCausalLM, AutoTokenizer

    torch.set_num_threads(cfg.threads)
    torch.manual_seed(cfg.seed)
    device, dtype = _device()
    cfg.out_dir.mkdir(parents=True, exist_ok=True)
    tokenizer = AutoTokenizer.from_pretrained(cfg.base_dir)
    examples, skipped = load_examples(tokenizer, cfg.data, cfg.max_len)
    log(f"sft: {len(examples)} samples ({skipped} longer than {cfg.max_len} tokens skipped), "
        f"{sum(len(e[0]) for e in examples)} tokens, device {device}")
    model = AutoModelForCausalLM.from_pretrained(cfg.base_dir, dtype=dtype).to(device)
    ckpt = cfg.out_dir / "checkpoint"
    state: dict[str, Any] = {"step": 0, "micro": 0}
    if (ckpt / "adapter_config.json").is_file():
        model = PeftModel.from_pretrained(model, ckpt, is_trainable=True)
        state = json.loads((ckpt / "state.json").read_text())
        log(f"sft: resuming at step {state['step']}")
    elif cfg.init_adapter is not None:  # continue training an adapter on new data
        model = PeftModel.from_pretrained(model, cfg.init_adapter, is_trainable=True)
        log(f"sft: starting from the adapter in {cfg.init_adapter}")
    else:
        lora = LoraConfig(r=cfg.rank, lora_alpha=cfg.alpha, lora_dropout=0.05, task_type="CAUSAL_LM",
                          target_modules=["q_proj", "k_proj", "v_proj", "o_proj", "gate_proj", "up_proj",
                                          "down_proj"])
        model = get_peft_model(model, lora)
    model.train()
    params = [p for p in model.parameters() if p.requires_grad]
    opt = torch.optim.AdamW(params, lr=cfg.lr, weight_decay=0.0)
    if (ckpt / "optimizer.pt").is_file():
        opt.load_state_dict(torch.load(ckpt / "optimizer.pt"))
    micro_total = int(len(examples) * cfg.epochs)
    total_steps = cfg.max_steps or max(1, micro_total // cfg.grad_accum)
    order: list[int] = []
    rng = random.Random(cfg.seed)
    while len(order) < total_steps * cfg.grad_accum:
        epoch = list(range(len(examples)))
        rng.shuffle(epoch)
        order.extend(epoch)
    loss_log = (cfg.out_dir / "loss.tsv").open("a", encoding="utf-8")
    started, tokens = time.monotonic(), 0
    step, micro = state["step"], state["micro"]
    acc_loss = 0.0
    while step < total_steps:
        progress = step / total_steps
        if cfg.max_minutes:  # a time budget: decay over whichever runs out first, steps or time
            progress = max(progress, (time.monotonic() - started) / (cfg.max_minutes * 60))
        lr = cfg.lr * min(1.0, (step + 1) / 5) * (0.5 * (1 + math.cos(math.pi * min(1.0, progress))))
        for group in opt.param_groups:
            group["lr"] = lr
        for _ in range(cfg.grad_accum):
            ids, label_ids = examples[order[micro]]
            micro += 1
            loss = _loss(model, ids, label_ids, device)
            (loss / cfg.grad_accum).backward()
            acc_loss += loss.item() / cfg.grad_accum
            tokens += len(ids)
        torch.nn.utils.clip_grad_norm_(params, 1.0)
        opt.step()
        opt.zero_grad(set_to_none=True)
        step += 1
        rate = tokens / max(1e-6, time.monotonic() - started)
        loss_log.write(f"{step}\t{acc_loss:.4f}\t{lr:.2e}\t{rate:.0f}\n")
        loss_log.flush()
        if step % 5 == 0 or step == total_steps:
            log(f"sft: step {step}/{total_steps} loss {acc_loss:.4f} lr {lr:.1e} {rate:.0f} tokens/s")
        acc_loss = 0.0
        out_of_time = cfg.max_minutes is not None and time.monotonic() - started > cfg.max_minutes * 60
        if step % cfg.save_every == 0 or step == total_steps or out_of_time:
            model.save_pretrained(ckpt)
            torch.save(opt.state_dict(), ckpt / "optimizer.pt")
            (ckpt / "state.json").write_text(json.dumps({"step": step, "micro": micro}))
        if out_of_time:
            log(f"sft: time limit reached at step {step}/{total_steps}")
            break
    loss_log.close()
    final = cfg.out_dir / "adapter"
    model.save_pretrained(final)
    return final
