"""Resource limits for one sandbox worker."""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass
class SandboxLimits:
    memory_mb: int = 4096          # RLIMIT_AS: a larger allocation fails with MemoryError inside the worker only
    cpu_seconds: int = 3600        # RLIMIT_CPU for the worker's whole life
    max_processes: int = 64        # RLIMIT_NPROC (processes and threads), against fork bombs
    file_size_mb: int = 1024       # RLIMIT_FSIZE
    cell_timeout_s: float = 120.0  # default per-cell wall-clock limit
    max_output_chars: int = 1_000_000  # captured per stream per cell; the total is still counted
    tmp_size_mb: int = 256         # the sandbox's /tmp (RAM, outside RLIMIT_AS): a worker holds memory_mb + this at most

    def validated(self) -> SandboxLimits:
        for name, value in asdict(self).items():
            if not isinstance(value, (int, float)) or value <= 0:
                raise ValueError(f"sandbox limit {name} must be a positive number, got {value!r}")
        if self.memory_mb < 64:
            raise ValueError(f"sandbox memory_mb must be at least 64 (Python itself needs that), got {self.memory_mb}")
        if self.max_processes < 4:
            raise ValueError(f"sandbox max_processes must be at least 4 (the worker uses a few), got {self.max_processes}")
        return self

    def for_worker(self) -> dict[str, int]:
        return {"memory_mb": int(self.memory_mb), "cpu_seconds": int(self.cpu_seconds),
                "max_processes": int(self.max_processes), "file_size_mb": int(self.file_size_mb),
                "max_output_chars": int(self.max_output_chars)}
