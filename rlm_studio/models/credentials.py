"""API keys: from the provider's usual environment variable, else the OS keyring (service "rlm-studio").

Keys are never written to a plain-text file by this module, and never shown unmasked.
"""

from __future__ import annotations

import os

KEYRING_SERVICE = "rlm-studio"

# provider (litellm's name) -> the environment variable its SDK reads
PROVIDER_ENV_VARS: dict[str, str] = {
    "openai": "OPENAI_API_KEY",
    "anthropic": "ANTHROPIC_API_KEY",
    "gemini": "GEMINI_API_KEY",
    "mistral": "MISTRAL_API_KEY",
    "groq": "GROQ_API_KEY",
    "deepseek": "DEEPSEEK_API_KEY",
    "xai": "XAI_API_KEY",
    "together_ai": "TOGETHERAI_API_KEY",
    "openrouter": "OPENROUTER_API_KEY",
    "fireworks_ai": "FIREWORKS_AI_API_KEY",
    "cohere": "COHERE_API_KEY",
    "cohere_chat": "COHERE_API_KEY",
    "perplexity": "PERPLEXITYAI_API_KEY",
    "cerebras": "CEREBRAS_API_KEY",
    "deepinfra": "DEEPINFRA_API_KEY",
}


class KeyringUnavailable(RuntimeError):
    """The OS keyring cannot store secrets here; the message says which environment variable to use instead."""


def env_var_for(provider: str) -> str | None:
    return PROVIDER_ENV_VARS.get(provider)


def mask_key(key: str | None) -> str:
    """Show a key as `sk-...abcd` (first 3 and last 4 characters); short keys are fully hidden."""
    if not key:
        return ""
    if len(key) < 12:
        return "***"
    return f"{key[:3]}...{key[-4:]}"


def scrub(text: str, *secrets: str | None) -> str:
    """Replace every occurrence of each secret in `text` with its masked form."""
    for secret in secrets:
        if secret and len(secret) >= 4 and secret in text:
            text = text.replace(secret, mask_key(secret))
    return text


def _keyring_get(provider: str) -> str | None:
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return None
    try:
        return keyring.get_password(KEYRING_SERVICE, provider)
    except (KeyringError, RuntimeError, OSError):
        return None  # no usable backend: the environment variable is the only source


def get_api_key(provider: str) -> str | None:
    """The key for `provider`: its environment variable first, then the keyring; None when neither has one."""
    var = env_var_for(provider)
    if var and os.environ.get(var):
        return os.environ[var]
    return _keyring_get(provider) or None


def key_source(provider: str) -> str | None:
    """Where the key comes from ("env:VAR" or "keyring"), without revealing it; None when there is none."""
    var = env_var_for(provider)
    if var and os.environ.get(var):
        return f"env:{var}"
    return "keyring" if _keyring_get(provider) else None


def _unavailable(provider: str, reason: str) -> KeyringUnavailable:
    var = env_var_for(provider) or f"the environment variable your {provider} SDK reads"
    return KeyringUnavailable(
        f"Cannot save the {provider} API key: no OS keyring is available on this system ({reason}). "
        f"Set it in the environment instead, e.g. `export {var}=...` before starting RLM Studio. "
        f"RLM Studio never stores API keys in plain-text files.")


def set_api_key(provider: str, key: str) -> None:
    """Store a key in the OS keyring; raise KeyringUnavailable (never fall back to a file) when there is none."""
    if not key or not key.strip():
        raise ValueError("the API key is empty")
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        raise _unavailable(provider, "the keyring package is not installed") from None
    try:
        keyring.set_password(KEYRING_SERVICE, provider, key.strip())
    except KeyringError as exc:
        raise _unavailable(provider, type(exc).__name__) from None


def delete_api_key(provider: str) -> bool:
    """Remove a stored key; False when there was none or no keyring exists."""
    try:
        import keyring
        from keyring.errors import KeyringError
    except ImportError:
        return False
    try:
        keyring.delete_password(KEYRING_SERVICE, provider)
        return True
    except KeyringError:
        return False


def configured_providers() -> list[str]:
    """Providers that have a key in the environment or the keyring (one keyring lookup per provider)."""
    seen: set[str] = set()
    found = []
    for provider, var in PROVIDER_ENV_VARS.items():
        if var in seen:  # e.g. cohere and cohere_chat share one key
            continue
        seen.add(var)
        if get_api_key(provider):
            found.append(provider)
    return found


def environment_without_keys() -> dict[str, str]:
    """This process's environment minus every provider key: for helper processes (the bundled model's
    server) that need no key, so no key sits in their /proc/<pid>/environ either."""
    secret_vars = set(PROVIDER_ENV_VARS.values())
    return {name: value for name, value in os.environ.items()
            if name not in secret_vars and not name.endswith(("_API_KEY", "_SECRET_KEY", "_ACCESS_TOKEN"))}
