"""Entry point of the bundled llama.cpp server process: llama-cpp-python's server, with the CPU's extra
(repacked, e.g. AMX) weight buffers turned off when a LoRA adapter is loaded, and responses that say how
many prompt tokens came from the server's cache (bundled_cache_report).

llama.cpp 0.3.36 segfaults on the first request when a LoRA adapter is applied over weights in an AMX
buffer (seen on this project's build machine); plain CPU buffers work.
"""

from __future__ import annotations

import sys
from typing import Any


def _plain_cpu_buffers() -> None:
    import llama_cpp.llama as llama_module
    import llama_cpp.llama_cpp as C

    original = C.llama_model_default_params

    def params() -> object:
        p = original()
        p.use_extra_bufts = False
        return p

    C.llama_model_default_params = params
    # llama_cpp's stubs neither re-export its ctypes module from .llama nor declare this function
    llama_module.llama_cpp.llama_model_default_params = params  # type: ignore[attr-defined]


def _report_cached_tokens() -> None:
    """Responses carry usage.prompt_tokens_details.cached_tokens (see bundled_cache_report)."""
    import llama_cpp.server.__main__ as server_entry

    from rlm_studio.models import bundled_cache_report

    bundled_cache_report.patch_llama()
    create_app = server_entry.create_app  # type: ignore[attr-defined]  # it imports it from .app

    def create_app_reporting(*args: Any, **kwargs: Any) -> Any:
        app = create_app(*args, **kwargs)
        bundled_cache_report.add_middleware(app)
        return app

    server_entry.create_app = create_app_reporting  # type: ignore[attr-defined]


def main() -> None:
    if "--lora_path" in sys.argv:
        _plain_cpu_buffers()
    _report_cached_tokens()
    from rlm_studio.models.bundled_prompt_cache import patch_saved_states

    patch_saved_states()
    from llama_cpp.server.__main__ import main as server_main

    server_main()  # type: ignore[no-untyped-call]  # llama_cpp.server's main() has no annotations


if __name__ == "__main__":
    main()
