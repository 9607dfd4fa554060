"""Typed, versioned events: the one stream every consumer of a run reads."""

from .answer import FinalAnswer
from .base import SCHEMA_VERSION, Event, EventFormatError, event_from_dict, event_kinds, new_run_id
from .cell import CellFinished, CellStarted
from .iteration import IterationFinished, IterationStarted
from .model_call import ModelCallDelta, ModelCallFinished, ModelCallStarted
from .notice import HistoryCompacted, Notice
from .run import LIMIT_NAMES, RUN_STATUSES, ContextAttached, RunFinished, RunStarted
from .subcall import SubcallFinished, SubcallStarted

# Which tree node kind each *_started event opens (the node is closed by the matching *_finished).
NODE_KINDS = {
    "run_started": "run",          # depth > 0: a child run
    "iteration_started": "iteration",
    "model_call_started": "model_call",
    "cell_started": "cell",
    "subcall_started": "subcall",
    "final_answer": "final_answer",
}

__all__ = [
    "SCHEMA_VERSION", "Event", "EventFormatError", "event_from_dict", "event_kinds", "new_run_id",
    "LIMIT_NAMES", "RUN_STATUSES", "RunStarted", "ContextAttached", "RunFinished",
    "IterationStarted", "IterationFinished", "ModelCallStarted", "ModelCallDelta", "ModelCallFinished",
    "CellStarted", "CellFinished", "SubcallStarted", "SubcallFinished", "FinalAnswer",
    "HistoryCompacted", "Notice", "NODE_KINDS",
]
