"""A fake API key goes to the provider and nowhere else: not the sandbox, the database, logs or exports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.models.fake_openai_server import FakeOpenAIServer, Reply

ROOT = Path(__file__).resolve().parents[2]
FAKE_KEY = "sk-test" + "Z9" * 20  # built at run time so the source holds no key-shaped string


def test_fake_key_reaches_only_the_provider(tmp_path):
    with FakeOpenAIServer() as server:
        # root response 1 inspects the sandbox's environment and files; response 2 answers
        server.replies.extend([
            Reply(content="```repl\nimport os\nenv = dict(os.environ)\n"
                          "print(sorted(env))\nprint(any('sk-test' in v for v in env.values()))\n"
                          "print(llm_query('sub question'))\n```"),
            Reply(content="sub answer"),
            Reply(content="FINAL(done)"),
        ])
        db = tmp_path / "runs.db"
        log = tmp_path / "run.log"
        env = {**os.environ, "OPENAI_API_KEY": FAKE_KEY, "RLM_STUDIO_HOME": str(tmp_path / "home")}
        doc = tmp_path / "doc.txt"
        doc.write_text("some context " * 100)
        with log.open("w") as log_file:
            out = subprocess.run(
                [sys.executable, "-m", "rlm_studio", "run", "-c", str(doc), "-q", "What?", "--root-model",
                 "openai/fake-model", "--api-base", server.base_url, "--db", str(db), "--json"],
                cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file, text=True, timeout=180)
        assert out.returncode == 0, log.read_text()
        result = json.loads(out.stdout)
        assert result["answer"] == "done"
        # the provider did get the key
        auth = [r["headers"].get("authorization", "") for r in server.requests if r["path"].endswith("/completions")]
        assert auth and all(FAKE_KEY in a for a in auth)
        # the sandbox did not: its environment printed no key
        export_ours = tmp_path / "run.jsonl"
        export_official = tmp_path / "run-official.jsonl"
        for fmt, path in (("rlm-studio", export_ours), ("official", export_official)):
            done = subprocess.run([sys.executable, "-m", "rlm_studio", "export", result["run_id"], "--format", fmt,
                                   "-o", str(path), "--db", str(db)], cwd=ROOT, env=env, capture_output=True,
                                  text=True, timeout=60)
            assert done.returncode == 0, done.stderr
        show = subprocess.run([sys.executable, "-m", "rlm_studio", "show", result["run_id"], "--json", "--db", str(db)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
        assert show.returncode == 0, show.stderr
        events = [json.loads(line) for line in export_ours.read_text().splitlines()[1:]]
        cell = next(e for e in events if e["kind"] == "cell_finished")
        env_names, key_seen, sub_answer = cell["stdout"].splitlines()
        assert "OPENAI_API_KEY" not in env_names and key_seen == "False" and sub_answer == "sub answer"
        for path in [db, log, export_ours, export_official, *db.parent.glob("runs.db*")]:
            data = path.read_bytes()
            assert FAKE_KEY.encode() not in data, f"the API key leaked into {path.name}"
        assert FAKE_KEY not in show.stdout and FAKE_KEY not in out.stdout
