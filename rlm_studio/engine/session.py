"""The RLM loop (arXiv 2512.24601): a root model writes code against `context` in a sandboxed REPL.

`RlmSession` runs one root RLM and any child RLMs it starts with `rlm_query`, as one tree that
emits one ordered stream of events. Limits are held across the whole tree, a running cell is
interrupted when a limit trips or the host cancels, and every started node is finished in the
stream even when the run stops early.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import shutil
import tempfile
import time
from collections import deque
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rlm_studio import __version__
from rlm_studio.models.types import ModelClient, ModelError, ModelResponse

from . import events as ev
from .answer_protocols import via_for
from .emitter import EventEmitter, Sink
from .follow_up import rebuild_repl
from .history import History, Turn
from .limits import Budget, LimitReached, describe_limit
from .parsing import extract_repl_blocks, find_text_final
from .prompts import (
    DEFAULT_SYSTEM_PROMPT,
    cell_feedback,
    context_metadata,
    first_user_message,
    iteration_feedback,
    system_prompt_for,
)
from .repl_setup import ReplSetupError, answer_ready, full_system_prompt, prepare_repl
from .run_tree import RunTree
from .settings import RunResult, RunSettings

if TYPE_CHECKING:
    from rlm_studio.sandbox import FileContext

log = logging.getLogger(__name__)

ModelResolver = Callable[[str], ModelClient]
ANSWER_VARIABLES = ("final_answer", "answer", "result")


def resolver_for(model_settings: Any = None) -> ModelResolver:
    """Model specs resolved by the model registry with the user's model settings (prices, API bases)."""

    def resolve(spec: str) -> ModelClient:
        from rlm_studio.models.registry import resolve_model

        return resolve_model(spec, model_settings)

    return resolve



class _Stop(Exception):
    """Internal: end this RLM's loop with a status (a limit, a cancellation, a fatal model error)."""

    def __init__(self, status: ev.RunStatus, *, limit: str | None = None, error: dict[str, Any] | None = None):
        super().__init__(status)
        self.status, self.limit, self.error = status, limit, error


class RlmSession:
    """One run: `await RlmSession(question, context, settings).run()`; `cancel()` stops it at once."""

    def __init__(self, question: str, context: str | list[str] | dict[str, str] | FileContext,
                 settings: RunSettings | None = None,
                 *, run_id: str | None = None, sinks: list[Sink] | None = None,
                 resolver: ModelResolver | None = None, forked_from: dict[str, Any] | None = None,
                 model_settings: Any = None):
        self.settings = settings or RunSettings()
        self.settings.validate()
        if not isinstance(question, str) or not question.strip():
            raise ValueError("the question is empty")
        _check_context(context)
        self.question = question
        self.context = context
        self.run_id = run_id or ev.new_run_id()
        #: the run's tree, fed first by every event: results count from it (the one totals of every surface)
        self.tree = RunTree()
        self.emitter = EventEmitter(self.run_id, [self.tree.apply, *(sinks or [])])
        self.budget = Budget(self.settings)
        self.forked_from = forked_from
        self._resolver = resolver or resolver_for(model_settings)
        self._models: dict[str, ModelClient] = {}
        self._semaphore = asyncio.Semaphore(self.settings.batch_concurrency)
        self._workers: set[Any] = set()
        self._task: asyncio.Task[Any] | None = None
        self._stop_reason: tuple[ev.RunStatus, str | None] | None = None
        self._tmp: Path | None = None
        self._batch_counter = 0
        #: set by from_fork(): what the fork keeps of its parent run
        self.fork: Any = None
        #: set by follow_up.follow_up_session(): the earlier turns of the conversation this run continues
        self.follow_up: Any = None

    @classmethod
    def from_fork(cls, plan: Any, settings: RunSettings | None = None, *, sinks: list[Sink] | None = None,
                  resolver: ModelResolver | None = None, model_settings: Any = None) -> RlmSession:
        """A new run that keeps `plan` (engine.fork.plan_fork) and continues with `settings`."""
        session = cls(plan.question, plan.context, settings or plan.settings, sinks=sinks, resolver=resolver,
                      forked_from=plan.forked_from(), model_settings=model_settings)
        session.fork = plan
        return session

    # -- public -----------------------------------------------------------------------------
    def add_sink(self, sink: Sink) -> None:
        self.emitter.add_sink(sink)

    def model(self, spec: str) -> ModelClient:
        if spec not in self._models:
            self._models[spec] = self._resolver(spec)
        return self._models[spec]

    def resolve_models(self) -> None:
        """Resolve root and sub models now, so a bad model name fails before anything runs."""
        self.model(self.settings.root_model)
        if self.settings.sub_model:
            self.model(self.settings.sub_model)

    def cancel(self) -> None:
        self._request_stop("cancelled", None)

    async def run(self) -> RunResult:
        self._task = asyncio.current_task()
        self._tmp = Path(tempfile.mkdtemp(prefix="rlm-studio-run-"))
        wall = None
        if self.settings.max_wall_s is not None:
            wall = asyncio.get_running_loop().call_later(self.settings.max_wall_s, self._wall_limit)
        try:
            rlm = _Rlm(self, depth=0, question=self.question, context=self.context, parent_node=None)
            return await rlm.run()
        finally:
            if wall:
                wall.cancel()
            for worker in list(self._workers):
                await _close_quietly(worker)
            shutil.rmtree(self._tmp, ignore_errors=True)

    # -- internals used by _Rlm -------------------------------------------------------------
    def _wall_limit(self) -> None:
        self.budget.trip("max_wall_s")
        self._request_stop("limit_hit", "max_wall_s")

    def _request_stop(self, status: ev.RunStatus, limit: str | None) -> None:
        if self._stop_reason is None:
            self._stop_reason = (status, limit)
        for worker in list(self._workers):
            asyncio.ensure_future(_interrupt_quietly(worker))
        if self._task is not None and not self._task.done():
            self._task.cancel()

    def _limit_tripped(self) -> None:
        """A budget limit was reached inside a cell: interrupt running cells, stop after them."""
        for worker in list(self._workers):
            asyncio.ensure_future(_interrupt_quietly(worker))

    def next_batch_id(self) -> str:
        self._batch_counter += 1
        return f"b{self._batch_counter}"


