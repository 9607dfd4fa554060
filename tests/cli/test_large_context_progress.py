"""The CLI's progress lines for streaming a large document in and keeping it in the database: one printer."""

from rlm_studio.cli.large_context import _percent_printer


def test_a_line_each_step_with_the_total_in_mb(capsys):
    progress = _percent_printer("keeping the {mb} MB document in the database", 25, quiet=False)
    for done in range(0, 3_000_000_001, 250_000_000):
        progress(done, 3_000_000_000)
    lines = capsys.readouterr().err.splitlines()
    assert lines == [f"keeping the 3,000 MB document in the database: {p}%" for p in (0, 25, 50, 75, 100)]


def test_quiet_prints_nothing(capsys):
    progress = _percent_printer("loading {mb} MB", 10, quiet=True)
    progress(0, 10)
    progress(10, 10)
    assert capsys.readouterr().err == ""
