"""Realistic event streams built with the real event classes (shared by the storage tests and benchmark)."""

from __future__ import annotations

import random

from rlm_studio.engine.emitter import EventEmitter
from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    ContextAttached,
    Event,
    FinalAnswer,
    IterationFinished,
    IterationStarted,
    ModelCallDelta,
    ModelCallFinished,
    ModelCallStarted,
    Notice,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
    new_run_id,
)

SYSTEM_PROMPT = ("You are tasked with answering a query with associated context. You can access, transform, "
                 "and analyze this context interactively in a REPL environment. " * 3)


class Stamp:
    """Events numbered, stamped and given node ids by the engine's own EventEmitter (its clock is `t`)."""

    def __init__(self, run_id: str | None = None, t0: float = 1_764_000_000.0):
        self.node = 0
        self.t = t0
        self.events: list[Event] = []
        self.emitter = EventEmitter(run_id or new_run_id(), [self.events.append], clock=lambda: self.t)

    @property
    def run_id(self) -> str:
        return self.emitter.run_id

    @property
    def seq(self) -> int:
        """How many events were stamped so far (the last one's seq)."""
        return len(self.events)

    def node_id(self) -> str:
        self.node += 1
        return self.emitter.new_node_id()

    def __call__(self, event: Event, dt: float = 0.25) -> Event:
        self.t += dt
        return self.emitter.emit(event)


def usage(inp: int, out: int) -> dict:
    return {"input_tokens": inp, "output_tokens": out, "cached_tokens": inp // 4, "reasoning_tokens": 0,
            "estimated": False}


def sample_run(run_id: str | None = None, document: str = "", with_delta: bool = True) -> list[Event]:
    """Root run, 2 iterations, cells, a batch of 2 sub-calls, a child run via rlm_query, FINAL_VAR."""
    s = Stamp(run_id)
    document = document or ("The quarterly report mentions the aurora borealis project. " * 40)
    root = s.node_id()
    s(RunStarted(node_id=root, parent_id=None, question="Which project does the report mention?", depth=0,
                 root_model="gpt-5-mini", sub_model="gpt-5-nano", settings={"max_iterations": 10, "max_depth": 2},
                 system_prompt=SYSTEM_PROMPT, context_kind="str", context_meta={"chars": len(document)},
                 documents=[{"index": 0, "name": "report.txt", "chars": len(document), "sha256": "x"}],
                 isolation="process", warnings=["sandbox: bubblewrap missing, using a plain process"],
                 app_version="0.1.0"))
    s(ContextAttached(node_id=root, index=0, name="report.txt", text=document, chars=len(document)))
    messages = [{"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": "Your context is a str of many characters. Answer: which project?"}]
    # iteration 1: look at the context, batched sub-calls
    it1 = s.node_id()
    s(IterationStarted(node_id=it1, parent_id=root, index=1))
    mc1 = s.node_id()
    s(ModelCallStarted(node_id=mc1, parent_id=it1, model="gpt-5-mini", messages=list(messages),
                       prompt_tokens=300, context_window=400_000, iteration=1))
    if with_delta:
        s(ModelCallDelta(node_id=mc1, parent_id=it1, text="Let me look"))
    response1 = "Let me look.\n```repl\nparts = [context[:1000], context[1000:]]\nr = llm_query_batched(parts)\nprint(r)\n```"
    s(ModelCallFinished(node_id=mc1, parent_id=it1, model="gpt-5-mini-2025", response=response1,
                        usage=usage(320, 60), cost_usd=0.0012, latency_ms=900.0, finish_reason="stop"))
    cell1 = s.node_id()
    s(CellStarted(node_id=cell1, parent_id=it1, iteration=1, index=1,
                  code="parts = [context[:1000], context[1000:]]\nr = llm_query_batched(parts)\nprint(r)"))
    subs = [s.node_id(), s.node_id()]
    for i, sub in enumerate(subs):
        s(SubcallStarted(node_id=sub, parent_id=cell1, model="gpt-5-nano", prompt=document[i * 1000:(i + 1) * 1000],
                         batch_id="b1", batch_index=i, batch_size=2, via="llm_query_batched"), dt=0.01)
    for i, sub in enumerate(subs):
        s(SubcallFinished(node_id=sub, parent_id=cell1, model="gpt-5-nano",
                          response=f"Part {i} mentions the aurora borealis project.",
                          usage=usage(250, 12), cost_usd=None if i else 0.0001, latency_ms=400.0 + i))
    out1 = "['Part 0 mentions the aurora borealis project.', 'Part 1 mentions the aurora borealis project.']\n"
    s(CellFinished(node_id=cell1, parent_id=it1, stdout=out1, stdout_chars=len(out1), duration_ms=450.0,
                   variables=[{"name": "r", "type": "list", "preview": "[...]"}]))
    s(IterationFinished(node_id=it1, parent_id=root, index=1, code_blocks=1, duration_ms=1400.0))
    messages += [{"role": "assistant", "content": response1},
                 {"role": "user", "content": "Code executed. REPL output:\n" + out1}]
    # iteration 2: a child RLM, an error cell, then FINAL_VAR
    it2 = s.node_id()
    s(IterationStarted(node_id=it2, parent_id=root, index=2))
    mc2 = s.node_id()
    s(ModelCallStarted(node_id=mc2, parent_id=it2, model="gpt-5-mini", messages=list(messages),
                       prompt_tokens=700, context_window=400_000, iteration=2))
    response2 = "```repl\nchecked = rlm_query('Confirm the project name in: ' + r[0])\n```\n```repl\n1/0\n```\n```repl\nanswer = 'aurora borealis'\nFINAL_VAR(answer)\n```"
    s(ModelCallFinished(node_id=mc2, parent_id=it2, model="gpt-5-mini-2025", response=response2,
                        usage=usage(720, 80), cost_usd=0.002, latency_ms=1200.0, finish_reason="stop"))
    cell2 = s.node_id()
    s(CellStarted(node_id=cell2, parent_id=it2, iteration=2, index=1,
                  code="checked = rlm_query('Confirm the project name in: ' + r[0])"))
    child = s.node_id()
    s(RunStarted(node_id=child, parent_id=cell2, question="Confirm the project name in: Part 0 ...", depth=1,
                 root_model="gpt-5-nano", sub_model="gpt-5-nano", system_prompt=SYSTEM_PROMPT, isolation="process"))
    cit = s.node_id()
    s(IterationStarted(node_id=cit, parent_id=child, index=1))
    cmc = s.node_id()
    s(ModelCallStarted(node_id=cmc, parent_id=cit, model="gpt-5-nano",
                       messages=[messages[0], {"role": "user", "content": "Confirm the project name in: Part 0 ..."}],
                       prompt_tokens=200, iteration=1))
    s(ModelCallFinished(node_id=cmc, parent_id=cit, model="gpt-5-nano", response='FINAL("aurora borealis")',
                        usage=usage(210, 9), cost_usd=0.00005, latency_ms=300.0))
    cfa = s.node_id()
    s(FinalAnswer(node_id=cfa, parent_id=child, answer="aurora borealis", via="FINAL", source="text"))
    s(IterationFinished(node_id=cit, parent_id=child, index=1, code_blocks=0, duration_ms=310.0, ended_run=True))
    s(RunFinished(node_id=child, parent_id=cell2, status="completed", answer="aurora borealis",
                  totals={"iterations": 1, "input_tokens": 210, "output_tokens": 9}))
    s(CellFinished(node_id=cell2, parent_id=it2, duration_ms=320.0))
    cell3 = s.node_id()
    s(CellStarted(node_id=cell3, parent_id=it2, iteration=2, index=2, code="1/0"))
    s(CellFinished(node_id=cell3, parent_id=it2, stderr="ZeroDivisionError: division by zero",
                   error={"type": "ZeroDivisionError", "message": "division by zero", "traceback": "..."},
                   duration_ms=2.0))
    s(Notice(node_id=cell3, parent_id=it2, level="warning", code="cell_error", message="a cell raised an error"))
    cell4 = s.node_id()
    s(CellStarted(node_id=cell4, parent_id=it2, iteration=2, index=3,
                  code="answer = 'aurora borealis'\nFINAL_VAR(answer)"))
    s(CellFinished(node_id=cell4, parent_id=it2, duration_ms=3.0,
                   final={"value": "aurora borealis", "source": "code", "var": "answer"}))
    fa = s.node_id()
    s(FinalAnswer(node_id=fa, parent_id=root, answer="aurora borealis", via="FINAL_VAR", source="code",
                  var_name="answer", cell_id=cell4))
    s(IterationFinished(node_id=it2, parent_id=root, index=2, code_blocks=3, duration_ms=1600.0, ended_run=True))
    s(RunFinished(node_id=root, parent_id=None, status="completed", answer="aurora borealis",
                  totals={"iterations": 2, "subcalls": 3}))
    return s.events


