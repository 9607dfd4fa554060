"""Pure analyses of a run's events (no I/O, no Qt): tree and totals, replay, diff, failure modes,
chart series. Each module takes typed events or their stored dicts."""
