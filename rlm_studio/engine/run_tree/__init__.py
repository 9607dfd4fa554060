"""One model of a run: the fold from events to typed nodes, the run tree over it, and its one set of totals."""

from .fold import apply_event, first_line, fold_event, fold_nodes
from .node import NodeRecord
from .node_events import NodeEvents
from .totals import ERROR_STATUSES, FIELDS, Totals, contribution, cost_is_unknown
from .tree import RunTree, TreeChange, as_event, subtree_totals

__all__ = ["ERROR_STATUSES", "FIELDS", "NodeEvents", "NodeRecord", "RunTree", "Totals", "TreeChange", "apply_event", "as_event",
           "contribution", "cost_is_unknown", "first_line", "fold_event", "fold_nodes", "subtree_totals"]
