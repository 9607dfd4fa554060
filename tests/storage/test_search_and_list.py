"""Full-text search and the run list's filters."""

from __future__ import annotations

import pytest

from rlm_studio.engine.events import RunFinished, RunStarted
from tests.support.sample_runs import Stamp, sample_run


def tiny_run(question: str, model: str, status: str, t0: float, answer: str = "") -> list:
    s = Stamp(t0=t0)
    s(RunStarted(node_id="n1", question=question, root_model=model, sub_model=model + "-sub"))
    s(RunFinished(node_id="n1", status=status, answer=answer or None))
    return s.events


def test_search_finds_words_in_every_kind_of_text(store):
    events = sample_run()
    store.ingest_events(events)
    run_id = events[0].run_id

    def fields(text):
        return {(h["node_id"], h["field"]) for h in store.search(text)}

    assert ("n1", "question") in fields("which project")
    assert ("n16", "answer") in fields("borealis")
    assert ("n4", "code") in fields("llm_query_batched")
    assert ("n14", "output") in fields("ZeroDivisionError")
    assert ("n5", "response") in fields("Part 0 mentions")
    assert fields("quarterly report") == set()             # only in prompts: not indexed (migration 7)
    assert ("n8", "response") in fields("FINAL_VAR")
    hit = store.search("division")[0]
    assert hit["run_id"] == run_id and "[division]" in hit["snippet"]
    assert store.search("nonexistentword") == []
    assert store.search('quote" OR ( bad') == []          # FTS syntax in user text is just words


def test_the_run_list_filters(store):
    store.ingest_events(tiny_run("How tall is Everest?", "gpt-5", "completed", 1_700_000_000, "8849 m"))
    store.ingest_events(tiny_run("Summarise the Q3 report", "claude-sonnet", "limit_hit", 1_750_000_000))
    newest = tiny_run("Count the invoices", "gpt-5-mini", "failed", 1_760_000_000)
    store.ingest_events(newest)
    store.add_tag(newest[0].run_id, "billing")

    def questions(**filters):
        return [r["question"] for r in store.list_runs(**filters)]

    assert questions() == ["Count the invoices", "Summarise the Q3 report", "How tall is Everest?"]
    assert questions(status="limit_hit") == ["Summarise the Q3 report"]
    assert questions(model="gpt-5") == ["Count the invoices", "How tall is Everest?"]
    assert questions(text="everest") == ["How tall is Everest?"]
    assert questions(text="8849") == ["How tall is Everest?"]           # found in the answer
    assert questions(tag="billing") == ["Count the invoices"]
    assert questions(since="2025-01-01") == ["Count the invoices", "Summarise the Q3 report"]
    assert questions(until=1_750_000_001) == ["Summarise the Q3 report", "How tall is Everest?"]
    assert questions(limit=1, offset=1) == ["Summarise the Q3 report"]
    assert store.list_runs(tag="billing")[0]["tags"] == ["billing"]


def test_run_ids_resolve_by_unique_prefix(store):
    a = tiny_run("a", "m", "completed", 1.0)
    b = tiny_run("b", "m", "completed", 2.0)
    a[0].run_id = a[1].run_id = "abc111"
    b[0].run_id = b[1].run_id = "abc222"
    store.ingest_events(a + b)
    assert store.resolve_run_id("abc1") == "abc111"
    assert store.get_run("abc2")["question"] == "b"
    from rlm_studio.storage import StorageError
    with pytest.raises(StorageError, match="ambiguous.*abc111, abc222"):
        store.resolve_run_id("abc")
    with pytest.raises(StorageError, match="no run with id 'zzz'"):
        store.get_run("zzz")
    with pytest.raises(StorageError, match="not a date"):
        store.list_runs(since="last tuesday")
