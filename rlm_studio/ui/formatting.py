"""How figures look in the app: token counts, dollars, durations, statuses."""

from __future__ import annotations

STATUS_WORDS = {
    "running": "running", "ok": "ok", "error": "error", "timeout": "timed out", "interrupted": "interrupted",
    "crashed": "crashed", "completed": "completed", "limit_hit": "limit reached", "failed": "failed",
    "cancelled": "stopped", "interrupted_run": "interrupted", "damaged": "damaged (events lost)",
}
STATUS_COLOURS = {
    "running": "#1565c0", "ok": "#2e7d32", "completed": "#2e7d32", "error": "#c62828", "failed": "#c62828",
    "crashed": "#c62828", "timeout": "#ef6c00", "limit_hit": "#ef6c00", "cancelled": "#6d4c41",
    "interrupted": "#6d4c41", "damaged": "#c62828",
}


def tokens(value: int | float | None) -> str:
    if not value:
        return "0"
    return f"{int(value):,}"


def dollars(value: float | None, unknown_note: str = "?") -> str:
    """Dollars with enough digits for small costs; None means the price is unknown."""
    if value is None:
        return unknown_note
    if value == 0:
        return "$0"
    if value < 0.01:
        return f"${value:.5f}"
    return f"${value:,.4f}" if value < 10 else f"${value:,.2f}"


def duration_ms(value: float | None) -> str:
    if value is None:
        return ""
    if value < 1000:
        return f"{value:.0f} ms"
    seconds = value / 1000.0
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, seconds = divmod(int(seconds), 60)
    return f"{minutes} min {seconds:02d} s"


def status(value: str | None) -> str:
    return STATUS_WORDS.get(value or "", value or "")


def chars(value: int) -> str:
    if value >= 1_000_000:
        return f"{value / 1_000_000:.1f}M"
    if value >= 10_000:
        return f"{value / 1000:.0f}k"
    return f"{value:,}"
