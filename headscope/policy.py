"""What a server lets its users do: models allowed, size and upload caps, cache memory.

Read from HEADSCOPE_* environment variables, then the `[headscope]` table of secrets.toml
(deploy/README.md: "Restricting models on a shared server")."""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any, Mapping

from headscope.errors import SettingsError


def _flag(value: Any, default: bool) -> bool:
    """A yes/no setting from an environment string, a TOML bool, or nothing."""
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("1", "true", "yes", "on")


def _number(value: Any) -> int | None:
    """A positive whole-number setting, or None for no limit."""
    if value is None or str(value).strip() in ("", "0", "none"):
        return None
    try:
        number = int(float(str(value).replace("_", "")))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    return number if number > 0 else None


def _cap(value: Any, default: int) -> int:
    """A cap that must stay a positive whole number: the default when unset, else ValueError."""
    if value is None or str(value).strip() == "":
        return default
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a number")
    try:
        number = float(str(value).strip().replace("_", ""))
    except ValueError:
        raise ValueError(f"{value!r} is not a number") from None
    if number != number or number < 1 or number != int(number):
        raise ValueError(f"{value!r} is not a positive whole number")
    return int(number)


MAX_UPLOAD_BYTES = 5_000_000
MAX_UPLOAD_SENTENCES = 5_000
MAX_SENTENCE_CHARS = 1_000
MAX_UPLOAD_TOKENS = 50_000  # the work of an atlas: its forward passes grow with the tokens (deploy/README.md: measured)
"""Default caps on an uploaded corpus (headscope.corpus), overridden by Policy's settings."""
CACHE_MB = 256
"""Default memory for results shared by a server's sessions (components/cache.py)."""
HUB_TIMEOUT = 30
"""Default seconds a hub call for a model's config may take in all, connecting and reading (headscope.models)."""
DOWNLOAD_TIMEOUT = 1_800
"""Default seconds the download of a hub model's files (tokenizer and weights) may take in all."""


RANGES = {
    "max_params": (23_000_000, 10**13, "the bundled model has 22.7 M parameters, and a lower cap refuses it"),
    "max_bytes": (91_000_000, 10**14, "the bundled model's weights are 90.9 MB, and a lower cap refuses it"),
    "max_tokens": (8, 1_000_000, "a request holds a model's special tokens and a few words"),
    "max_upload_bytes": (1, 1_000_000_000, "an uploaded corpus is held in memory"),
    "max_upload_sentences": (1, 10_000_000, "a count of sentences"),
    "max_sentence_chars": (1, 10_000_000, "a count of characters"),
    "max_upload_tokens": (1, 1_000_000_000, "a count of tokens"),
    "cache_mb": (16, 1_048_576, "below 16 MB the results of one long text do not fit"),
    "hub_timeout": (1, 3_600, "seconds"),
    "download_timeout": (10, 604_800, "seconds"),
}
"""Each number setting's sane range (lowest, highest, why); unset, 0 or none still mean no limit where there is none by default."""


def _in_range(name: str, value: int | None) -> int | None:
    """A number setting's value, or ValueError naming its range when it is outside."""
    low, high, why = RANGES[name]
    if value is not None and not low <= value <= high:
        side = f"below {low:,}" if value < low else f"above {high:,}"
        raise ValueError(f"{value:,} is {side} ({why}); give a whole number from {low:,} to {high:,}")
    return value


