"""Which kind of document a file name suggests (content sniffing may override it)."""

from __future__ import annotations

from pathlib import Path

KINDS = ("text", "markdown", "code", "json", "csv", "html", "pdf", "docx")

_BY_SUFFIX: dict[str, str] = {
    ".md": "markdown", ".markdown": "markdown", ".mdown": "markdown", ".mkd": "markdown",
    ".json": "json", ".jsonl": "json", ".ndjson": "json", ".geojson": "json", ".ipynb": "json",
    ".csv": "csv", ".tsv": "csv",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".pdf": "pdf",
    ".docx": "docx",
    ".txt": "text", ".text": "text", ".log": "text", ".rst": "text", ".adoc": "text",
    ".org": "text", ".tex": "text", ".srt": "text", ".vtt": "text",
}

_CODE_SUFFIXES = {
    ".py", ".pyi", ".js", ".mjs", ".cjs", ".ts", ".tsx", ".jsx", ".java", ".kt",
    ".kts", ".scala", ".groovy", ".gradle", ".c", ".h", ".cc", ".cpp", ".cxx", ".hpp",
    ".hh", ".m", ".mm", ".cs", ".fs", ".go", ".rs", ".rb", ".php", ".swift", ".dart",
    ".lua", ".pl", ".pm", ".r", ".jl", ".hs", ".ml", ".mli", ".ex", ".exs", ".erl",
    ".clj", ".cljs", ".elm", ".zig", ".nim", ".v", ".vhd", ".sv", ".sh", ".bash",
    ".zsh", ".fish", ".ps1", ".bat", ".cmd", ".sql", ".css", ".scss", ".sass", ".less",
    ".vue", ".svelte", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".conf", ".env",
    ".xml", ".xsd", ".xsl", ".svg", ".proto", ".graphql", ".gql", ".tf", ".hcl",
    ".cmake", ".mk", ".nix", ".asm", ".s", ".diff", ".patch",
}

_CODE_NAMES = {
    "makefile", "dockerfile", "containerfile", "cmakelists.txt", "rakefile", "gemfile",
    "justfile", "vagrantfile", "jenkinsfile", "procfile", ".gitignore", ".dockerignore",
    ".editorconfig",
}


def kind_from_name(path: Path | str) -> str:
    """The kind a file's name suggests; "text" when the name says nothing."""
    path = Path(path)
    if path.name.lower() in _CODE_NAMES:
        return "code"
    suffix = path.suffix.lower()
    if suffix in _CODE_SUFFIXES:
        return "code"
    return _BY_SUFFIX.get(suffix, "text")