def wide_run(n_nodes: int, run_id: str | None = None, seed: int = 7) -> list[Event]:
    """A finished run of about `n_nodes` nodes: iterations with a cell each and many sub-calls."""
    rng = random.Random(seed)
    s = Stamp(run_id)
    root = s.node_id()
    s(RunStarted(node_id=root, question="Summarise every chapter.", root_model="m-root", sub_model="m-sub"))
    index = 0
    while s.node < n_nodes - 3:
        index += 1
        it = s.node_id()
        s(IterationStarted(node_id=it, parent_id=root, index=index), dt=0.001)
        mc = s.node_id()
        s(ModelCallStarted(node_id=mc, parent_id=it, model="m-root",
                           messages=[{"role": "system", "content": SYSTEM_PROMPT},
                                     {"role": "user", "content": f"Turn {index}: continue."}]), dt=0.001)
        s(ModelCallFinished(node_id=mc, parent_id=it, response=f"```repl\nx{index} = llm_query_batched(chunks)\n```",
                            usage=usage(rng.randint(100, 5000), rng.randint(10, 500)),
                            cost_usd=rng.random() / 100), dt=0.001)
        cell = s.node_id()
        s(CellStarted(node_id=cell, parent_id=it, iteration=index, index=1, code=f"x{index} = llm_query_batched(chunks)"),
          dt=0.001)
        subs = [s.node_id() for _ in range(min(40, max(1, n_nodes - 3 - s.node)))]
        for i, sub in enumerate(subs):
            s(SubcallStarted(node_id=sub, parent_id=cell, model="m-sub", prompt=f"chunk {index}.{i}",
                             batch_id=f"b{index}", batch_index=i, batch_size=len(subs), via="llm_query_batched"),
              dt=0.0001)
        for sub in subs:
            cost = None if rng.random() < 0.01 else rng.random() / 1000
            s(SubcallFinished(node_id=sub, parent_id=cell, response=f"summary {sub}",
                              usage=usage(rng.randint(50, 3000), rng.randint(5, 300)), cost_usd=cost), dt=0.0001)
        s(CellFinished(node_id=cell, parent_id=it, stdout="ok\n", duration_ms=5.0), dt=0.001)
        s(IterationFinished(node_id=it, parent_id=root, index=index, code_blocks=1), dt=0.001)
    s(RunFinished(node_id=root, status="completed", answer="All chapters summarised."))
    return s.events
