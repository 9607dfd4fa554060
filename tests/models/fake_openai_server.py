"""A real HTTP server on 127.0.0.1 that speaks the OpenAI chat-completions format, with scriptable failures.

Used by the model-layer tests and benchmarks: each queued `Reply` answers one request, in order;
when the queue is empty the server answers a normal completion.
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Reply:
    status: int = 200
    body: Any = None              # dict -> JSON; str -> sent raw (for malformed answers); None -> a completion
    headers: dict[str, str] = field(default_factory=dict)
    delay_s: float = 0.0
    content: str = "Hello from the fake server."
    usage: bool = True            # include a usage block
    hold: threading.Event | None = None   # answer only once this is set (a reply that comes "too late")
    piece_interval_s: float = 0.0  # streamed: send each piece this long after the one before (a slow, steady model)


def completion_body(model: str, content: str, *, usage: bool = True, prompt_tokens: int = 11,
                    completion_tokens: int = 7, cached_tokens: int = 3, reasoning_tokens: int = 2) -> dict:
    body: dict[str, Any] = {
        "id": "chatcmpl-fake", "object": "chat.completion", "created": int(time.time()), "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
    }
    if usage:
        body["usage"] = {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                         "total_tokens": prompt_tokens + completion_tokens,
                         "prompt_tokens_details": {"cached_tokens": cached_tokens},
                         "completion_tokens_details": {"reasoning_tokens": reasoning_tokens}}
    return body


def error_body(message: str, type_: str, code: str | None = None) -> dict:
    return {"error": {"message": message, "type": type_, "code": code}}


class FakeOpenAIServer:
    """Serve on a free port in a background thread; `replies` is a queue of scripted answers."""

    def __init__(self, model_ids: tuple[str, ...] = ("fake-model",), answer_model: str = "fake-model-2024",
                 max_model_len: int | None = None):
        self.max_model_len = max_model_len  # reported in /v1/models like vLLM does
        self.in_flight = 0
        self.max_in_flight = 0
        self.replies: deque[Reply] = deque()
        self.requests: list[dict[str, Any]] = []   # {"path", "headers", "body"} of every request seen
        self.model_ids = model_ids
        self.answer_model = answer_model
        # optional: (prompt_tokens, completion_tokens) and the answer text computed from each request's body,
        # so concurrent requests (a batch) each get their own, whatever order they arrive in
        self.usage_for: Callable[[dict[str, Any]], tuple[int, int]] | None = None
        self.answer_for: Callable[[dict[str, Any]], str] | None = None
        # optional: the cached prompt tokens reported for each request (a provider's prompt cache)
        self.cached_for: Callable[[dict[str, Any]], int] | None = None
        # optional: hold every chat request until this many are in flight at once (then release them all),
        # which proves a client really sends them concurrently; a client that does not is failed by `gate_s`
        self.gate_at: int | None = None
        self.gate_s = 60.0
        self.gate_opened = threading.Event()
        self._lock = threading.Lock()
        # optional: every chat request takes one permit before it is answered (the test hands them out)
        self.permits: threading.Semaphore | None = None
        self.arrived = threading.Condition(self._lock)   # notified on every request's arrival and answer
        self.answered = 0
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FakeOpenAIServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()

    def queue(self, *replies: Reply) -> None:
        with self._lock:
            self.replies.extend(replies)

    def chat_requests(self) -> list[dict[str, Any]]:
        return [r for r in self.requests if r["path"].endswith("/chat/completions")]

    def _next_reply(self) -> Reply:
        with self._lock:
            return self.replies.popleft() if self.replies else Reply()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out in two writes: no 40 ms delayed-ACK stall

            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None,
                      content_type: str = "application/json") -> None:
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(payload)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(payload)

            def do_GET(self) -> None:
                server.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": None})
                if self.path.rstrip("/").endswith("/v1/models"):
                    extra = {"max_model_len": server.max_model_len} if server.max_model_len else {}
                    data = {"object": "list", "data": [{"id": m, "object": "model", **extra}
                                                       for m in server.model_ids]}
                    self._send(200, json.dumps(data).encode())
                elif self.path == "/api/tags":  # Ollama's listing
                    data = {"models": [{"name": m, "model": m} for m in server.model_ids]}
                    self._send(200, json.dumps(data).encode())
                else:
                    self._send(404, json.dumps(error_body("no such path", "not_found")).encode())

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    body = json.loads(raw or b"{}")
                except json.JSONDecodeError:
                    body = {}
                server.requests.append({"path": self.path, "headers": {k.lower(): v for k, v in self.headers.items()}, "body": body})
                reply = server._next_reply()
                with server._lock:
                    server.in_flight += 1
                    server.max_in_flight = max(server.max_in_flight, server.in_flight)
                    if server.gate_at is not None and server.in_flight >= server.gate_at:
                        server.gate_opened.set()
                    server.arrived.notify_all()
                if server.gate_at is not None:
                    server.gate_opened.wait(server.gate_s)
                if server.permits is not None:
                    server.permits.acquire(timeout=server.gate_s)
                try:
                    self._answer(body, reply)
                finally:
                    with server._lock:
                        server.in_flight -= 1
                        server.answered += 1
                        server.arrived.notify_all()

            def _answer(self, body: dict, reply: Reply) -> None:
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.hold is not None:
                    reply.hold.wait(server.gate_s)
                if reply.status != 200 or reply.body is not None:
                    payload = reply.body if reply.body is not None else error_body(
                        f"scripted error {reply.status}", "server_error")
                    data = payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                    self._send(reply.status, data, reply.headers)
                    return
                if body.get("stream"):
                    self._stream(body, reply)
                    return
                content = server.answer_for(body) if server.answer_for is not None else reply.content
                tokens = server.usage_for(body) if server.usage_for is not None else (11, 7)
                cached = server.cached_for(body) if server.cached_for is not None else 3
                data = completion_body(server.answer_model, content, usage=reply.usage, prompt_tokens=tokens[0],
                                       completion_tokens=tokens[1], cached_tokens=cached)
                self._send(200, json.dumps(data).encode(), reply.headers)

            def _stream(self, body: dict, reply: Reply) -> None:
                include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
                content = server.answer_for(body) if server.answer_for is not None else reply.content
                words = content.split(" ")
                events = []
                for i, word in enumerate(words):
                    piece = word if i == 0 else " " + word
                    events.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                                   "created": int(time.time()), "model": server.answer_model,
                                   "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]})
                events.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                               "created": int(time.time()), "model": server.answer_model,
                               "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]})
                if include_usage and reply.usage:
                    tokens = server.usage_for(body) if server.usage_for is not None else (11, 7)
                    cached = server.cached_for(body) if server.cached_for is not None else 3
                    final = completion_body(server.answer_model, "", usage=True, prompt_tokens=tokens[0],
                                            completion_tokens=tokens[1], cached_tokens=cached)
                    events.append({"id": "chatcmpl-fake", "object": "chat.completion.chunk",
                                   "created": int(time.time()), "model": server.answer_model,
                                   "choices": [], "usage": final["usage"]})
                frames = [f"data: {json.dumps(e)}\n\n" for e in events] + ["data: [DONE]\n\n"]
                if reply.piece_interval_s > 0:
                    self._send_slowly(frames, reply)
                    return
                self._send(200, "".join(frames).encode(), reply.headers, content_type="text/event-stream")

            def _send_slowly(self, frames: list[str], reply: Reply) -> None:
                """Each frame `piece_interval_s` after the one before; the end of the stream closes the connection."""
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Connection", "close")
                for k, v in reply.headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.close_connection = True
                for frame in frames:
                    time.sleep(reply.piece_interval_s)
                    self.wfile.write(frame.encode())
                    self.wfile.flush()

        return Handler
