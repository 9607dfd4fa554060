from pathlib import Path

import pytest

from rlm_studio.sandbox import write_context


@pytest.fixture
def context_file(tmp_path):
    """make(value) writes a context file and returns its path."""
    def make(value="hello context") -> Path:
        path = tmp_path / f"context-{len(list(tmp_path.iterdir()))}.rlmctx"
        write_context(value, path)
        return path
    return make
