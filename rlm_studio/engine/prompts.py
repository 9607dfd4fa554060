"""The root model's system prompt, its first message, and the feedback after each iteration."""

from __future__ import annotations

from typing import Any

DEFAULT_SYSTEM_PROMPT = """You answer a question about a context that is too large to read at once. \
The context is loaded in a Python REPL as the variable `context`; you see only its description. \
Work by writing Python code in ```repl blocks. Each block runs in the same persistent REPL, \
and you see its printed output (long output is cut, so print only what you need).

In the REPL you have:
- `context`: the data (a str, a list of str, or a dict of document name -> text).
- `llm_query(prompt, model=None) -> str`: ask a sub-model about a piece of text (it can read about 100K characters).
- `llm_query_batched(prompts, model=None) -> list[str]`: many sub-model calls at once, results in order.
- `rlm_query(prompt, context=None) -> str`: hand a sub-task, with its own context, to a recursive copy of you.
- `SubcallError`: raised when a sub-call fails; catch it if you want to go on.
- `SHOW_VARS()`: list the variables you have made.
- `FINAL(answer)`: give the final answer. `FINAL_VAR(name)`: give the value of the variable `name` as the final answer.

Strategy: look at the structure of `context` first, then search, slice and chunk it with code, use \
sub-model calls on chunks where reading is needed, keep intermediate results in variables, and \
check your answer before giving it. Call FINAL or FINAL_VAR only when you have the answer, \
either in a repl block or alone on its own line outside code, for example:
```repl
chunks = [context[i:i + 50000] for i in range(0, len(context), 50000)]
hits = [c for c in chunks if "keyword" in c]
print(len(chunks), len(hits))
```
"""

# The bundled SmolLM2-135M was fine-tuned with this prompt (rlm_studio/training); it asks for the one
# strategy a 135M model can carry out: search `context`, print windows around the hits, read, answer.
BUNDLED_SYSTEM_PROMPT = """You answer a question about `context`, a large text loaded in a Python REPL \
that you cannot read directly. Write Python code in a ```repl block and you see what it prints. \
Search `context` for the names and words of the question, cut out the matching lines, ask the sub-model \
about them with `llm_query_batched(prompts)` (or `llm_query(prompt)`), and keep the result in a variable \
`answer`. Then end with FINAL_VAR(answer) on its own line, or FINAL(your answer).
"""


NAMED_PROMPTS = {"default": DEFAULT_SYSTEM_PROMPT, "bundled": BUNDLED_SYSTEM_PROMPT}


def system_prompt_for(model: Any) -> str:
    """The system prompt a model client asks for by name (its `prompt_name` attribute), else the default."""
    return NAMED_PROMPTS.get(getattr(model, "prompt_name", None) or "default", DEFAULT_SYSTEM_PROMPT)


def _fmt(n: int) -> str:
    return f"{n:,}"


def context_metadata(context: Any, *, max_parts: int = 20, prefix_chars: int = 300) -> dict[str, Any]:
    """What the root model is told about the context: never the context itself."""
    if hasattr(context, "parts") and hasattr(context, "prefix"):   # a sandbox.FileContext: never read whole
        lengths = [part.chars for part in context.parts]
        meta = {"type": context.kind, "total_chars": sum(lengths), "parts": len(lengths),
                "part_lengths": lengths[:max_parts], "prefix": context.prefix[:prefix_chars]}
        if context.kind == "dict":
            meta["part_names"] = [part.name for part in context.parts][:max_parts]
        return meta
    if isinstance(context, str):
        return {"type": "str", "total_chars": len(context), "parts": 1, "part_lengths": [len(context)],
                "prefix": context[:prefix_chars]}
    if isinstance(context, dict):
        names = list(context)
        lengths = [len(context[n]) for n in names]
        first = context[names[0]] if names else ""
        return {"type": "dict", "total_chars": sum(lengths), "parts": len(names),
                "part_names": names[:max_parts], "part_lengths": lengths[:max_parts],
                "prefix": first[:prefix_chars]}
    parts = list(context)
    lengths = [len(p) for p in parts]
    return {"type": "list", "total_chars": sum(lengths), "parts": len(parts),
            "part_lengths": lengths[:max_parts], "prefix": (parts[0] if parts else "")[:prefix_chars]}


