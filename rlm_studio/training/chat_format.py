"""SmolLM2's chat template (ChatML, as in the GGUF's tokenizer.chat_template), written out so training text
is byte-for-byte what llama.cpp's server renders at inference."""

from __future__ import annotations

DEFAULT_SYSTEM = "You are a helpful AI assistant named SmolLM, trained by Hugging Face"
END = "<|im_end|>"


def render_prompt(messages: list[dict[str, str]]) -> str:
    """The template with add_generation_prompt=True: everything the model reads before its response."""
    out = []
    if messages and messages[0]["role"] != "system":
        out.append(f"<|im_start|>system\n{DEFAULT_SYSTEM}{END}\n")
    for m in messages:
        out.append(f"<|im_start|>{m['role']}\n{m['content']}{END}\n")
    out.append("<|im_start|>assistant\n")
    return "".join(out)


def render_segments(messages: list[dict[str, str]], response: str) -> list[tuple[str, bool]]:
    """The whole conversation as (text, trained) pieces: every assistant turn is trained, so one sequence
    teaches every root turn of a trajectory (each turn sees exactly the prefix it saw at inference)."""
    pieces: list[tuple[str, bool]] = []
    if messages and messages[0]["role"] != "system":
        pieces.append((f"<|im_start|>system\n{DEFAULT_SYSTEM}{END}\n", False))
    for m in messages:
        if m["role"] == "assistant":
            pieces.append(("<|im_start|>assistant\n", False))
            pieces.append((f"{m['content']}{END}", True))
            pieces.append(("\n", False))
        else:
            pieces.append((f"<|im_start|>{m['role']}\n{m['content']}{END}\n", False))
    pieces.append(("<|im_start|>assistant\n", False))
    pieces.append((f"{response}{END}", True))
    return pieces
