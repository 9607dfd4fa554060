"""Subtree totals (public entry for analysis and the app): the engine's one totals, re-exported."""

from rlm_studio.engine.run_tree import ERROR_STATUSES, Totals

__all__ = ["ERROR_STATUSES", "Totals"]
