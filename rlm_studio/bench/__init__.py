"""`rlm-studio bench`: the paper's benchmark tasks, scorers, methods and runner (pure Python, no Qt).

Layer: above engine/storage/analysis/models, below cli/ui.
"""
