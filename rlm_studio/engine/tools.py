"""User tools: Python functions from a file or folder, loaded into the REPL next to `llm_query`.

The host never imports them: it reads their source, lists their public functions with `ast`
(signature and docstring, for the system prompt), and sends the source into the sandbox worker,
where it is executed like model code. The source travels with the run's settings, so replay,
re-execution and forks load the same tools.
"""

from __future__ import annotations

import ast
import hashlib
from pathlib import Path
from typing import Any

MAX_TOOLS_BYTES = 2_000_000


class ToolsError(ValueError):
    """A tools file or folder that cannot be used: the message is one line for the user."""


def _functions(tree: ast.Module) -> list[dict[str, str]]:
    out = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and not node.name.startswith("_"):
            returns = f" -> {ast.unparse(node.returns)}" if node.returns else ""
            doc = ast.get_docstring(node) or ""
            out.append({"name": node.name, "signature": f"{node.name}({ast.unparse(node.args)}){returns}",
                        "doc": " ".join(doc.split())[:300]})
    return out


def read_tool_file(path: Path, name: str | None = None) -> dict[str, Any]:
    """{"name", "source", "sha256", "functions"} of one .py file, checked for syntax (not run)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ToolsError(f"cannot read tools file {path}: {exc.strerror or exc}") from None
    try:
        source = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ToolsError(f"tools file {path} is not UTF-8 text") from None
    try:
        tree = ast.parse(source, filename=str(path))
    except SyntaxError as exc:
        raise ToolsError(f"tools file {path} has a syntax error on line {exc.lineno}: {exc.msg}") from None
    functions = _functions(tree)
    if not functions:
        raise ToolsError(f"tools file {path} defines no public function (def name(...): at the top level)")
    return {"name": name or path.name, "source": source, "sha256": hashlib.sha256(data).hexdigest(),
            "functions": functions}


def load_tools(path: str | Path) -> list[dict[str, Any]]:
    """The tool files at `path`: one .py file, or every .py file of a folder (sorted, recursively)."""
    root = Path(path).expanduser()
    if root.is_file():
        if root.suffix != ".py":
            raise ToolsError(f"tools file {root} is not a .py file")
        tools = [read_tool_file(root)]
    elif root.is_dir():
        files = sorted(p for p in root.rglob("*.py") if "__pycache__" not in p.parts)
        if not files:
            raise ToolsError(f"tools folder {root} has no .py file")
        tools = [read_tool_file(p, str(p.relative_to(root))) for p in files]
    else:
        raise ToolsError(f"tools path {root} does not exist")
    if sum(len(t["source"]) for t in tools) > MAX_TOOLS_BYTES:
        raise ToolsError(f"tools at {root} are larger than {MAX_TOOLS_BYTES // 1_000_000} MB")
    seen: dict[str, str] = {}
    for tool in tools:
        for function in tool["functions"]:
            if function["name"] in RESERVED_TOOL_NAMES:
                raise ToolsError(f"tool {function['name']!r} in {tool['name']} would replace a name the REPL "
                                 "reserves; rename it")
            if function["name"] in seen:
                raise ToolsError(f"tool {function['name']!r} is defined in both {seen[function['name']]} and "
                                 f"{tool['name']}")
            seen[function["name"]] = tool["name"]
    return tools


RESERVED_TOOL_NAMES = frozenset({"context", "llm_query", "llm_query_batched", "rlm_query", "FINAL", "FINAL_VAR",
                                 "SHOW_VARS", "SubcallError", "history", "answer", "SUBMIT"})


#: names a tool's own code can use, as model code does (`llm_query` inside a tool works)
REPL_NAMES_FOR_TOOLS = frozenset({"context", "llm_query", "llm_query_batched", "rlm_query", "SubcallError"})


def tools_prompt(tools: list[dict[str, Any]]) -> str:
    """The system-prompt section listing the user's tools with their signatures and docstrings."""
    if not tools:
        return ""
    lines = ["", "The user also gave you these functions, already defined in the REPL:"]
    for tool in tools:
        for function in tool["functions"]:
            doc = f": {function['doc']}" if function["doc"] else ""
            lines.append(f"- `{function['signature']}`{doc}")
    return "\n".join(lines) + "\n"


def loader_code(tools: list[dict[str, Any]]) -> str:
    """Code run in the worker: each file executed in its own module namespace, its public functions
    copied into the REPL (so a tool's helpers and imports do not clutter the REPL's variables)."""
    lines = ["import types as _rlm_types"]
    for tool in tools:
        names = [f["name"] for f in tool["functions"]]
        lines.append(f"_rlm_module = _rlm_types.ModuleType({('rlm_tools.' + tool['name'])!r})")
        lines.append("_rlm_module.__dict__.update({_k: _v for _k, _v in globals().items() if _k in "
                     f"{sorted(REPL_NAMES_FOR_TOOLS)!r}}})")
        lines.append(f"exec(compile({tool['source']!r}, {('tools/' + tool['name'])!r}, 'exec'), "
                     "_rlm_module.__dict__)")
        for name in names:
            lines.append(f"{name} = _rlm_module.__dict__[{name!r}]")
    lines.append("del _rlm_module, _rlm_types")
    return "\n".join(lines) + "\n"


def load_error(result: Any) -> str | None:
    """A one-line description of why loading the tools failed in the worker, or None when it worked."""
    if result.error:
        message = result.error.get("message") or ""
        return f"{result.error.get('type', 'Error')}: {message}".strip()
    if result.crashed:
        return f"the worker died while loading them ({result.crashed})"
    if result.timed_out:
        return "loading them took longer than the cell time limit"
    return None


async def check_tools(tools: list[dict[str, Any]], *, isolation: str = "auto", timeout_s: float = 60.0) -> None:
    """Load the tools in a throwaway sandbox worker; raise ToolsError saying why they fail to load."""
    if not tools:
        return
    from rlm_studio.sandbox import SandboxLimits, Worker

    async def refuse(op: str, payload: dict[str, Any]) -> Any:
        raise RuntimeError(f"{op} is not available while tools are being checked")

    worker = await Worker.start(context_path=None, handler=refuse, limits=SandboxLimits(cell_timeout_s=timeout_s),
                                isolation=isolation)
    try:
        result = await worker.execute(loader_code(tools), timeout_s=timeout_s)
    finally:
        await worker.close()
    problem = load_error(result)
    if problem:
        names = ", ".join(t["name"] for t in tools)
        raise ToolsError(f"the tools ({names}) fail to load in the sandbox: {problem}")
