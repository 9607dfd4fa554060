"""RLM Studio: run, watch, replay and compare Recursive Language Models."""

__version__ = "0.1.0"