def describe_context(meta: dict[str, Any]) -> str:
    kind = meta["type"]
    lines = [f"`context` is a {kind} with {_fmt(meta['total_chars'])} characters in total"
             + ("." if kind == "str" else f" in {_fmt(meta['parts'])} parts.")]
    if kind == "dict":
        shown = ", ".join(f"{n!r} ({_fmt(length)} chars)" for n, length in zip(meta["part_names"], meta["part_lengths"]))
        more = meta["parts"] - len(meta["part_names"])
        lines.append(f"Keys: {shown}" + (f", and {more} more." if more > 0 else "."))
    elif kind == "list":
        shown = ", ".join(_fmt(length) for length in meta["part_lengths"])
        more = meta["parts"] - len(meta["part_lengths"])
        lines.append(f"Part lengths: {shown}" + (f", and {more} more." if more > 0 else "."))
    lines.append(f"It begins with: {meta['prefix']!r}")
    return "\n".join(lines)


def first_user_message(question: str, meta: dict[str, Any], max_iterations: int) -> str:
    return (f"Question: {question}\n\n{describe_context(meta)}\n\n"
            f"You have at most {max_iterations} iterations. Start by exploring `context` in a ```repl block.")


def truncate_output(text: str, limit: int, unseen: int = 0) -> tuple[str, int]:
    """Cut to `limit` characters with an explicit note; return (text, characters not shown).

    `unseen` more characters were produced but never reached `text` (the REPL keeps only the start of
    huge output): the note counts them, so its total is the true one."""
    if len(text) <= limit and not unseen:
        return text, 0
    total = len(text) + unseen
    hidden = total - min(len(text), limit)
    kept = " (the REPL keeps only the start of each output stream)" if unseen else ""
    return (text[:limit] + f"\n[... output truncated: {_fmt(hidden)} of {_fmt(total)} characters not shown{kept}. "
            "Print less, or slice what you print.]"), hidden


def cell_feedback(index: int, result: Any, limit: int) -> tuple[str, int]:
    """Text fed back to the root model for one executed block, and how many characters were cut.

    The block's output is cut to `limit`; the notes after it (time limit, crash, ...) are always shown
    and say only what is true of this block."""
    out = result.stdout
    unseen = max(0, result.stdout_chars - len(result.stdout)) + max(0, result.stderr_chars - len(result.stderr))
    if result.stderr:
        out += ("\n" if out else "") + "[stderr]\n" + result.stderr
    if result.error:
        out += ("\n" if out else "") + (result.error.get("traceback") or
                                         f"{result.error.get('type')}: {result.error.get('message')}")
    shown, cut = truncate_output(out if out.strip() or unseen else "(no output)", limit, unseen)
    notes = []
    background = getattr(result, "background_chars", 0)
    if background:
        notes.append(f"[{_fmt(background)} characters printed by background threads of earlier blocks after those "
                     "blocks ended were dropped; they are not this block's output]")
    if result.crashed and getattr(result, "crashed_before_cell", False):
        notes.append(f"[before this block ran, the REPL worker had died ({result.crashed}): variables from earlier "
                     "blocks were lost and `context` is loaded again; this block ran in the fresh REPL]")
    elif result.crashed:
        notes.append(f"[the REPL worker died ({result.crashed}) and was restarted: all variables were lost, "
                     "including any this block assigned; `context` is loaded again]")
    elif result.timed_out:
        notes.append("[the cell hit its time limit and was interrupted; variables assigned before that are kept]")
    elif result.interrupted:
        notes.append("[the cell was interrupted; variables assigned before that are kept]")
    if result.restored:
        notes.append(f"[reserved names restored after you overwrote them: {', '.join(result.restored)}]")
    return "\n".join([f"Output of repl block {index}:\n{shown}", *notes]), cut


NO_CODE = ("Your response had no ```repl block, so nothing ran. Write code in a ```repl block, "
           "or give the answer with FINAL(answer) alone on a line.")
WRONG_FENCE = ("Your code was in a ```python block, which does not run: only ```repl blocks run in the REPL. "
               "Write the same code in a ```repl block.")


def iteration_feedback(blocks: list[str], variables: list[dict[str, Any]], iteration: int,
                       max_iterations: int, notes: list[str], response: str = "") -> str:
    if not blocks and not notes:
        body = WRONG_FENCE if "```python" in response or "```py\n" in response else NO_CODE
    else:
        body = "\n\n".join(blocks + notes)
    names = ", ".join(v["name"] for v in variables[:60]) or "(none)"
    left = max_iterations - iteration
    return f"{body}\n\nREPL variables: {names}\nIterations left: {left}."
