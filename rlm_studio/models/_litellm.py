"""The one place litellm is imported: offline price table, no debug prints, no retries of its own."""

from __future__ import annotations

import os

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

import litellm  # noqa: E402  (deliberately after the environment is set; ~4 s, so import this module lazily)

litellm.suppress_debug_info = True
litellm.num_retries = 0
litellm.telemetry = False

__all__ = ["litellm"]
