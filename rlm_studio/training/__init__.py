"""Teaching the bundled SmolLM2-135M to act as an RLM: task generation, a scripted teacher, SFT data, LoRA training.

Only `sft`, `convert` and the script's training step import torch/transformers (the `[train]` extra);
the app and the tests never import this package's training modules.
"""
