"""The ways a run can end, chosen per run: FINAL/FINAL_VAR (the paper, fine-tuned RLMs), the official
package's newer `answer["content"]` + `answer["ready"] = True`, and DSPy's `SUBMIT(...)`.

Each has its own system-prompt text; all three end on the REPL's one final-answer mechanism
(FINAL inside the worker), and the final answer records which one the model used (`via`).
"""

from __future__ import annotations

from typing import Any

PROTOCOLS = ("final", "answer-dict", "submit")

_FINAL_LINE = ("- `FINAL(answer)`: give the final answer. `FINAL_VAR(name)`: give the value of the variable "
               "`name` as the final answer.")
_FINAL_STRATEGY = ("check your answer before giving it. Call FINAL or FINAL_VAR only when you have the answer, "
                   "either in a repl block or alone on its own line outside code, for example:")

_LINES = {
    "answer-dict": ("- `answer`: a dict `{\"content\": \"\", \"ready\": False}`. To finish, set `answer[\"content\"]` "
                    "to your final answer and then `answer[\"ready\"] = True` in a repl block; the run ends after "
                    "that block."),
    "submit": ("- `SUBMIT(answer)`: give the final answer from a repl block (`SUBMIT(answer=value)` works too); the "
               "run ends after that block."),
}
_STRATEGIES = {
    "answer-dict": ("check your answer before giving it. Set answer[\"ready\"] = True only when answer[\"content\"] "
                    "holds the final answer, for example:"),
    "submit": "check your answer before giving it. Call SUBMIT only in a repl block, when you have the answer, for example:",
}

#: code run in the worker before the first cell (and after a restart), per protocol
_SETUP = {
    "answer-dict": 'answer = {"content": "", "ready": False}\n',
    "submit": ("def SUBMIT(*args, _rlm_final=FINAL, **kwargs):\n"
               "    \"\"\"Give the final answer: SUBMIT(value) or SUBMIT(answer=value).\"\"\"\n"
               "    if len(args) == 1 and not kwargs:\n"
               "        _rlm_final(args[0])\n"
               "    elif not args and list(kwargs) == ['answer']:\n"
               "        _rlm_final(kwargs['answer'])\n"
               "    elif not args and kwargs:\n"
               "        import json as _json\n"
               "        _rlm_final(_json.dumps(kwargs, default=str, ensure_ascii=False))\n"
               "    else:\n"
               "        raise TypeError('SUBMIT() takes one answer: SUBMIT(value) or SUBMIT(answer=value)')\n"),
}

#: run after every cell under answer-dict: ends the run when the model set answer["ready"] = True
ANSWER_DICT_PROBE = ("_rlm_a = globals().get('answer')\n"
                     "if isinstance(_rlm_a, dict) and _rlm_a.get('ready') is True:\n"
                     "    FINAL(_rlm_a.get('content', ''))\n"
                     "del _rlm_a\n")


def protocol_prompt(system_prompt: str, protocol: str) -> str:
    """The system prompt told how this run ends: the FINAL text replaced when it is the default
    prompt's, else a paragraph appended."""
    if protocol == "final":
        return system_prompt
    line, strategy = _LINES[protocol], _STRATEGIES[protocol]
    if _FINAL_LINE in system_prompt:
        prompt = system_prompt.replace(_FINAL_LINE, line)
        return prompt.replace(_FINAL_STRATEGY, strategy)
    return system_prompt.rstrip("\n") + "\n\nHow to finish:\n" + line + "\n"


def setup_code(protocol: str) -> str:
    return _SETUP.get(protocol, "")


def via_for(protocol: str, final: dict[str, Any], code: str | None) -> str:
    """What the final answer records as `via`: SUBMIT or answer["ready"] when the protocol's own way
    was used, else FINAL / FINAL_VAR as the worker reported it."""
    if final.get("probe") == "answer-dict":
        return "answer"
    if protocol == "submit" and code is not None and "SUBMIT(" in code and final.get("source") == "FINAL":
        return "SUBMIT"
    return str(final.get("source") or "FINAL")
