"""The run tree (public entry for analysis and the app): the engine's one fold and totals, re-exported."""

from rlm_studio.engine.run_tree import NodeRecord, RunTree, TreeChange

__all__ = ["NodeRecord", "RunTree", "TreeChange"]
