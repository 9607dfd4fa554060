"""Runs one RLM session on the Qt thread's asyncio loop, storing its events as they come."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Signal

from .user_errors import describe_error

log = logging.getLogger(__name__)


def needs_litellm(*specs: str | None) -> bool:
    return any(spec and not spec.startswith("script:") for spec in specs)


async def preload_litellm() -> None:
    """Import litellm on a worker thread (it takes seconds) so the window does not freeze."""
    from .lazy_litellm import preload

    await preload()


class RunController(QObject):
    started = Signal(str)           # run id
    finished = Signal(object)       # RunResult
    failed = Signal(str)            # could not start, or crashed: a message for the user
    storage_problem = Signal(str)   # events could not be stored (kept in memory)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.session: Any | None = None
        self.writer: Any | None = None
        self._storage_warned = False

    @property
    def running(self) -> bool:
        return self.session is not None

    def stop(self) -> None:
        if self.session is not None:
            self.session.cancel()

    def _store_sink(self, writer: Any) -> Callable[[Any], None]:
        def sink(event: Any) -> None:
            try:
                writer.append(event)
            except Exception as exc:
                self._warn_storage(exc)
        return sink

    def _warn_storage(self, exc: Exception) -> None:
        if not self._storage_warned:
            self._storage_warned = True
            self.storage_problem.emit(describe_error(exc, "storing the run"))

    async def run(self, question: str, context: Any, settings_kwargs: dict[str, Any], *,
                  model_settings: Any = None, store: Any = None,
                  on_event: Callable[[Any], None] | None = None) -> Any | None:
        """Start and await a run; None when it could not start (failed was emitted)."""
        from .file_backed_runs import MixedDocuments, combine

        if isinstance(context, MixedDocuments):   # a large document among others: one context file, off the UI thread
            try:
                context = await asyncio.get_running_loop().run_in_executor(None, combine, context)
            except Exception as exc:
                self.failed.emit(describe_error(exc, "preparing the documents"))
                return None

        def make(settings: Any) -> Any:
            from rlm_studio.engine import RlmSession
            from rlm_studio.models.registry import resolve_model

            return RlmSession(question, context, settings, resolver=lambda spec: resolve_model(spec, model_settings))
        return await self._run_session(make, settings_kwargs, store=store, on_event=on_event)

    async def fork(self, plan: Any, settings_kwargs: dict[str, Any], *, model_settings: Any = None,
                   store: Any = None, on_event: Callable[[Any], None] | None = None) -> Any | None:
        """Run a fork of a stored run (plan from engine.fork.plan_fork), like `run`."""
        if not await self._restore_context(plan, store):
            return None

        def make(settings: Any) -> Any:
            from rlm_studio.engine.session import RlmSession
            from rlm_studio.models.registry import resolve_model

            return RlmSession.from_fork(plan, settings, resolver=lambda spec: resolve_model(spec, model_settings))
        return await self._run_session(make, settings_kwargs, store=store, on_event=on_event)

    async def follow_up(self, plan: Any, question: str, settings_kwargs: dict[str, Any], *,
                        model_settings: Any = None, store: Any = None,
                        on_event: Callable[[Any], None] | None = None) -> Any | None:
        """Run the next turn of a conversation (plan from engine.follow_up.plan_follow_up), like `run`."""
        if not await self._restore_context(plan, store):
            return None

        def make(settings: Any) -> Any:
            from rlm_studio.engine.follow_up import follow_up_session
            from rlm_studio.models.registry import resolve_model

            return follow_up_session(plan, question, settings,
                                     resolver=lambda spec: resolve_model(spec, model_settings))
        result = await self._run_session(make, settings_kwargs, store=store, on_event=on_event)
        if result is not None and store is not None:
            from rlm_studio.storage.conversations import link_turn

            try:
                link_turn(store, result.run_id, plan.conversation_id, plan.turn, plan.previous_run_id)
            except Exception as exc:
                self._warn_storage(exc)
        return result

    async def _restore_context(self, plan: Any, store: Any) -> bool:
        """A file-backed parent run's document, streamed back out of the database (off the UI thread) into
        `plan.context`; False (failed emitted) when it cannot be."""
        from .file_backed_runs import restore_plan_context

        try:
            await asyncio.get_running_loop().run_in_executor(None, restore_plan_context, plan, store)
        except Exception as exc:
            self.failed.emit(describe_error(exc, "restoring the run's document"))
            return False
        return True

    async def _run_session(self, make: Callable[[Any], Any], settings_kwargs: dict[str, Any], *,
                           store: Any = None, on_event: Callable[[Any], None] | None = None) -> Any | None:
        """The one path every run takes: settings, models, storage sink, live sink, run, close the writer."""
        if self.session is not None:
            self.failed.emit("A run is already going; stop it first.")
            return None
        self._storage_warned = False
        loop = asyncio.get_running_loop()
        try:
            from rlm_studio.engine import RunSettings

            settings = RunSettings(**settings_kwargs)
            settings.validate()
            if settings.tools:  # a tools file that fails to import stops here, in a throwaway sandbox worker
                from rlm_studio.engine.tools import check_tools

                await check_tools(settings.tools, isolation=settings.isolation, timeout_s=settings.cell_timeout_s)
            if needs_litellm(settings.root_model, settings.sub_model):
                await preload_litellm()
            session = make(settings)
            await loop.run_in_executor(None, session.resolve_models)
        except Exception as exc:
            self.failed.emit(describe_error(exc, "starting the run"))
            return None
        self.session = session
        writer = None
        if store is not None:
            try:
                writer = store.writer(session.run_id)
                session.add_sink(self._store_sink(writer))
            except Exception as exc:
                self._warn_storage(exc)
        if on_event is not None:
            session.add_sink(on_event)
        self.started.emit(session.run_id)
        result = None
        try:
            result = await session.run()
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # the engine failed; what ran so far is in the view and the database
            log.exception("run %s crashed", session.run_id)
            self.failed.emit(describe_error(exc, "running"))
        finally:
            self.session = None
            if writer is not None:
                try:
                    await loop.run_in_executor(None, writer.close)
                except Exception as exc:
                    self._warn_storage(exc)
        if result is not None and writer is not None:   # a file-backed document: kept for fork, ask, re-execution
            from .file_backed_runs import keep_document

            try:
                await loop.run_in_executor(None, keep_document, store, result.run_id, session.context)
            except Exception as exc:
                self._warn_storage(exc)
        if result is not None:
            self.finished.emit(result)
        return result


async def test_connection(spec: str, model_settings: Any = None) -> tuple[bool, str]:
    """Send one tiny request; (ok, message for the user)."""
    import time

    spec = (spec or "").strip()
    if not spec:
        return False, "Choose a model first."
    loop = asyncio.get_running_loop()
    try:
        from rlm_studio.models.registry import resolve_model

        if needs_litellm(spec):
            await preload_litellm()
        client = await loop.run_in_executor(None, resolve_model, spec, model_settings)
        started = time.perf_counter()
        response = await client.complete([{"role": "user", "content": "Reply with the word OK."}], timeout=60)
    except Exception as exc:
        return False, describe_error(exc, f"testing {spec}")
    seconds = time.perf_counter() - started
    reply = (response.content or "").strip().replace("\n", " ")[:60]
    return True, f"{spec} answered in {seconds:.1f} s: “{reply}”"
