"""Running a follow-up question from the app: the next turn of the open run's conversation."""

from __future__ import annotations

from typing import Any

from .user_errors import describe_error


async def ask_follow_up(window: Any, question: str) -> Any | None:
    """Plan and run the next turn after the open run, live in the run view; its RunResult, or None."""
    from rlm_studio.engine.follow_up import FollowUpError, plan_follow_up
    from rlm_studio.storage.conversations import turn_events

    if window.controller.running:
        window.statusBar().showMessage("A run is going: wait for it or stop it before asking a follow-up.", 8000)
        return None
    run_id = window.current_run_id
    if run_id is None:
        return None
    try:
        chain = turn_events(window.store, run_id) if window.store is not None else [list(window.run_model.events)]
        files = window.run_view.follow_up.take_files()
        context = None
        if files:
            import asyncio

            from rlm_studio.engine.follow_up import with_more_documents
            from rlm_studio.engine.recorded import recorded_context

            more = await asyncio.get_running_loop().run_in_executor(None, _read_documents, files)
            context = with_more_documents(recorded_context(chain[-1]), more)
        plan = plan_follow_up(chain, context=context)
    except (FollowUpError, Exception) as exc:  # a missing turn, an unreadable run
        window.statusBar().showMessage(describe_error(exc, "preparing the follow-up"), 20000)
        return None
    kwargs = plan.settings.to_dict()
    window.run_view.follow_up.question.clear()
    result = await window._run_live(lambda: window.controller.follow_up(
        plan, question, kwargs, model_settings=window.model_settings(), store=window.store,
        on_event=window.run_view.add_live_event))
    if result is not None:
        show_box_for(window, result.run_id)   # now linked: the box says which turn this is
    return result


def _read_documents(paths: list[Any]) -> dict[str, str]:
    """The chosen files as name -> text (documents.load_document: text, PDF, DOCX, ...)."""
    from rlm_studio.documents import load_document
    from rlm_studio.documents.context import unique_names

    documents = [load_document(path) for path in paths]
    return {name: doc.text for name, doc in zip(unique_names(documents), documents)}


def show_box_for(window: Any, run_id: str | None) -> None:
    """Show the follow-up box under a run that has ended (not while a run is going), with its turn."""
    turn = None
    if run_id is not None and window.store is not None:
        from rlm_studio.storage.conversations import turn_of

        try:
            found = turn_of(window.store, run_id)
        except Exception:  # an older database without the table: no turn label
            found = None
        turn = found["turn"] if found else None
    window.run_view.follow_up.show_for(run_id is not None and not window.controller.running, turn)


def wire(window: Any) -> None:
    """Connect the run view's follow-up box to the window: ask, and show it when a run has ended."""
    from qasync import asyncSlot

    @asyncSlot(str)  # type: ignore[untyped-decorator]  # qasync ships no type hints
    async def ask(question: str) -> None:
        await ask_follow_up(window, question)

    window.ask_follow_up_slot = ask   # kept: the connection alone does not hold the slot
    window.run_view.follow_up.ask_requested.connect(ask)
    window.controller.started.connect(lambda _run_id: window.run_view.follow_up.show_for(False))
    window.controller.finished.connect(lambda result: show_box_for(window, result.run_id))