class _Rlm:
    """One RLM of the tree (the root, or a child at depth > 0) with its own REPL worker."""

    def __init__(self, session: RlmSession, *, depth: int, question: str, context: Any, parent_node: str | None):
        self.s = session
        self.settings = session.settings
        self.depth = depth
        self.question = question
        self.context = context
        self.parent_node = parent_node
        self.node_id = session.emitter.new_node_id()
        self.worker: Any = None
        self.current_cell: str | None = None
        self.iterations = 0
        self.last_variables: list[dict[str, Any]] = []
        self.last_response = ""
        self.replaying = False
        self.edited_response: str | None = None

    def emit(self, event: ev.Event) -> ev.Event:
        return self.s.emitter.emit(event)

    # -- the loop ---------------------------------------------------------------------------
    async def run(self) -> RunResult:
        started = time.monotonic()
        settings = self.settings
        meta = context_metadata(self.context)
        parts = context_parts(self.context)
        system_prompt = full_system_prompt(settings.system_prompt or self._model_prompt(), settings)
        isolation, warnings, sandbox_error = await self._expected_isolation()
        self.emit(ev.RunStarted(
            node_id=self.node_id, parent_id=self.parent_node, question=self.question, depth=self.depth,
            root_model=settings.root_model, sub_model=settings.sub_model or settings.root_model,
            settings=settings.to_dict(), system_prompt=system_prompt, context_kind=meta["type"],
            context_meta=meta, documents=[{k: p[k] for k in ("index", "name", "chars", "sha256")} for p in parts],
            isolation=isolation, warnings=warnings,
            forked_from=self.s.forked_from if self.depth == 0 else None, app_version=__version__))
        for part in parts:
            self.emit(ev.ContextAttached(node_id=self.node_id, parent_id=self.parent_node, **part))
        for warning in warnings:
            self.emit(ev.Notice(node_id=self.node_id, parent_id=self.parent_node, level="warning",
                                code="sandbox_fallback", message=warning))

        status: ev.RunStatus = "completed"
        limit: str | None = None
        error: dict[str, Any] | None = None
        answer: str | None = None
        try:
            if sandbox_error:
                raise _Stop("failed", error={"kind": "sandbox", "message": sandbox_error})
            self.worker = await self._start_worker()
            try:
                await prepare_repl(self.worker, settings)
            except ReplSetupError as exc:
                raise _Stop("failed", error={"kind": "tools", "message": str(exc)}) from None
            history = History(system=system_prompt,
                              first_user=first_user_message(self.question, meta, settings.max_iterations))
            if self.depth == 0 and self.s.fork is not None:
                await self._continue_fork(history)
            if self.depth == 0 and self.s.follow_up is not None:
                history.first_user = f"{self.s.follow_up.account()}\n\n{history.first_user}"
                await rebuild_repl(self.s.follow_up, self)
            answer = await self._loop(history)
            if answer is None:
                status, limit = "limit_hit", "max_iterations"
        except _Stop as stop:
            status, limit, error = stop.status, stop.limit, stop.error
        except LimitReached as exc:
            status, limit = "limit_hit", exc.limit
        except asyncio.CancelledError:
            reason: tuple[ev.RunStatus, str | None] = self.s._stop_reason or ("cancelled", None)
            status, limit = reason
            if self.depth > 0 or self.s._stop_reason is None:
                # a child cancelled by its parent's stop, or a cancellation from outside: finish, then re-raise
                self._finish(started, status, limit, None, None, isolation, warnings)
                raise
            task = asyncio.current_task()
            assert task is not None  # this except clause runs inside the run's own task
            task.uncancel()
        except Exception as exc:  # an engine bug or an unexpected sandbox failure: the run fails visibly
            log.exception("run failed")
            status, error = "failed", {"kind": type(exc).__name__, "message": str(exc)}
        finally:
            if self.worker is not None:
                self.s._workers.discard(self.worker)
                await _close_quietly(self.worker)
        if status != "completed" and self.s.budget.tripped and limit is None and status == "limit_hit":
            limit = self.s.budget.tripped
        return self._finish(started, status, limit, error, answer, isolation, warnings)

    def _model_prompt(self) -> str:
        """The root model's own default prompt (the bundled model has a shorter one it was trained with)."""
        try:
            return system_prompt_for(self.s.model(self.settings.root_model))
        except Exception:  # a bad model name is reported where the loop resolves it
            return DEFAULT_SYSTEM_PROMPT

    def _finish(self, started: float, status: ev.RunStatus, limit: str | None, error: dict[str, Any] | None,
                answer: str | None,
                isolation: str, warnings: list[str]) -> RunResult:
        totals = self._totals((time.monotonic() - started) * 1000.0)
        if limit and status == "limit_hit":
            self.emit(ev.Notice(node_id=self.node_id, parent_id=self.parent_node, level="warning",
                                code="limit_hit", message=f"The run stopped: its {describe_limit(limit)} was reached."))
        candidate = self._best_candidate() if answer is None else None
        self.emit(ev.RunFinished(node_id=self.node_id, parent_id=self.parent_node, status=status, answer=answer,
                                 best_candidate=candidate, limit=limit, error=error, totals=dict(totals)))
        return RunResult(run_id=self.s.run_id, status=status, answer=answer, limit=limit, error=error,
                         totals=totals, isolation=isolation, warnings=warnings, best_candidate=candidate)

    def _totals(self, duration_ms: float) -> dict[str, Any]:
        """This run's subtree totals from the session's run tree (children closed, so all are in)."""
        return self.s.tree.totals(self.node_id).result_dict(duration_ms)

    async def _expected_isolation(self) -> tuple[str, list[str], str | None]:
        """(isolation level, warnings, error) the run's sandbox will have, known before it starts."""
        from rlm_studio.sandbox import SandboxUnavailable, resolve_isolation

        try:
            mode, _, warning = await asyncio.to_thread(resolve_isolation, self.settings.isolation)
        except SandboxUnavailable as exc:
            return self.settings.isolation, [], str(exc)
        return mode, [warning] if warning else [], None

    async def _start_worker(self) -> Any:
        from rlm_studio.sandbox import FileContext, SandboxLimits, Worker, write_context

        assert self.s._tmp is not None  # RlmSession.run() makes it before any RLM starts
        path = self.s._tmp / f"context-{self.node_id}.bin"
        if isinstance(self.context, FileContext):
            path = self.context.path   # already a context file: the worker maps it as it is
        else:
            await asyncio.to_thread(write_context, self.context, path)
        limits = SandboxLimits(memory_mb=self.settings.sandbox_memory_mb, cell_timeout_s=self.settings.cell_timeout_s)
        worker: Worker | None = None
        if isinstance(self.context, FileContext):   # one the app started when the document was loaded
            from rlm_studio.sandbox.prewarm import take
            worker = await take(path, limits, self.settings.isolation, self._handle)
        if worker is None:
            worker = await Worker.start(context_path=path, handler=self._handle, limits=limits,
                                        isolation=self.settings.isolation)
        self.s._workers.add(worker)
        return worker

    async def _loop(self, history: History) -> str | None:
        settings = self.settings
        root = self.s.model(settings.root_model)
        first_iteration = self.iterations + 1
        for index in range(first_iteration, settings.max_iterations + 1):
            self.s.budget.check_before_call(subcall=False)
            self.iterations = index
            it_node = self.s.emitter.new_node_id()
            it_started = time.monotonic()
            self.emit(ev.IterationStarted(node_id=it_node, parent_id=self.node_id, index=index))
            blocks: list[str] = []
            final: dict[str, Any] | None = None
            try:
                await self._fit_window(history, root, it_node)
                response = await self._root_call(root, history, it_node, index)
                self.last_response = response.content
                blocks = extract_repl_blocks(response.content)
                feedback, final = await self._run_blocks(blocks, it_node, index)
                if final is None:
                    final = await self._text_final(response.content, it_node, feedback)
                if self.s.budget.tripped:
                    raise LimitReached(self.s.budget.tripped, "limit reached")
                history.turns.append(Turn(index, response.content, iteration_feedback(
                    feedback, self.last_variables, index, settings.max_iterations,
                    [], response.content) if final is None else ""))
            finally:
                self.emit(ev.IterationFinished(node_id=it_node, parent_id=self.node_id, index=index,
                                               code_blocks=len(blocks), ended_run=final is not None,
                                               duration_ms=(time.monotonic() - it_started) * 1000.0))
            if final is not None:
                self.emit(ev.FinalAnswer(node_id=self.s.emitter.new_node_id(), parent_id=self.node_id,
                                         answer=final["value"], via=final["source"], var_name=final.get("var"),
                                         source=final.get("where", "code"), cell_id=final.get("cell_id")))
                answer: str = final["value"]
                return answer
        return None

    async def _fit_window(self, history: History, root: ModelClient, it_node: str) -> None:
        window = getattr(root, "context_window", None)
        if not window:
            return
        budget_tokens = int(window * self.settings.compaction_threshold)
        before = root.count_tokens(history.messages())
        if before <= budget_tokens:
            return
        folded = history.compact(root.count_tokens, budget_tokens)
        if folded:
            after = root.count_tokens(history.messages())
            self.emit(ev.HistoryCompacted(node_id=self.node_id, parent_id=self.parent_node, iterations=folded,
                                          tokens_before=before, tokens_after=after, summary=history.summary or ""))
            if self.worker is not None:
                await self.worker.set_variable("history", history.all_messages())

    async def _root_call(self, root: ModelClient, history: History, it_node: str, index: int) -> ModelResponse:
        messages = history.messages()
        call_node = self.s.emitter.new_node_id()
        self.emit(ev.ModelCallStarted(node_id=call_node, parent_id=it_node, model=root.name, messages=messages,
                                      prompt_tokens=root.count_tokens(messages),
                                      context_window=getattr(root, "context_window", None), iteration=index))

        def on_delta(text: str) -> None:
            self.emit(ev.ModelCallDelta(node_id=call_node, parent_id=it_node, text=text))

        try:
            if self.edited_response is not None:
                response = ModelResponse(content=self.edited_response, model="(edited by the user)", cost_usd=0.0)
                self.edited_response = None
            else:
                response = await root.complete(messages, stream=on_delta, timeout=self.settings.model_call_timeout_s)
        except ModelError as exc:
            self.emit(ev.ModelCallFinished(node_id=call_node, parent_id=it_node, model=root.name,
                                           error=exc.to_dict(), latency_ms=exc.latency_ms, retries=exc.retries))
            raise _Stop("failed", error={"kind": exc.kind, "message": f"root model: {exc.message}"}) from None
        except asyncio.CancelledError:
            self.emit(ev.ModelCallFinished(node_id=call_node, parent_id=it_node, model=root.name,
                                           error={"kind": "cancelled", "message": "the run was stopped"}))
            raise
        usage = response.usage.to_dict()
        self.emit(ev.ModelCallFinished(node_id=call_node, parent_id=it_node, model=response.model or root.name,
                                       response=response.content, usage=usage, cost_usd=response.cost_usd,
                                       latency_ms=response.latency_ms, retries=response.retries,
                                       finish_reason=response.finish_reason))
        self._count_call(usage, response.cost_usd, subcall=False)
        return response

    def _count_call(self, usage: dict[str, Any], cost: float | None, *, subcall: bool) -> None:
        """Charge one call to the tree's budget (the limits); counts for results come from the run tree."""
        before = self.s.budget.tripped
        self.s.budget.add_call(usage, cost, subcall=subcall)
        if self.s.budget.tripped and not before:
            self.s._limit_tripped()

    async def _run_blocks(self, blocks: list[str], it_node: str, index: int
                          ) -> tuple[list[str], dict[str, Any] | None]:
        feedback: list[str] = []
        for n, code in enumerate(blocks, start=1):
            cell_node = self.s.emitter.new_node_id()
            self.emit(ev.CellStarted(node_id=cell_node, parent_id=it_node, iteration=index, index=n, code=code))
            self.current_cell = cell_node
            try:
                result = await self.worker.execute(code, timeout_s=self.settings.cell_timeout_s)
            except asyncio.CancelledError:
                self.emit(ev.CellFinished(node_id=cell_node, parent_id=it_node, interrupted=True,
                                          error={"type": "Cancelled", "message": "the run was stopped",
                                                 "traceback": ""}))
                raise
            finally:
                self.current_cell = None
            if result.crashed:
                await prepare_repl(self.worker, self.settings)  # the fresh worker gets the tools again
            if result.final is None and not result.crashed:
                result.final = await answer_ready(self.worker, self.settings)
            text, cut = cell_feedback(n, result, self.settings.output_limit_chars)
            self.last_variables = result.variables
            self.emit(ev.CellFinished(
                node_id=cell_node, parent_id=it_node, stdout=result.stdout, stderr=result.stderr,
                stdout_chars=result.stdout_chars, stderr_chars=result.stderr_chars, feedback_cut_chars=cut,
                error=result.error, duration_ms=result.duration_ms, variables=result.variables,
                final=result.final, timed_out=result.timed_out, interrupted=result.interrupted,
                crashed=result.crashed, restored=list(result.restored)))
            if result.crashed:
                self.emit(ev.Notice(node_id=cell_node, parent_id=it_node, level="warning", code="worker_restarted",
                                    message=f"The REPL worker died ({result.crashed}) and was restarted."))
            if getattr(result, "protocol_violation", None):
                self.emit(ev.Notice(node_id=cell_node, parent_id=it_node, level="error", code="protocol_violation",
                                    message=f"The REPL worker sent a frame outside the protocol "
                                            f"({result.protocol_violation}); nothing in it was believed."))
            if getattr(result, "background_chars", 0):
                self.emit(ev.Notice(node_id=cell_node, parent_id=it_node, level="info", code="background_output",
                                    message=f"{result.background_chars:,} characters printed by background threads "
                                            "of earlier cells after those cells ended were dropped."))
            if result.error and "FINAL_VAR" in (result.error.get("message") or "") and not result.final:
                self.emit(ev.Notice(node_id=cell_node, parent_id=it_node, level="warning",
                                    code="final_var_undefined", message=result.error.get("message", "")))
            feedback.append(text)
            if self.s.budget.tripped:
                raise LimitReached(self.s.budget.tripped, "limit reached")
            if result.final is not None:
                via = via_for(self.settings.answer_protocol, result.final, code)
                return feedback, {**result.final, "source": via, "where": "code", "cell_id": cell_node}
        return feedback, None

    async def _text_final(self, response: str, it_node: str, feedback: list[str]) -> dict[str, Any] | None:
        found = find_text_final(response)
        if found is None:
            return None
        if found.via == "FINAL":
            return {"value": found.value, "source": "FINAL", "var": None, "where": "text"}
        result = await self.worker.execute(f"FINAL_VAR({found.value!r})", timeout_s=self.settings.cell_timeout_s)
        if result.final is not None:
            return {**result.final, "where": "text"}
        message = (f"FINAL_VAR({found.value}) was not accepted: there is no variable named {found.value!r} "
                   "in the REPL. Assign it in a ```repl block first, or answer with FINAL(answer).")
        self.emit(ev.Notice(node_id=it_node, parent_id=self.node_id, level="warning",
                            code="final_var_undefined", message=message))
        feedback.append(message)
        return None

    async def _continue_fork(self, history: History) -> None:
        """Show the kept iterations, rebuild the REPL from their cells, continue after them."""
        from .fork import restamp

        plan = self.s.fork
        parent_root = next((e.parent_id for e in plan.prefix_events if e.kind == "iteration_started"), None)
        for event in restamp(plan.prefix_events, parent_root, self.node_id, self.s.emitter.new_node_id):
            self.emit(event)
            if isinstance(event, (ev.ModelCallFinished, ev.SubcallFinished)) and not event.error:
                self._count_call(event.usage, event.cost_usd, subcall=isinstance(event, ev.SubcallFinished))
        self.replaying = True
        try:
            for code in plan.cells:
                result = await self.worker.execute(code, timeout_s=self.settings.cell_timeout_s)
                self.last_variables = result.variables
        finally:
            self.replaying = False
        history.turns.extend(plan.turns)
        self.iterations = plan.at_iteration - 1
        self.edited_response = plan.edited_response

    def _best_candidate(self) -> dict[str, str] | None:
        """For a run that ended without FINAL: what it came closest to answering with, and where that is
        from ({"text", "source"}), never passed off as the answer itself."""
        for name in ANSWER_VARIABLES:
            for var in self.last_variables:
                if var.get("name") == name and var.get("summary"):
                    return {"text": str(var["summary"]), "source": f"variable {name}"}
        response = self.last_response.strip()
        return {"text": response, "source": "last response"} if response else None

    # -- requests from the REPL ---------------------------------------------------------------
    def _recorded(self, table: str, prompt: Any) -> str | None:
        """While a fork rebuilds its REPL, sub-calls get the answers recorded in the parent run."""
        if not self.replaying or not isinstance(prompt, str):
            return None
        queue: deque[str] | None = getattr(self.s.fork or self.s.follow_up, table).get(prompt)
        if not queue:
            return None
        return queue.popleft() if len(queue) > 1 else queue[0]

    async def _handle(self, op: str, payload: dict[str, Any]) -> Any:
        parent = self.current_cell or self.node_id
        if self.replaying:
            if op == "llm_query":
                recorded = self._recorded("replies", payload.get("prompt"))
                if recorded is not None:
                    return recorded
            elif op == "llm_query_batched":
                answers = [self._recorded("replies", p) for p in payload.get("prompts") or []]
                if all(a is not None for a in answers):
                    return answers
            elif op == "rlm_query":
                recorded = self._recorded("child_answers", payload.get("prompt"))
                if recorded is not None:
                    return recorded
        if op == "llm_query":
            return await self._subcall(payload.get("prompt"), payload.get("model"), parent, via="llm_query")
        if op == "llm_query_batched":
            prompts = payload.get("prompts") or []
            batch_id = self.s.next_batch_id()
            return await asyncio.gather(*[
                self._subcall(p, payload.get("model"), parent, via="llm_query_batched", batch_id=batch_id,
                              batch_index=i, batch_size=len(prompts)) for i, p in enumerate(prompts)],
                return_exceptions=True)
        if op == "rlm_query":
            return await self._child(payload.get("prompt"), payload.get("context"), parent)
        raise ModelError("bad_request", f"unknown request {op!r} from the REPL")

    async def _subcall(self, prompt: Any, model_spec: str | None, parent: str, *, via: ev.SubcallVia,
                       batch_id: str | None = None, batch_index: int | None = None,
                       batch_size: int | None = None) -> str:
        if not isinstance(prompt, str):
            raise ModelError("bad_request", f"{via} needs a str prompt, not {type(prompt).__name__}")
        spec = model_spec or self.settings.sub_model or self.settings.root_model
        node = self.s.emitter.new_node_id()
        self.emit(ev.SubcallStarted(node_id=node, parent_id=parent, model=spec, prompt=prompt, batch_id=batch_id,
                                    batch_index=batch_index, batch_size=batch_size, via=via))
        try:
            self.s.budget.check_before_call(subcall=True)
            model = self.s.model(spec)
            async with self.s._semaphore:
                response = await model.complete([{"role": "user", "content": prompt}],
                                                timeout=self.settings.model_call_timeout_s)
        except LimitReached as exc:
            self.s._limit_tripped()
            error = ModelError("budget", f"refused: {exc}", model=spec)
            self.emit(ev.SubcallFinished(node_id=node, parent_id=parent, model=spec, error=error.to_dict()))
            raise error from None
        except ModelError as exc:
            self.emit(ev.SubcallFinished(node_id=node, parent_id=parent, model=spec, error=exc.to_dict(),
                                         latency_ms=exc.latency_ms, retries=exc.retries))
            raise
        except ValueError as exc:  # an unknown model name given to llm_query(model=...)
            error = ModelError("not_found", str(exc), model=spec)
            self.emit(ev.SubcallFinished(node_id=node, parent_id=parent, model=spec, error=error.to_dict()))
            raise error from None
        except asyncio.CancelledError:
            self.emit(ev.SubcallFinished(node_id=node, parent_id=parent, model=spec,
                                         error={"kind": "cancelled", "message": "the run was stopped"}))
            raise
        usage = response.usage.to_dict()
        self.emit(ev.SubcallFinished(node_id=node, parent_id=parent, model=response.model or spec,
                                     response=response.content, usage=usage, cost_usd=response.cost_usd,
                                     latency_ms=response.latency_ms, retries=response.retries))
        self._count_call(usage, response.cost_usd, subcall=True)
        return response.content

    async def _child(self, prompt: Any, context: Any, parent: str) -> str:
        if not isinstance(prompt, str) or not prompt.strip():
            raise ModelError("bad_request", "rlm_query needs a non-empty str prompt")
        if self.depth + 1 > self.settings.max_depth:
            return await self._subcall(prompt, None, parent, via="rlm_query")
        child_context = context if context is not None else prompt
        try:
            _check_context(child_context)
        except ValueError as exc:
            raise ModelError("bad_request", f"rlm_query context: {exc}") from None
        child = _Rlm(self.s, depth=self.depth + 1, question=prompt, context=child_context, parent_node=parent)
        result = await child.run()
        if result.status != "completed" or result.answer is None:
            why = result.error["message"] if result.error else (
                f"its {describe_limit(result.limit)} was reached" if result.limit else result.status)
            raise ModelError("unknown" if not result.limit else "budget", f"the child RLM did not answer: {why}")
        return result.answer


