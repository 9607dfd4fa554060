"""One pure function per failure mode: (RunFacts, Thresholds) -> list[Finding]."""

from .answer_discarded import detect_answer_discarded
from .base import KINDS, Finding, RunFacts, Thresholds
from .context_pressure import detect_context_pressure
from .final_confusion import detect_final_confusion
from .iteration_limit import detect_iteration_limit
from .no_code import detect_no_code
from .over_subcalling import detect_over_subcalling
from .repeated_errors import detect_repeated_errors

DETECTORS = {
    "over_subcalling": detect_over_subcalling,
    "final_confusion": detect_final_confusion,
    "answer_discarded": detect_answer_discarded,
    "context_pressure": detect_context_pressure,
    "repeated_errors": detect_repeated_errors,
    "iteration_limit": detect_iteration_limit,
    "no_code": detect_no_code,
}

__all__ = ["DETECTORS", "KINDS", "Finding", "RunFacts", "Thresholds"]
