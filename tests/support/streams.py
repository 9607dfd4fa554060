"""Event streams for tests, numbered and stamped by the real EventEmitter (a fake clock keeps them exact)."""

from __future__ import annotations

from typing import Any

from rlm_studio.engine import events as ev
from rlm_studio.engine.emitter import EventEmitter


class FakeClock:
    """Starts at `t0` and moves `step` seconds each time it is read (or `advance` seconds when told)."""

    def __init__(self, t0: float = 1_700_000_000.0, step: float = 0.01) -> None:
        self.now, self.step = t0, step

    def __call__(self) -> float:
        self.now += self.step
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Stream:
    """Build a run's stream node by node: `open_*` returns the new node id, `close` finishes a node."""

    def __init__(self, run_id: str = "0001streamrun", clock: FakeClock | None = None) -> None:
        self.clock = clock or FakeClock()
        self.events: list[ev.Event] = []
        self.emitter = EventEmitter(run_id, [self.events.append], clock=self.clock)

    @property
    def run_id(self) -> str:
        return self.emitter.run_id

    def emit(self, event: ev.Event) -> ev.Event:
        return self.emitter.emit(event)

    def _open(self, cls: type[ev.Event], parent: str | None, **fields: Any) -> str:
        node = self.emitter.new_node_id()
        self.emit(cls(node_id=node, parent_id=parent, **fields))
        return node

    def run(self, parent: str | None = None, depth: int = 0, question: str = "q", **fields: Any) -> str:
        return self._open(ev.RunStarted, parent, depth=depth, question=question, **fields)

    def iteration(self, run: str, index: int) -> str:
        return self._open(ev.IterationStarted, run, index=index)

    def model_call(self, iteration: str, *, model: str = "root-model", **fields: Any) -> str:
        return self._open(ev.ModelCallStarted, iteration, model=model, **fields)

    def cell(self, iteration: str, index: int = 1, code: str = "print(1)") -> str:
        return self._open(ev.CellStarted, iteration, index=index, code=code)

    def subcall(self, cell: str, prompt: str = "p", **fields: Any) -> str:
        return self._open(ev.SubcallStarted, cell, prompt=prompt, **fields)

    def final(self, run: str, answer: str = "a", **fields: Any) -> str:
        return self._open(ev.FinalAnswer, run, answer=answer, **fields)

    def close(self, cls: type[ev.Event], node: str, parent: str | None, **fields: Any) -> ev.Event:
        return self.emit(cls(node_id=node, parent_id=parent, **fields))
