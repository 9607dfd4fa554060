"""A realistic synthetic event stream (the engine's shapes and ordering) for tree-model tests."""

from __future__ import annotations

import itertools

from rlm_studio.engine.emitter import EventEmitter
from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    ContextAttached,
    FinalAnswer,
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


def synthetic_run(iterations: int = 3, subcalls_per_cell: int = 4, child_every: int = 2, run_id: str = "synthetic"):
    """Root run with `iterations` iterations, each a model call and a cell with sub-calls; some cells
    start a child run; the last iteration answers with FINAL_VAR. Returns the list of events."""
    events: list = []
    clock = itertools.count(0)
    emitter = EventEmitter(run_id, [events.append], clock=lambda: 1_700_000_000.0 + next(clock) * 0.05)
    emit, node = emitter.emit, emitter.new_node_id

    def run(depth: int, parent: str | None, question: str, n_iter: int) -> str:
        root = node()
        emit(RunStarted(node_id=root, parent_id=parent, question=question, depth=depth, root_model="script:root.json",
                        sub_model="script:sub.json", system_prompt="You are an RLM.", isolation="process",
                        warnings=["bubblewrap is not available: cells run in a plain subprocess"] if depth == 0 else []))
        if depth == 0:
            emit(ContextAttached(node_id=root, index=0, name="report.txt", text="alpha beta " * 200, chars=2200))
        for i in range(1, n_iter + 1):
            it = node()
            emit(IterationStarted(node_id=it, parent_id=root, index=i))
            mc = node()
            code = f"chunks = [context[j:j+500] for j in range(0, len(context), 500)]\nprint(len(chunks), {i})"
            emit(ModelCallStarted(node_id=mc, parent_id=it, model="script:root.json", iteration=i,
                                  messages=[{"role": "system", "content": "You are an RLM."},
                                            {"role": "user", "content": question}], prompt_tokens=120))
            emit(ModelCallFinished(node_id=mc, parent_id=it, model="script:root.json",
                                   response=f"Let me look.\n```repl\n{code}\n```",
                                   usage={"input_tokens": 120 + i, "output_tokens": 30}, cost_usd=0.0012,
                                   latency_ms=250.0))
            cell = node()
            emit(CellStarted(node_id=cell, parent_id=it, iteration=i, index=1, code=code))
            for k in range(subcalls_per_cell):
                sc = node()
                emit(SubcallStarted(node_id=sc, parent_id=cell, model="script:sub.json", prompt=f"Summarise chunk {k}"))
                emit(SubcallFinished(node_id=sc, parent_id=cell, model="script:sub.json", response=f"summary {k}",
                                     usage={"input_tokens": 40, "output_tokens": 5}, cost_usd=0.0001,
                                     latency_ms=80.0))
            if depth == 0 and child_every and i % child_every == 0:
                child = run(depth + 1, cell, "child question", 1)
                emit(RunFinished(node_id=child, parent_id=cell, status="completed", answer="child answer"))
            emit(CellFinished(node_id=cell, parent_id=it, stdout=f"5 {i}\n", stdout_chars=4, duration_ms=12.0,
                              variables=[{"name": "chunks", "type": "list", "summary": "5 items"}]))
            emit(IterationFinished(node_id=it, parent_id=root, index=i, code_blocks=1))
        return root

    root = run(0, None, "What do the chunks say?", iterations)
    emit(Notice(node_id=root, level="warning", code="sandbox_fallback", message="cells run without bubblewrap"))
    final = node()
    emit(FinalAnswer(node_id=final, parent_id=root, answer="They say alpha beta.", via="FINAL"))
    emit(RunFinished(node_id=root, status="completed", answer="They say alpha beta."))
    return events
