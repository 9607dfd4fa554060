"""Writes batches of events and keeps the rows derived from them (runs, nodes, search) up to date.

Shared by the live writer and by the importers, so a run reads the same however it got in.
The caller owns the transaction; foreign keys are checked at its commit.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    Event,
    FinalAnswer,
    ModelCallFinished,
    Notice,
    RunFinished,
    RunStarted,
    SubcallFinished,
)
from rlm_studio.engine.gc_paused import gc_paused
from rlm_studio.engine.run_tree import NodeRecord, RunTree, Totals, fold_event, subtree_totals

from .blobs import BlobCollector, store_blobs
from .event_chunks import CHUNKED_KINDS, store_chunks
from .event_codec import event_row, read_events
from .json_text import encode_json
from .node_chunks import CHUNKED_NODE_KIND, store_node_chunks
from .text_safety import event_row_storable, storable_event

SEARCH_MAX_CHARS = 100_000      # a longer text is searchable by its first 100,000 characters

NODE_COLUMNS = ("run_id", "id", "parent_id", "kind", "depth", "order", "label", "summary", "model",
                "status", "error", "iteration", "started_ts", "ended_ts", "duration_ms", "input_tokens",
                "output_tokens", "cached_tokens", "reasoning_tokens", "tokens_estimated", "cost_usd",
                "start_seq", "end_seq", "extra")
_QUOTED_NODE_COLUMNS = ", ".join('"' + c + '"' for c in NODE_COLUMNS)
_NODE_SQL = (f"INSERT OR REPLACE INTO node_rows ({_QUOTED_NODE_COLUMNS}) "
             f"VALUES ({', '.join('?' * len(NODE_COLUMNS))})")


_RUN_EFFECT_TYPES = (RunStarted, Notice, RunFinished)   # the events that change a runs row
_SEARCHED_TYPES = (RunStarted, FinalAnswer, RunFinished, CellStarted, CellFinished, SubcallFinished,
                   ModelCallFinished)   # the events with a text for the search index
_STEPS: dict[type, tuple[bool, bool]] = {}   # event class -> (changes its runs row, has searched text)


def _steps(cls: type) -> tuple[bool, bool]:
    """Which of the per-event steps apply to events of this class (worked out once per class)."""
    steps = _STEPS.get(cls)
    if steps is None:
        steps = _STEPS[cls] = (issubclass(cls, _RUN_EFFECT_TYPES), issubclass(cls, _SEARCHED_TYPES))
    return steps


@dataclass
class RunState:
    """What the writer remembers of a run between batches: its node records and a few run-level facts.

    Only the records: the run's totals are counted from them once, when it finishes (`subtree_totals`, the
    figures `RunTree.from_nodes` and folding event by event give; the fold property test holds them to
    that). Keeping a run tree up to date on every event was half the writer's work.
    """

    nodes: dict[str, NodeRecord] = field(default_factory=dict)
    root_node_id: str | None = None
    warnings: list[str] = field(default_factory=list)
    indexed_answers: set[int] = field(default_factory=set)   # final answers already in the search index
    dirty: dict[str, None] = field(default_factory=dict)   # changed in this batch, in the order first changed
    subcall_rows: set[str] = field(default_factory=set)   # sub-calls with a `nodes` row (stored while running)


_node_values = attrgetter(*NODE_COLUMNS[1:-1])   # a node's fields in column order, but run_id and extra


def node_row(run_id: str, node: NodeRecord) -> tuple[Any, ...]:
    """A `nodes` row (tokens_estimated is a bool, which SQLite stores as the integer 0 or 1)."""
    return (run_id, *_node_values(node), encode_json(node.extra) if node.extra else "{}")


def run_totals(tree: RunTree, root_id: str | None) -> Totals:
    """The run's totals: the run tree's one totals function over the root run's subtree."""
    return tree.totals(root_id) if root_id in tree else Totals()


def update_run_totals(conn: sqlite3.Connection, run_id: str, totals: Totals) -> None:
    """The runs table's count columns (kept for filtering and sorting) and the whole totals, from one Totals."""
    conn.execute(
        """UPDATE runs SET iterations = ?, subcalls = ?, input_tokens = ?, output_tokens = ?, cost_usd = ?,
               cost_unknown = ?, max_depth_reached = ?, totals = ? WHERE id = ?""",
        (totals.iterations, totals.subcalls, totals.input_tokens, totals.output_tokens, totals.known_cost_usd,
         int(totals.cost_unknown), totals.max_depth, encode_json(totals.to_dict()), run_id))


