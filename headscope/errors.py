"""The errors of loading a model or reading the server's settings, and how to tell them apart."""

from __future__ import annotations


class ModelError(ValueError):
    """A model could not be loaded; the message says why and what to do."""


class SettingsError(ModelError):
    """A HEADSCOPE_* environment variable or `[headscope]` secret has a value Headscope cannot use."""


class UnsupportedModel(ValueError):
    """This model's attention cannot be taken apart (or split per head) here; the message says why."""


def first_line(exc: BaseException) -> str:
    """The first line of an exception's message."""
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def out_of_memory(exc: BaseException) -> bool:
    """True for Python's MemoryError and torch's out-of-memory errors (CPU or GPU)."""
    if isinstance(exc, MemoryError) or type(exc).__name__ == "OutOfMemoryError":
        return True
    text = str(exc).lower()
    return isinstance(exc, RuntimeError) and (
        "can't allocate memory" in text or "not enough memory" in text or "out of memory" in text
    )


_DAMAGED = (
    "deserializing header",
    "incomplete metadata",
    "pytorchstreamreader",
    "weights only load failed",
    "invalid load key",
    "unpickling",
    "unexpected eof",
    "file not fully covered",
)
"""Words in the errors safetensors and torch.load raise for a weight file that is damaged or cut short."""


def _raised_reading_weights(exc: BaseException) -> bool:
    """True when the error came from inside torch's or safetensors' weight-file readers.

    Random bytes in a pytorch_model.bin make torch's unpickler fail with whatever it trips on
    (IndexError: pop from empty list, KeyError: 197, ...), not with a message of its own.
    """
    import traceback

    readers = ("torch/serialization.py", "torch/_weights_only_unpickler.py", "/safetensors/")
    frames = traceback.extract_tb(exc.__traceback__)
    return any(reader in frame.filename.replace("\\", "/") for frame in frames for reader in readers)


def load_failure(name: str, exc: BaseException) -> ModelError:
    """A model's load failure as one clear message (what went wrong, and what to do)."""
    text = str(exc)
    if out_of_memory(exc):
        return ModelError(f"not enough memory to load {name!r}; pick a smaller model")
    if "weights only load failed" in text.lower():
        return ModelError(
            f"the weight file of {name!r} is damaged, or holds more than plain tensors (which Headscope "
            "never unpickles); download or save the model again, as model.safetensors"
        )
    if any(word in text.lower() for word in _DAMAGED) or _raised_reading_weights(exc):
        return ModelError(
            f"the weight file of {name!r} is damaged or incomplete ({first_line(exc)[:100]}); "
            "download or save the model again"
        )
    if "trust_remote_code" in text or "custom code" in text:
        return ModelError(f"{name!r} needs code from its repository to load; Headscope never runs such code")
    if (
        "couldn't connect" in text.lower()
        or "offline mode" in text.lower()
        or "cannot find the requested files in the local cache" in text.lower()
    ):
        return ModelError(
            f"{name!r} is not in the local cache and the hub cannot be reached; "
            "on a machine with internet it will be downloaded once"
        )
    if "no file named" in text or "does not appear to have a file named" in text:
        return ModelError(f"{name!r} has no weights (model.safetensors or pytorch_model.bin)")
    if (
        "is not a local folder and is not a valid model identifier" in text
        or "Repository Not Found" in text
        or "404" in text
    ):
        return ModelError(f"there is no model {name!r} on the hub; check the spelling")
    if "Unrecognized model" in text or "model_type" in text:
        return ModelError(f"{name!r} is of a model type this version of transformers does not know")
    return ModelError(f"cannot load model {name!r}: {first_line(exc)}")