@dataclass(frozen=True)
class Policy:
    """What a server lets its users load (see deploy/README.md: "Restricting models on a shared server")."""

    allowed: tuple[str, ...] = ()  # hub ids or folders; empty: any (the bundled model is always allowed)
    allow_hub: bool = True  # download from the hub what is not in the local cache
    allow_local: bool = True  # local model folders
    local_root: str | None = None  # local folders only below this directory
    max_params: int | None = None
    max_bytes: int | None = None  # weight files on disk
    max_tokens: int | None = None  # per request, on top of the model's own limit
    max_upload_bytes: int = MAX_UPLOAD_BYTES  # an uploaded corpus file
    max_upload_sentences: int = MAX_UPLOAD_SENTENCES  # sentences in an uploaded corpus
    max_sentence_chars: int = MAX_SENTENCE_CHARS  # characters in one line of an uploaded .txt corpus
    max_upload_tokens: int = MAX_UPLOAD_TOKENS  # the model's tokens over all sentences of an uploaded corpus
    cache_mb: int = CACHE_MB  # the server's cache of results (attention, figures) for all sessions
    hub_timeout: int = HUB_TIMEOUT  # seconds for a hub model's config, in all
    download_timeout: int = DOWNLOAD_TIMEOUT  # seconds for a hub model's files, in all

    ENV = {
        "allowed": "HEADSCOPE_ALLOWED_MODELS",
        "allow_hub": "HEADSCOPE_ALLOW_HUB",
        "allow_local": "HEADSCOPE_ALLOW_LOCAL",
        "local_root": "HEADSCOPE_LOCAL_ROOT",
        "max_params": "HEADSCOPE_MAX_PARAMS",
        "max_bytes": "HEADSCOPE_MAX_BYTES",
        "max_tokens": "HEADSCOPE_MAX_TOKENS",
        "max_upload_bytes": "HEADSCOPE_MAX_UPLOAD_BYTES",
        "max_upload_sentences": "HEADSCOPE_MAX_UPLOAD_SENTENCES",
        "max_sentence_chars": "HEADSCOPE_MAX_SENTENCE_CHARS",
        "max_upload_tokens": "HEADSCOPE_MAX_UPLOAD_TOKENS",
        "cache_mb": "HEADSCOPE_CACHE_MB",
        "hub_timeout": "HEADSCOPE_HUB_TIMEOUT",
        "download_timeout": "HEADSCOPE_DOWNLOAD_TIMEOUT",
    }

    def no_such_folder(self) -> str:
        """The one answer for any local folder a confining policy refuses, whether or not it exists."""
        return (
            f"no model folder by that name on this server: model folders must be inside {self.local_root} "
            "and hold a config.json"
        )

    @classmethod
    def from_settings(cls, env: Mapping[str, str] | None = None, secrets: Mapping[str, Any] | None = None) -> "Policy":
        """Read the policy: environment variables win over the `[headscope]` table of secrets.toml."""
        env = os.environ if env is None else env
        secrets = secrets or {}

        def get(name: str) -> Any:
            value = env.get(cls.ENV[name])
            return value if value not in (None, "") else secrets.get(name)

        def read(name: str, parse, *default) -> Any:
            try:
                return _in_range(name, parse(get(name), *default))
            except ValueError as exc:
                where = (
                    cls.ENV[name] if env.get(cls.ENV[name]) not in (None, "") else f"[headscope] {name} in secrets.toml"
                )
                raise SettingsError(f"the setting {where} is not usable: {exc}") from None

        allowed = get("allowed")
        if isinstance(allowed, str):
            allowed = [a for a in (p.strip() for p in allowed.split(",")) if a]
        return cls(
            allowed=tuple(allowed or ()),
            allow_hub=_flag(get("allow_hub"), True),
            allow_local=_flag(get("allow_local"), True),
            local_root=str(get("local_root")) if get("local_root") else None,
            max_params=read("max_params", _number),
            max_bytes=read("max_bytes", _number),
            max_tokens=read("max_tokens", _number),
            max_upload_bytes=read("max_upload_bytes", _cap, MAX_UPLOAD_BYTES),
            max_upload_sentences=read("max_upload_sentences", _cap, MAX_UPLOAD_SENTENCES),
            max_sentence_chars=read("max_sentence_chars", _cap, MAX_SENTENCE_CHARS),
            max_upload_tokens=read("max_upload_tokens", _cap, MAX_UPLOAD_TOKENS),
            cache_mb=read("cache_mb", _cap, CACHE_MB),
            hub_timeout=read("hub_timeout", _cap, HUB_TIMEOUT),
            download_timeout=read("download_timeout", _cap, DOWNLOAD_TIMEOUT),
        )
