"""A process that records a run that never ends (the killed-writer test SIGKILLs it).

Usage (from the checkout's root): python -m tests.storage.write_forever DB_PATH -> prints "flushed RUN_ID COUNT" after each flushed batch.
"""

from __future__ import annotations

import sys
import time

from rlm_studio.engine.events import (
    CellFinished,
    CellStarted,
    IterationStarted,
    RunStarted,
    SubcallFinished,
    SubcallStarted,
)
from rlm_studio.storage import Store
from tests.support.sample_runs import Stamp, usage


def main(db_path: str) -> None:
    store = Store.open(db_path)
    writer = store.writer()
    s = Stamp(t0=time.time())
    root = s.node_id()
    writer.append(s(RunStarted(node_id=root, question="a run that is killed", root_model="m")))
    index = 0
    while True:
        index += 1
        it = s.node_id()
        writer.append(s(IterationStarted(node_id=it, parent_id=root, index=index), dt=0.001))
        cell = s.node_id()
        writer.append(s(CellStarted(node_id=cell, parent_id=it, index=1, code=f"step {index}"), dt=0.001))
        for _ in range(20):
            sub = s.node_id()
            writer.append(s(SubcallStarted(node_id=sub, parent_id=cell, prompt="p" * 300), dt=0.001))
            writer.append(s(SubcallFinished(node_id=sub, parent_id=cell, response="r", usage=usage(10, 2),
                                            cost_usd=0.001), dt=0.001))
        writer.append(s(CellFinished(node_id=cell, parent_id=it, stdout="ok"), dt=0.001))
        # the iteration stays open; the next one starts without closing it (a run cut anywhere)
        writer.flush()
        print(f"flushed {s.run_id} {s.seq}", flush=True)
        time.sleep(0.05)


if __name__ == "__main__":
    main(sys.argv[1])
