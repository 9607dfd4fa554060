"""Recording a run through the writer, reading it back, and deleting it."""

from __future__ import annotations

import json
import threading

from rlm_studio.engine.emitter import EventEmitter
from rlm_studio.engine.events import RunStarted, new_run_id
from rlm_studio.engine.run_tree import fold_nodes
from tests.support.files import counts
from tests.support.sample_runs import SYSTEM_PROMPT, sample_run


def record(store, events):
    with store.writer() as writer:
        for event in events:
            writer.append(event)


def test_a_recorded_run_reloads_identically_with_its_tree_and_figures(store):
    events = sample_run()
    run_id = events[0].run_id
    record(store, events)
    stored = [e for e in events if not e.ephemeral]
    assert len(stored) == len(events) - 1            # the streamed delta is not kept
    assert store.load_events(run_id) == stored

    nodes = store.load_nodes(run_id)
    expected = sorted(fold_nodes(stored).values(), key=lambda n: n.order)
    assert [n["id"] for n in nodes] == [n.id for n in expected]
    for got, want in zip(nodes, expected):
        want = want.to_dict()
        assert {k: got[k] for k in want} == want
    child = next(n for n in nodes if n["kind"] == "run" and n["depth"] == 1)
    assert child["parent_id"] == "n9" and child["status"] == "completed"

    run = store.get_run(run_id)
    assert run["status"] == "completed" and run["answer"] == "aurora borealis"
    assert run["question"] == "Which project does the report mention?"
    assert (run["iterations"], run["subcalls"], run["child_runs"], run["max_depth_reached"]) == (2, 2, 1, 1)
    assert run["input_tokens"] == 320 + 250 + 250 + 720 + 210
    assert run["output_tokens"] == 60 + 12 + 12 + 80 + 9
    assert abs(run["cost_usd"] - (0.0012 + 0.0001 + 0.002 + 0.00005)) < 1e-12
    assert run["cost_unknown"] is True                # one sub-call had no price
    assert run["settings"] == {"max_iterations": 10, "max_depth": 2}
    assert run["warnings"] == ["sandbox: bubblewrap missing, using a plain process", "a cell raised an error"]
    assert run["system_prompt"] == SYSTEM_PROMPT and run["root_node_id"] == "n1"


def test_big_texts_live_in_blobs_once_and_messages_are_not_repeated(store):
    events = sample_run()
    record(store, events)
    payloads = [json.loads(r[0]) for r in store._conn.execute("SELECT payload FROM events WHERE kind = ?",
                                                              ("model_call_started",))]
    # the system prompt is sent with every root call but stored once
    refs = [m.get("$content") for p in payloads for m in p["messages"] if m["role"] == "system"]
    assert len(refs) == 3 and len(set(refs)) == 1
    assert store.get_blob(refs[0]) == SYSTEM_PROMPT
    assert SYSTEM_PROMPT not in "".join(r[0] for r in store._conn.execute("SELECT payload FROM events"))
    # the document is compressed
    size, compressed = store._conn.execute(
        "SELECT size, compressed FROM blobs ORDER BY size DESC LIMIT 1").fetchone()
    assert compressed == 1 and size > 2000


def test_a_document_shared_by_runs_is_stored_once_and_deleting_keeps_what_others_use(store):
    document = "".join(f"line {i}: an unremarkable sentence number {i * 7919 % 10007}.\n" for i in range(20000))
    first, second = sample_run(document=document), sample_run(document=document)
    record(store, first)
    record(store, second)
    doc_rows = store._conn.execute("SELECT count(*) FROM blobs WHERE size = ?",
                                   (len(document.encode()),)).fetchone()[0]
    assert doc_rows == 1
    before = counts(store)
    store.delete_run(first[0].run_id)
    after = counts(store)
    assert after["runs"] == 1 and after["events"] == before["events"] // 2
    assert store.load_events(second[0].run_id) == [e for e in second if not e.ephemeral]   # blobs still there
    store.delete_run(second[0].run_id)
    assert counts(store) == {k: 0 for k in before}


def test_the_writer_is_an_emitter_sink_fed_from_many_threads_and_close_is_idempotent(store):
    run_id = new_run_id()
    emitter = EventEmitter(run_id)
    writer = store.writer()
    emitter.add_sink(writer.append)
    emitter.emit(RunStarted(node_id=emitter.new_node_id(), question="threads"))
    from rlm_studio.engine.events import Notice

    def produce():
        for i in range(500):
            emitter.emit(Notice(node_id="n1", level="info", code="tick", message=str(i)))

    threads = [threading.Thread(target=produce) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    writer.flush()
    assert store._conn.execute("SELECT count(*) FROM events WHERE run_id = ?", (run_id,)).fetchone()[0] == 2001
    writer.close()
    writer.close()
    seqs = [e.seq for e in store.load_events(run_id)]
    assert sorted(seqs) == list(range(1, 2002))


def test_runs_tags_names_and_notes(store):
    a, b = sample_run(), sample_run()
    record(store, a)
    record(store, b)
    store.rename_run(a[0].run_id, "  first try ")
    store.set_note(a[0].run_id, "looked fine")
    store.add_tag(a[0].run_id, "good")
    store.add_tag(a[0].run_id, "good")
    store.add_tag(b[0].run_id, "later")
    run = store.get_run(a[0].run_id)
    assert (run["name"], run["note"], run["tags"]) == ("first try", "looked fine", ["good"])
    assert store.tags() == ["good", "later"]
    store.remove_tag(a[0].run_id, "good")
    assert store.tags(a[0].run_id) == []
