"""Fuzz: any text (lone surrogates, NULs, every plane, huge strings) in questions, answers, code, output,
prompts, responses, document names and contents is stored by the real writer thread, read back, searched,
exported in both formats and imported back; only lone surrogates change, into their visible escapes."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    ContextAttached,
    Event,
    FinalAnswer,
    IterationFinished,
    IterationStarted,
    ModelCallFinished,
    ModelCallStarted,
    RunFinished,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from rlm_studio.storage import StorageError, Store
from rlm_studio.storage.text_safety import storable_value
from tests.support.sample_runs import Stamp, usage

MARKER = "zqxjmarker"     # a word the search must find however odd the text around it

# every code point, surrogates included (hypothesis leaves them out unless told), NUL more often than chance
any_char = st.characters(blacklist_categories=()) | st.sampled_from(["\x00", "\ud800", "\udcff", "\U0010ffff"])
short_text = st.text(any_char, max_size=80)
long_text = st.text(any_char, min_size=150, max_size=2000)          # past the inline limit: stored as a blob
huge_text = st.builds(lambda piece, n: piece * n, st.text(any_char, min_size=1, max_size=8), st.integers(1, 200_000))
some_text = st.one_of(short_text, long_text, huge_text)


def build_run(t: dict[str, Any]) -> list[Event]:
    s = Stamp()
    root, it, mc, cell, sub = (s.node_id() for _ in range(5))
    s(RunStarted(node_id=root, question=MARKER + " " + t["question"], root_model="m", sub_model="m",
                 system_prompt=t["system"], documents=[{"index": 0, "name": t["doc_name"], "chars": 1}],
                 settings={"note": t["short"]}, warnings=[t["short"]]))
    s(ContextAttached(node_id=root, index=0, name=t["doc_name"], text=t["doc_text"], chars=len(t["doc_text"])))
    s(IterationStarted(node_id=it, parent_id=root, index=1))
    s(ModelCallStarted(node_id=mc, parent_id=it, model="m", iteration=1,
                       messages=[{"role": "system", "content": t["system"]}, {"role": "user", "content": t["prompt"]},
                                 {"role": "user", "content": t["short"]}]))
    s(ModelCallFinished(node_id=mc, parent_id=it, model="m", response=t["response"], usage=usage(10, 5),
                        cost_usd=0.001))
    s(CellStarted(node_id=cell, parent_id=it, iteration=1, index=1, code=t["code"]))
    s(SubcallStarted(node_id=sub, parent_id=cell, model="m", prompt=t["prompt"]))
    s(SubcallFinished(node_id=sub, parent_id=cell, model="m", response=t["short"], usage=usage(3, 2), cost_usd=None))
    s(CellFinished(node_id=cell, parent_id=it, stdout=t["stdout"], stderr=t["short"], stdout_chars=len(t["stdout"]),
                   variables=[{"name": t["short"] or "v", "type": "str", "preview": t["short"]}],
                   error={"type": "ValueError", "message": t["short"]}))
    answer_node = s.node_id()
    s(FinalAnswer(node_id=answer_node, parent_id=root, answer=t["answer"], cell_id=cell))
    s(IterationFinished(node_id=it, parent_id=root, index=1, code_blocks=1))
    s(RunFinished(node_id=root, status="completed", answer=t["answer"],
                  best_candidate={"text": t["short"], "source": "last response"}))
    return s.events


def payload(event: Event) -> dict[str, Any]:
    data = event.to_dict()
    data.pop("run_id")
    return data


texts = st.fixed_dictionaries({name: some_text for name in ("question", "system", "doc_text", "prompt", "response",
                                                              "code", "stdout", "answer")}
                              | {"doc_name": short_text, "short": short_text})


@settings(max_examples=30, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(texts=texts, query=short_text)
def test_any_text_is_stored_read_searched_exported_and_imported(texts, query):
    events = build_run(texts)
    expected = [storable_value(payload(e)) for e in events]
    run_id = events[0].run_id
    with tempfile.TemporaryDirectory() as tmp, Store.open(Path(tmp) / "runs.db") as store:
        writer = store.writer()
        for event in events:
            writer.append(event)
        writer.close()                                  # raises if any batch failed
        run = store.get_run(run_id)
        assert run["status"] == "completed"
        assert run["answer"] == storable_value(texts["answer"])
        assert [payload(e) for e in store.load_events(run_id)] == expected

        assert run_id in {hit["run_id"] for hit in store.search(MARKER)}
        try:
            store.search(query)                         # any query: results or a clear StorageError
        except StorageError:
            assert not query.split()
        store.list_runs(text=query, tag=query, model=query)

        own, official = Path(tmp) / "own.jsonl", Path(tmp) / "official.jsonl"
        store.export_run(run_id, own)
        store.export_run(run_id, official, format="official")
        for path in (own, official):
            path.read_bytes().decode("utf-8")           # valid UTF-8 (a lone surrogate cannot be)
        [mine] = store.import_file(own)
        assert [payload(e) for e in store.load_events(mine["run_id"])] == expected
        [theirs] = store.import_file(official)
        imported = store.get_run(theirs["run_id"])
        assert imported["question"] == storable_value(MARKER + " " + texts["question"])
        assert imported["answer"] == storable_value(texts["answer"])
