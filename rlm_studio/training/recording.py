"""A ModelClient wrapper that records every (messages, response) pair: the raw material of SFT samples."""

from __future__ import annotations

from dataclasses import dataclass, field

from rlm_studio.models.types import Message, ModelClient, ModelResponse, StreamCallback


@dataclass
class Recorded:
    role: str                 # "root" | "sub"
    messages: list[Message]
    response: str


@dataclass
class RecordingModel:
    """Passes calls to `inner` and keeps a copy of each exchange in `records`."""

    inner: ModelClient
    role: str = "root"
    records: list[Recorded] = field(default_factory=list)

    @property
    def name(self) -> str:
        return self.inner.name

    @property
    def context_window(self) -> int | None:
        return self.inner.context_window

    @property
    def is_local(self) -> bool:
        return self.inner.is_local

    @property
    def prompt_name(self) -> str | None:
        return getattr(self.inner, "prompt_name", None)

    def count_tokens(self, messages: list[Message]) -> int:
        return self.inner.count_tokens(messages)

    async def complete(self, messages: list[Message], *, stream: StreamCallback | None = None,
                       timeout: float | None = None) -> ModelResponse:
        response = await self.inner.complete(messages, stream=stream, timeout=timeout)
        self.records.append(Recorded(self.role, [dict(m) for m in messages], response.content))
        return response
