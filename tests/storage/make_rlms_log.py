"""Run the official `rlms` RLM against a scripted OpenAI-compatible server and keep its RLMLogger log.

Usage: python make_rlms_log.py OUT_DIR  -> prints the path of the .jsonl log written there.
The scripted root model: batched llm_query calls, a child RLM via rlm_query (max_depth=2),
an error in a cell, then the answer through the REPL's answer dict.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

REPLIES = [
    # root, iteration 1
    "Let me look at the context first.\n```repl\nprint(context[:40])\n"
    "parts = llm_query_batched(['Name the colour in: the sky is blue', 'Name the colour in: grass is green'])\n"
    "print(parts)\n```",
    "blue",          # the two batched sub-calls (their order does not matter)
    "green",
    # root, iteration 2: a child RLM
    "```repl\nchild = rlm_query('What colour is the sky? Answer in one word.')\nprint(child)\n```\n"
    "```repl\nundefined_name + 1\n```",
    # the child RLM's only iteration
    "```repl\nanswer['content'] = 'blue'\nanswer['ready'] = True\n```",
    # root, iteration 3: the answer
    "```repl\nanswer['content'] = 'The sky is ' + child\nanswer['ready'] = True\n```",
]


def serve(replies: list[str]) -> ThreadingHTTPServer:
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: object) -> None:
            pass

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with lock:
                content = replies.pop(0) if replies else "FINAL(out of script)"
            body = json.dumps({
                "id": "chatcmpl-script", "object": "chat.completion", "created": int(time.time()),
                "model": "scripted-model",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": content},
                             "finish_reason": "stop"}],
                "usage": {"prompt_tokens": 100 + len(content), "completion_tokens": len(content.split()),
                          "total_tokens": 100 + len(content) + len(content.split())}}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main(out_dir: str) -> None:
    from rlm import RLM
    from rlm.logger import RLMLogger

    server = serve(list(REPLIES))
    try:
        logger = RLMLogger(log_dir=out_dir, file_name="rlms")
        rlm = RLM(backend="openai",
                  backend_kwargs={"model_name": "scripted-model", "api_key": "not-needed",
                                  "base_url": f"http://127.0.0.1:{server.server_address[1]}/v1"},
                  environment="local", max_depth=2, max_iterations=5, logger=logger)
        result = rlm.completion("The sky is blue. Grass is green. " * 20,
                                root_prompt="What colour is the sky?")
        if result.response != "The sky is blue":
            raise SystemExit(f"unexpected answer from the scripted run: {result.response!r}")
        print(logger.log_file_path)
    finally:
        server.shutdown()


if __name__ == "__main__":
    main(sys.argv[1])