def _check_context(context: Any) -> None:
    from rlm_studio.sandbox import FileContext

    if isinstance(context, FileContext):
        if context.total_chars == 0:
            raise ValueError("the context is empty")
        return
    if isinstance(context, str):
        ok = True
    elif isinstance(context, list):
        ok = all(isinstance(p, str) for p in context)
    elif isinstance(context, dict):
        ok = all(isinstance(k, str) and isinstance(v, str) for k, v in context.items())
    else:
        ok = False
    if not ok:
        raise ValueError("the context must be a str, a list of str, or a dict of name -> str")
    total = (len(context) if isinstance(context, str) else
             sum(len(p) for p in (context.values() if isinstance(context, dict) else context)))
    if total == 0:
        raise ValueError("the context is empty")


def context_parts(context: Any) -> list[dict[str, Any]]:
    """The parts of a context as a run records them (name, text, length, sha256); used by every method."""
    from rlm_studio.sandbox import FileContext

    if isinstance(context, FileContext):  # hashed while it was written; its text is not stored with the run
        return [{"index": i, "name": "context" if context.kind == "str" else part.name, "text": "",
                 "chars": part.chars, "sha256": part.sha256} for i, part in enumerate(context.parts)]
    if isinstance(context, str):
        items = [("context", context)]
    elif isinstance(context, dict):
        items = list(context.items())
    else:
        items = [(str(i), text) for i, text in enumerate(context)]
    return [{"index": i, "name": name, "text": text, "chars": len(text),
             "sha256": hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()}
            for i, (name, text) in enumerate(items)]


async def _close_quietly(worker: Any) -> None:
    try:
        await asyncio.shield(worker.close())
    except BaseException:  # closing must never mask the run's own outcome
        log.debug("worker close failed", exc_info=True)


async def _interrupt_quietly(worker: Any) -> None:
    try:
        await worker.interrupt()
    except Exception:
        log.debug("worker interrupt failed", exc_info=True)