class Ingest:
    """Per-connection memory of the runs being written; `write(conn, events)` stores one batch."""

    def __init__(self, writer_pid: int | None = None, writer_host: str | None = None):
        self.runs: dict[str, RunState] = {}
        self.writer_pid = writer_pid
        self.writer_host = writer_host

    def _state(self, conn: sqlite3.Connection, run_id: str, ts: float) -> RunState:
        state = self.runs.get(run_id)
        if state is not None:
            return state
        state = self.runs[run_id] = RunState()
        row = conn.execute("SELECT root_node_id, warnings FROM runs WHERE id = ?", (run_id,)).fetchone()
        if row is None:
            # events of a run whose run_started we never saw: keep them, under a placeholder row
            conn.execute("INSERT INTO runs(id, created_at, writer_pid, writer_host, heartbeat_at) "
                         "VALUES (?, ?, ?, ?, ?)", (run_id, ts, self.writer_pid, self.writer_host, ts))
        else:
            state.root_node_id = row[0]
            state.warnings = json.loads(row[1] or "[]")
            state.subcall_rows.update(r[0] for r in conn.execute(
                "SELECT id FROM node_rows WHERE run_id = ? AND kind = ?", (run_id, CHUNKED_NODE_KIND)))
            nodes = state.nodes
            for event in read_events(conn, run_id):
                fold_event(nodes, event)
        return state

    def write(self, conn: sqlite3.Connection, events: Iterable[Event], now: float) -> None:
        """Store one batch; the cyclic GC is paused meanwhile (the runs' trees held here grow to every
        node of a large run, and each automatic collection would walk them all)."""
        with gc_paused():
            self._write(conn, events, now)

    def _write(self, conn: sqlite3.Connection, events: Iterable[Event], now: float) -> None:
        conn.execute("PRAGMA defer_foreign_keys = ON")
        collectors: dict[str, BlobCollector] = {}
        event_rows: list[tuple[Any, ...]] = []
        chunked: dict[str, list[tuple[Any, ...]]] = {}   # run id -> its sub-call events' rows (event_chunks.py)
        chunk_rows: list[tuple[Any, ...]] = []
        search_rows: list[tuple[str, str, str, str]] = []
        touched: list[str] = []
        run_id: str | None = None   # the previous event's run (usually the same), its state and blobs
        state, collector = RunState(), BlobCollector()
        for event in events:
            if event.ephemeral:
                continue
            if not event.run_id.isascii():
                event = storable_event(event)
            if event.run_id != run_id:
                run_id = event.run_id
                state = self._state(conn, run_id, event.ts)
                found = collectors.get(run_id)
                if found is None:
                    found = collectors[run_id] = BlobCollector()
                    touched.append(run_id)
                collector = found
                chunk_rows = chunked.setdefault(run_id, [])
            row = event_row(event, collector)
            if collector.unstorable or not event_row_storable(row):   # (the run id was checked above)
                # a lone surrogate would make SQLite refuse the whole batch: the event is stored with escapes
                event = storable_event(event)
                collector.unstorable = False
                row = event_row(event, collector)
            if event.kind in CHUNKED_KINDS:
                chunk_rows.append(row)
            else:
                event_rows.append(row)
            changed = fold_event(state.nodes, event)
            if changed is not None:
                state.dirty[changed.id] = None
            effects, searched = _STEPS.get(type(event)) or _steps(type(event))
            if effects:
                self._run_effects(conn, state, event)
            if searched:
                self._search_rows(state, event, search_rows)
        conn.executemany("INSERT INTO events(run_id, seq, kind, v, ts, node_id, parent_id, payload) "
                         "VALUES (?, ?, ?, ?, ?, ?, ?, ?)", event_rows)
        for run_id in touched:
            state = self.runs[run_id]
            self._store_nodes(conn, run_id, state)
            store_chunks(conn, run_id, chunked[run_id])
            store_blobs(conn, run_id, collectors[run_id])
            if self.writer_pid is not None:
                conn.execute("UPDATE runs SET heartbeat_at = ?, writer_pid = ?, writer_host = ? WHERE id = ?",
                             (now, self.writer_pid, self.writer_host, run_id))
        if search_rows:
            conn.executemany("INSERT INTO search_index(text, run_id, node_id, field) VALUES (?, ?, ?, ?)",
                             search_rows)

    @staticmethod
    def _store_nodes(conn: sqlite3.Connection, run_id: str, state: RunState) -> None:
        """The batch's new and changed nodes: finished sub-calls into chunks (a `nodes` row one had while it
        ran deleted), the others as `nodes` rows."""
        nodes, rows, finished = state.nodes, [], []
        for node_id in state.dirty:
            record = nodes[node_id]
            if record.kind != CHUNKED_NODE_KIND:
                rows.append(node_row(run_id, record))
            elif record.end_seq is not None:
                finished.append(record)
            else:
                rows.append(node_row(run_id, record))
                state.subcall_rows.add(node_id)
        state.dirty.clear()
        conn.executemany(_NODE_SQL, rows)
        if state.subcall_rows:
            moved = [(run_id, r.id) for r in finished if r.id in state.subcall_rows]
            conn.executemany("DELETE FROM node_rows WHERE run_id = ? AND id = ?", moved)
            state.subcall_rows.difference_update(node_id for _, node_id in moved)
        store_node_chunks(conn, run_id, finished)

    def _run_effects(self, conn: sqlite3.Connection, state: RunState, event: Event) -> None:
        if isinstance(event, RunStarted) and event.depth == 0 and event.parent_id is None:
            state.root_node_id = event.node_id
            state.warnings = list(event.warnings)
            forked = dict(event.forked_from or {})
            if forked.get("run_id") and conn.execute("SELECT 1 FROM runs WHERE id = ?",
                                                     (forked["run_id"],)).fetchone() is None:
                forked = {}  # forked from a run this database does not have (e.g. an imported file)
            conn.execute(
                """INSERT INTO runs(id, question, status, created_at, root_model, sub_model, settings, isolation,
                       warnings, parent_run_id, fork_node_id, system_prompt, root_node_id, app_version,
                       writer_pid, writer_host, heartbeat_at)
                   VALUES (?, ?, 'running', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                   ON CONFLICT(id) DO UPDATE SET question = excluded.question, status = 'running',
                       created_at = excluded.created_at, root_model = excluded.root_model,
                       sub_model = excluded.sub_model, settings = excluded.settings,
                       isolation = excluded.isolation, warnings = excluded.warnings,
                       parent_run_id = excluded.parent_run_id, fork_node_id = excluded.fork_node_id,
                       system_prompt = excluded.system_prompt, root_node_id = excluded.root_node_id,
                       app_version = excluded.app_version""",
                (event.run_id, event.question, event.ts, event.root_model, event.sub_model,
                 json.dumps(event.settings, ensure_ascii=False, default=str), event.isolation,
                 json.dumps(state.warnings, ensure_ascii=False), forked.get("run_id"), forked.get("node_id"),
                 event.system_prompt, event.node_id, event.app_version, self.writer_pid, self.writer_host,
                 event.ts))
        elif isinstance(event, Notice) and event.level in ("warning", "error") and event.message:
            state.warnings.append(event.message)
            conn.execute("UPDATE runs SET warnings = ? WHERE id = ?",
                         (json.dumps(state.warnings, ensure_ascii=False), event.run_id))
        elif isinstance(event, RunFinished) and event.node_id == state.root_node_id:
            root_id = state.root_node_id
            totals = subtree_totals(state.nodes.values(), root_id) if root_id in state.nodes else Totals()
            given = event.totals or {}
            root = state.nodes.get(event.node_id)
            duration = given.get("duration_ms")
            if duration is None and root is not None:
                duration = root.duration_ms
            if given.get("isolation"):   # known only once the sandbox started, after run_started
                conn.execute("UPDATE runs SET isolation = ? WHERE id = ?", (str(given["isolation"]), event.run_id))
            conn.execute("UPDATE runs SET status = ?, answer = ?, ended_at = ?, duration_ms = ? WHERE id = ?",
                         (event.status, event.answer, event.ts, duration, event.run_id))
            update_run_totals(conn, event.run_id, totals)

    @staticmethod
    def _search_rows(state: RunState, event: Event, rows: list[tuple[str, str, str, str]]) -> None:
        """The texts people search for: question, answers, code, output, responses (not prompts: see
        migration_search)."""
        found: tuple[str | None, str]
        if isinstance(event, SubcallFinished | ModelCallFinished):
            found = (event.response, "response")
        elif isinstance(event, CellStarted):
            found = (event.code, "code")
        elif isinstance(event, CellFinished):
            found = ("\n".join(t for t in (event.stdout, event.stderr) if t), "output")
        elif isinstance(event, RunStarted):
            found = (event.question, "question")
        elif isinstance(event, FinalAnswer):
            found = (event.answer, "answer")
            state.indexed_answers.add(hash(event.answer))
        elif isinstance(event, RunFinished) and event.node_id == state.root_node_id \
                and hash(event.answer) not in state.indexed_answers:
            found = (event.answer, "answer")   # runs stored before answers needed FINAL kept a partial one
        else:
            return
        text, field_name = found
        if text and not text.isspace():
            rows.append((text[:SEARCH_MAX_CHARS], event.run_id, event.node_id, field_name))
