"""Typed, versioned events: the one stream every consumer of a run reads."""

from .answer import FinalAnswer
from .base import SCHEMA_VERSION, Event, EventFormatError, event_from_dict, new_run_id
from .cell import CellFinished, CellStarted
from .iteration import IterationFinished, IterationStarted
from .model_call import ModelCallDelta, ModelCallFinished, ModelCallStarted
from .notice import HistoryCompacted, Notice
from .payloads import (
    ErrorInfo,
    FinalInfo,
    FinalSource,
    FinalVia,
    NodeKind,
    NodeStatus,
    NoticeLevel,
    RunStatus,
    SubcallVia,
    Usage,
    Variable,
)
from .run import LIMIT_NAMES, RUN_STATUSES, ContextAttached, RunFinished, RunStarted
from .subcall import SubcallFinished, SubcallStarted

__all__ = [
    "SCHEMA_VERSION", "Event", "EventFormatError", "event_from_dict", "new_run_id",
    "LIMIT_NAMES", "RUN_STATUSES", "RunStarted", "ContextAttached", "RunFinished",
    "IterationStarted", "IterationFinished", "ModelCallStarted", "ModelCallDelta", "ModelCallFinished",
    "CellStarted", "CellFinished", "SubcallStarted", "SubcallFinished", "FinalAnswer",
    "HistoryCompacted", "Notice", "Usage", "ErrorInfo", "FinalInfo", "Variable", "RunStatus", "NodeKind",
    "NodeStatus", "FinalVia", "FinalSource", "SubcallVia", "NoticeLevel",
]
