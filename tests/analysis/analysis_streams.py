"""Builds realistic event streams for the analysis tests, stamped like the engine's emitter does."""

from __future__ import annotations

from typing import Any

from rlm_studio.engine.emitter import EventEmitter
from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    ContextAttached,
    Event,
    FinalAnswer,
    HistoryCompacted,
    IterationFinished,
    IterationStarted,
    ModelCallFinished,
    ModelCallStarted,
    Notice,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)


class StreamBuilder:
    """Events numbered, stamped and given node ids by the engine's own EventEmitter (its clock is `ts`)."""

    def __init__(self, run_id: str = "run-a", t0: float = 1_000.0, step: float = 0.5):
        self.run_id = run_id
        self.events: list[Event] = []
        self.ts = t0
        self.step = step
        self.emitter = EventEmitter(run_id, [self.events.append], clock=lambda: self.ts)

    def emit(self, event: Event, *, dt: float | None = None) -> Event:
        self.ts += self.step if dt is None else dt
        return self.emitter.emit(event)

    def new_node(self) -> str:
        return self.emitter.new_node_id()

    def start_run(self, question: str = "What is the answer?", *, depth: int = 0, parent: str | None = None,
                  context: str | None = "some long context text") -> str:
        run = self.new_node()
        self.emit(RunStarted(node_id=run, parent_id=parent, question=question, depth=depth,
                             root_model="m-root", sub_model="m-sub"))
        if context is not None and depth == 0:
            self.emit(ContextAttached(node_id=run, parent_id=parent, index=0, name="doc.txt",
                                      text=context, chars=len(context)))
        return run

    def iteration(self, run: str, index: int) -> str:
        node = self.new_node()
        self.emit(IterationStarted(node_id=node, parent_id=run, index=index))
        return node

    def end_iteration(self, node: str, index: int, *, code_blocks: int = 1, ended_run: bool = False) -> None:
        self.emit(IterationFinished(node_id=node, parent_id=None, index=index, code_blocks=code_blocks,
                                    ended_run=ended_run))

    def model_call(self, iteration: str, response: str, *, index: int = 1, tokens: tuple[int, int] = (100, 20),
                   cost: float | None = 0.001, prompt_tokens: int | None = None, context_window: int | None = 8000,
                   messages: list[dict[str, str]] | None = None, error: dict | None = None) -> str:
        node = self.new_node()
        messages = messages if messages is not None else [{"role": "user", "content": f"iteration {index}"}]
        self.emit(ModelCallStarted(node_id=node, parent_id=iteration, model="m-root", messages=messages,
                                   prompt_tokens=tokens[0] if prompt_tokens is None else prompt_tokens,
                                   context_window=context_window, iteration=index))
        self.emit(ModelCallFinished(node_id=node, parent_id=iteration, model="m-root", response=response,
                                    usage={"input_tokens": tokens[0], "output_tokens": tokens[1]},
                                    cost_usd=cost, latency_ms=400.0, error=error))
        return node

    def cell(self, iteration: str, code: str, *, iteration_index: int = 1, index: int = 1, stdout: str = "",
             stderr: str = "", error: dict | None = None, variables: list[dict[str, Any]] | None = None,
             final: dict | None = None, subcalls: list[tuple[str, str]] = (), subcall_cost: float | None = 0.0005,
             parallel: bool = False) -> str:
        node = self.new_node()
        self.emit(CellStarted(node_id=node, parent_id=iteration, iteration=iteration_index, index=index, code=code))
        if parallel:
            ids = [self.new_node() for _ in subcalls]
            for i, (sid, (prompt, _)) in enumerate(zip(ids, subcalls)):
                self.emit(SubcallStarted(node_id=sid, parent_id=node, model="m-sub", prompt=prompt,
                                         batch_id="b1", batch_index=i, batch_size=len(subcalls),
                                         via="llm_query_batched"), dt=0.01)
            for sid, (_, response) in zip(ids, subcalls):
                self.emit(SubcallFinished(node_id=sid, parent_id=node, model="m-sub", response=response,
                                          usage={"input_tokens": 50, "output_tokens": 5}, cost_usd=subcall_cost,
                                          latency_ms=300.0))
        else:
            for prompt, response in subcalls:
                self.subcall(node, prompt, response, cost=subcall_cost)
        self.emit(CellFinished(node_id=node, parent_id=iteration, stdout=stdout, stderr=stderr,
                               stdout_chars=len(stdout), stderr_chars=len(stderr), error=error,
                               duration_ms=120.0, variables=variables or [], final=final))
        return node

    def subcall(self, cell: str, prompt: str, response: str, *, cost: float | None = 0.0005,
                tokens: tuple[int, int] = (50, 5)) -> str:
        node = self.new_node()
        self.emit(SubcallStarted(node_id=node, parent_id=cell, model="m-sub", prompt=prompt))
        self.emit(SubcallFinished(node_id=node, parent_id=cell, model="m-sub", response=response,
                                  usage={"input_tokens": tokens[0], "output_tokens": tokens[1]},
                                  cost_usd=cost, latency_ms=300.0))
        return node

    def final(self, run: str, answer: str, *, via: str = "FINAL", source: str = "code",
              var_name: str | None = None, cell: str | None = None) -> str:
        node = self.new_node()
        self.emit(FinalAnswer(node_id=node, parent_id=run, answer=answer, via=via, source=source,
                              var_name=var_name, cell_id=cell))
        return node

    def finish(self, run: str, *, status: str = "completed", answer: str | None = None,
               limit: str | None = None, error: dict | None = None) -> None:
        self.emit(RunFinished(node_id=run, parent_id=None, status=status, answer=answer, limit=limit, error=error))

    def notice(self, node: str, code: str, message: str, level: str = "warning") -> None:
        self.emit(Notice(node_id=node, level=level, code=code, message=message))

    def compacted(self, run: str, iterations: list[int]) -> None:
        self.emit(HistoryCompacted(node_id=run, iterations=iterations, tokens_before=7000, tokens_after=2000,
                                   summary="earlier work"))


