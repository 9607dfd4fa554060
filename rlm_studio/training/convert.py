"""GGUF side of training: the HF-format base folder transformers and the converter need, and the LoRA -> GGUF step.

`convert_lora_to_gguf.py` comes from the llama.cpp source that the installed llama-cpp-python's sdist
vendors (downloaded once with pip into the work folder).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tarfile
from pathlib import Path

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"


def save_base(gguf_dir: Path, out: Path) -> Path:
    """Dequantize the bundled GGUF into an HF folder (float32 safetensors + tokenizer), once."""
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    if (out / "model.safetensors").is_file():
        return out
    tokenizer = AutoTokenizer.from_pretrained(gguf_dir, gguf_file=GGUF_NAME)
    loaded = AutoModelForCausalLM.from_pretrained(gguf_dir, gguf_file=GGUF_NAME, dtype=torch.float32)
    model = AutoModelForCausalLM.from_config(loaded.config)  # a plain copy: the GGUF-loaded one refuses to save
    model.load_state_dict(loaded.state_dict())
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)
    config = json.loads((out / "config.json").read_text())
    config.pop("quantization_config", None)
    (out / "config.json").write_text(json.dumps(config, indent=2))
    return out


def llama_cpp_source(work: Path, version: str) -> Path:
    """The vendored llama.cpp folder of llama-cpp-python==version (pip download of the sdist, unpacked)."""
    target = work / f"llama_cpp_python-{version}" / "vendor" / "llama.cpp"
    if (target / "convert_lora_to_gguf.py").is_file():
        return target
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-binary", ":all:", "--no-deps",
                    f"llama-cpp-python=={version}", "-d", str(work)], check=True)
    with tarfile.open(work / f"llama_cpp_python-{version}.tar.gz") as tar:
        tar.extractall(work, filter="data")
    return target


def convert_adapter(adapter_dir: Path, base_dir: Path, out_file: Path, llama_cpp: Path) -> Path:
    out_file.parent.mkdir(parents=True, exist_ok=True)
    env_path = str(llama_cpp / "gguf-py")
    subprocess.run([sys.executable, str(llama_cpp / "convert_lora_to_gguf.py"), "--base", str(base_dir),
                    "--outfile", str(out_file), "--outtype", "f16", str(adapter_dir)], check=True,
                   env={"PYTHONPATH": env_path, "PATH": "/usr/bin:/bin"})
    return out_file
