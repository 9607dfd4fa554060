"""Run generated tasks through the real engine and sandbox with the teacher; keep the good trajectories as SFT samples.

Kept: answer scores 1 and the root took >= 2 turns (as the paper filtered). Each root turn is trained on
the exact messages the engine sent before it (see training_samples).
"""

from __future__ import annotations

import asyncio
import json
import random
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rlm_studio.engine.session import RlmSession
from rlm_studio.engine.settings import RunSettings

from .recording import RecordingModel
from .tasks import Task
from .teacher import SubTeacher, TeacherModel


@dataclass
class Trajectory:
    task: Task
    answer: str | None
    score: float
    samples: list[dict[str, Any]]


async def run_teacher(task: Task, *, max_iterations: int = 20) -> Trajectory:
    teacher = RecordingModel(TeacherModel(task))
    sub = RecordingModel(SubTeacher(task), role="sub")
    settings = RunSettings(root_model="teacher", sub_model="teacher-sub", max_iterations=max_iterations,
                           cell_timeout_s=60.0)
    session = RlmSession(task.question, task.context, settings,
                         resolver=lambda spec: sub if spec == "teacher-sub" else teacher)
    result = await session.run()
    samples = [{"role": r.role, "messages": r.messages, "response": r.response, "family": task.family,
                "heldout": task.heldout, "turn": i + 1} for i, r in enumerate(teacher.records + sub.records)]
    return Trajectory(task, result.answer, task.score(result.answer), samples)


def keep(trajectory: Trajectory) -> bool:
    roots = [s for s in trajectory.samples if s["role"] == "root"]
    return trajectory.score == 1.0 and len(roots) >= 2


def _other_line(task: Task, rng: random.Random) -> str | None:
    """A line of the haystack that does not mention the asked key: the sub-model must learn to say `none`."""
    text = task.context if isinstance(task.context, str) else "\n".join(
        task.context.values() if isinstance(task.context, dict) else task.context)
    words = [w.lower() for w in re.findall(r"[A-Za-z]+|[0-9]+", " ".join(task.keys))]
    for _ in range(20):
        at = rng.randrange(0, max(1, len(text)))
        start = text.rfind("\n", 0, at) + 1
        line = text[start:start + 200].split("\n", 1)[0].strip()
        if len(line) > 20 and not any(w in line.lower() for w in words) and not any(a in line for a in task.answers):
            return line
    return None


def training_samples(trajectory: Trajectory, rng: random.Random | None = None) -> list[dict[str, Any]]:
    """The last root call holds every earlier root turn in its messages: one sequence trains them all.
    Sub-model calls are separate samples, plus one `none` sample per needle task (a line without the key)."""
    rng = rng or random.Random(0)
    roots = [s for s in trajectory.samples if s["role"] == "root"]
    subs = [s for s in trajectory.samples if s["role"] == "sub"]
    out = [{**roots[-1], "root_turns": len(roots), "answers": trajectory.task.answers}] + subs
    if subs:
        prompt = subs[0]["messages"][-1]["content"]
        line = _other_line(trajectory.task, rng)
        if line is not None and "\n\nQuestion: " in prompt:
            negative = line + "\n\nQuestion: " + prompt.split("\n\nQuestion: ", 1)[1]
            out.append({**subs[0], "messages": [{"role": "user", "content": negative}], "response": "none",
                        "negative": True})
    return out


async def build(tasks: list[Task], out: Path, *, concurrency: int = 3, seed: int = 0,
                log: Any = print) -> dict[str, int]:
    """Run every task, write kept samples to `out` (JSONL); return counts."""
    rng = random.Random(seed)
    sem = asyncio.Semaphore(concurrency)
    counts = {"tasks": len(tasks), "kept": 0, "dropped": 0, "samples": 0}

    async def one(task: Task) -> Trajectory:
        async with sem:
            return await run_teacher(task, max_iterations=rng.choice((20, 20, 20, 10, 30)))

    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8") as fh:
        for i, coro in enumerate(asyncio.as_completed([one(t) for t in tasks])):
            traj = await coro
            if keep(traj):
                counts["kept"] += 1
                for sample in training_samples(traj, rng):
                    fh.write(json.dumps(sample) + "\n")
                    counts["samples"] += 1
            else:
                counts["dropped"] += 1
            if (i + 1) % 25 == 0:
                log(f"trajectories: {i + 1}/{len(tasks)} run, {counts['kept']} kept")
    return counts