def simple_run(run_id: str = "run-a", *, stdout2: str = "42\n", answer: str = "42",
               t0: float = 1_000.0, step: float = 0.5) -> StreamBuilder:
    """Two iterations: look at the context with one sub-call, then compute and answer."""
    b = StreamBuilder(run_id, t0=t0, step=step)
    run = b.start_run()
    it1 = b.iteration(run, 1)
    b.model_call(it1, "```repl\nprint(context[:100])\n```", index=1)
    b.cell(it1, "print(context[:100])", stdout="some long context text\n",
           subcalls=[("Summarise: some long context", "a summary")])
    b.end_iteration(it1, 1)
    it2 = b.iteration(run, 2)
    b.model_call(it2, "```repl\nx = 6 * 7\nprint(x)\nFINAL_VAR('x')\n```", index=2, tokens=(300, 40))
    cell = b.cell(it2, "x = 6 * 7\nprint(x)\nFINAL_VAR('x')", iteration_index=2, stdout=stdout2,
                  variables=[{"name": "x", "type": "int", "summary": "42"}],
                  final={"value": answer, "source": "code", "var": "x"})
    b.final(run, answer, via="FINAL_VAR", var_name="x", cell=cell)
    b.end_iteration(it2, 2, ended_run=True)
    b.finish(run, answer=answer)
    return b


def big_run(target_nodes: int = 10_000, seed: int = 7) -> StreamBuilder:
    """A large run: many iterations, cells with sub-calls (some unpriced or failing), nested child runs."""
    import random

    rng = random.Random(seed)
    b = StreamBuilder("run-big", step=0.01)
    root = b.start_run()

    def grow(run: str, depth: int, budget: int) -> None:
        index = 0
        while len(b.events) < budget:
            index += 1
            it = b.iteration(run, index)
            b.model_call(it, "```repl\n...\n```", index=index, tokens=(rng.randint(10, 900), rng.randint(1, 90)),
                         cost=None if rng.random() < 0.01 else rng.random() / 100)
            for cell_index in range(1, rng.randint(1, 3) + 1):
                cell = b.new_node()
                b.emit(CellStarted(node_id=cell, parent_id=it, iteration=index, index=cell_index, code="x = 1"))
                for _ in range(rng.randint(0, 6)):
                    failed = rng.random() < 0.05
                    sub = b.new_node()
                    b.emit(SubcallStarted(node_id=sub, parent_id=cell, model="m-sub", prompt="p"))
                    b.emit(SubcallFinished(node_id=sub, parent_id=cell, model="m-sub", response="r",
                                           usage={} if failed else {"input_tokens": rng.randint(1, 500),
                                                                    "output_tokens": rng.randint(1, 50)},
                                           cost_usd=None if failed or rng.random() < 0.02 else rng.random() / 1000,
                                           error={"kind": "server", "message": "boom"} if failed else None))
                if depth < 3 and rng.random() < 0.05:
                    child = b.start_run("child question", depth=depth + 1, parent=cell)
                    grow(child, depth + 1, min(budget, len(b.events) + rng.randint(20, 200)))
                    b.finish(child, answer="child answer")
                b.emit(CellFinished(node_id=cell, parent_id=it, stdout="out",
                                    error={"type": "ValueError", "message": "bad"} if rng.random() < 0.05 else None))
            b.end_iteration(it, index)

    grow(root, 0, target_nodes * 2)  # about two events per node
    b.finish(root, answer="done")
    return b
