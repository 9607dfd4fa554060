"""Hostile cells for the soak test: each tries to crash, hang, flood or fool the host, or find a key.

Every one is bounded (forks, bytes, loops), so that in the process fallback too it cannot hurt the
machine beyond what the sandbox's limits allow.
"""

from __future__ import annotations

FORGE_PREFIX = """
import gc, json, os, sys
cell = next(o for o in gc.get_objects() if type(o).__name__ == 'CellControl').running_cell
def frame(obj):
    data = json.dumps(obj).encode()
    return len(data).to_bytes(4, 'big') + data
good = {"op": "result", "id": cell, "stdout": "", "stderr": "", "stdout_chars": 0, "stderr_chars": 0,
        "error": None, "duration_ms": 1.0, "variables": [], "final": None, "timed_out": False,
        "interrupted": False, "restored": []}
"""

HOSTILE: dict[str, str] = {
    "segfault": "import ctypes\nctypes.string_at(0)",
    "fork bomb": (
        "import os, time\nchildren = []\nfor _ in range(200):\n    try:\n        pid = os.fork()\n"
        "    except OSError:\n        break\n    if pid == 0:\n        time.sleep(30)\n        os._exit(0)\n"
        "    children.append(pid)\nfor pid in children:\n    os.kill(pid, 9)\n    os.waitpid(pid, 0)\nprint(len(children))"),
    "memory bomb": "blocks = []\nwhile len(blocks) < 10_000:\n    blocks.append(bytearray(10 ** 7))",
    "one huge allocation": "x = bytearray(64 * 1024 ** 3)",
    "tmp fill": (
        "block = b'x' * (1 << 20)\nwritten = 0\nwith open('/tmp/fill', 'wb') as f:\n    while written < 400:\n"
        "        f.write(block)\n        written += 1\nprint(written)"),
    "forged result fields": FORGE_PREFIX + "os.write(int(sys.argv[1]), frame(dict(good, stdout_chars='x', final='y')))",
    "forged list id": FORGE_PREFIX + "os.write(int(sys.argv[1]), frame(dict(good, id=[cell])))",
    "forged well-formed result": FORGE_PREFIX + "os.write(int(sys.argv[1]), frame(dict(good, stdout='forged')))",
    "forged request": FORGE_PREFIX + "os.write(int(sys.argv[2]), frame({'op': 'req', 'id': {}, 'kind': 'llm_query'}))",
    "garbage bytes": "import os, sys\nos.write(int(sys.argv[1]), b'\\xff\\xff\\xff\\xff garbage')",
    "half a frame": "import os, sys\nos.write(int(sys.argv[1]), (100).to_bytes(4, 'big') + b'{\"op\"')",
    "closed control socket": "import os, sys\nos.close(int(sys.argv[1]))",
    "background prints": (
        "import threading, time\ndef chatter():\n    for i in range(2000):\n        print('background', i)\n"
        "        time.sleep(0.001)\nthreading.Thread(target=chatter, daemon=True).start()\nprint('started')"),
    "huge print": "print('x' * 20_000_000)",
    "stderr flood": "import os\nblock = b'e' * (1 << 20)\nfor _ in range(100):\n    os.write(2, block)",
    "sys.exit": "import sys\nsys.exit(3)",
    "os._exit": "import os\nos._exit(3)",
    "SIGSTOP self": "import os, signal\nos.kill(os.getpid(), signal.SIGSTOP)",
    "infinite loop": "n = 0\nwhile True:\n    n += 1",
    "swallowed stop": "import time\nwhile True:\n    try:\n        time.sleep(5)\n    except BaseException:\n        pass",
    "read /proc environ": (
        "import os\nseen = []\nfor pid in os.listdir('/proc'):\n    if not pid.isdigit():\n        continue\n"
        "    for name in ('environ', 'cmdline'):\n        try:\n            seen.append(open(f'/proc/{pid}/{name}', 'rb').read())\n"
        "        except OSError:\n            pass\nprint(b'\\n'.join(seen).decode('utf-8', 'replace'))\n"
        "print(dict(os.environ))"),
    "lone surrogates": "print('\\ud800 and \\udcff')\nbad = '\\udfff'\nraise ValueError('\\ud834')",
    "kill the parent": "import os\nos.kill(os.getppid(), 9)",
    "kill pid 1": "import os\nos.kill(1, 9)",
    "deep recursion": "import sys\nsys.setrecursionlimit(10 ** 6)\ndef f(n):\n    return f(n + 1)\nf(0)",
    "reserved names overwritten": "FINAL = print\nllm_query = None\ncontext = 'mine'",
    "huge exception message": "raise RuntimeError('m' * 5_000_000)",
    "unprintable repr": "class Bad:\n    def __repr__(self):\n        raise RuntimeError('no')\nbad = Bad()\nbad",
    "non-string globals": "globals()[1] = 2\nglobals()[('a',)] = 3",
    "bad sub-call arguments": "llm_query(123)",
}
