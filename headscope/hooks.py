"""Hooks on each layer's module for the length of a block, in the calling thread only.

Norms, knockout and Q/K/V each read or change one module per layer while the model runs once:
the value projection's output, the output projection's input, the query projection's input.
`on_layers` is the one way they do it:

- only the forward passes of the thread that opened the block are seen (the app shares one model
  between sessions, and another session's pass must be neither read nor changed);
- a module shared by several layers (ALBERT) is hooked once, and its n-th call in a forward pass
  is the n-th layer that uses it (the layers run in order), so the hook is told the layer.

Where each family keeps its projections is `headscope.families`' business, not this module's.
"""

from __future__ import annotations

import contextlib
import threading
from typing import Any, Callable, Iterator, Sequence

INPUT, OUTPUT = "input", "output"
"""What a hook reads: the module's first positional input (a forward pre-hook) or its output (a forward hook)."""

Hook = Callable[[int, Any], Any]
"""hook(layer, tensor) -> a tensor to use in its place, or None to leave it as it is."""


@contextlib.contextmanager
def on_layers(modules: Sequence[Any], hook: Hook, where: str = INPUT) -> Iterator[None]:
    """While open, `hook(layer, x)` sees each layer's call of `modules[layer]`, in this thread only.

    `where` is INPUT (x is the module's first positional input; a returned tensor replaces it) or
    OUTPUT (x is its output; a returned tensor replaces it). A module shared by several layers is
    called once per layer, in layer order: its n-th call is the n-th of its layers (counting on
    from one forward pass to the next; open one block per forward pass).
    """
    if where not in (INPUT, OUTPUT):
        raise ValueError(f"hook the module's {INPUT} or {OUTPUT}, not {where!r}")
    me = threading.get_ident()
    layers_of: dict[int, list[int]] = {}  # per module (by id), the layers that call it, in order
    for layer, module in enumerate(modules):
        layers_of.setdefault(id(module), []).append(layer)
    calls = dict.fromkeys(layers_of, 0)

    def layer_of(key: int) -> int:
        order = layers_of[key]
        layer = order[calls[key] % len(order)]
        calls[key] += 1
        return layer

    def for_module(key: int):
        if where == INPUT:

            def pre(_module, args):
                if threading.get_ident() != me:
                    return None
                new = hook(layer_of(key), args[0])
                return None if new is None else (new,) + tuple(args[1:])

            return pre

        def post(_module, _args, output):
            if threading.get_ident() != me:
                return None
            return hook(layer_of(key), output)

        return post

    handles = []
    try:
        for module in {id(m): m for m in modules}.values():  # each module once, in layer order
            register = module.register_forward_pre_hook if where == INPUT else module.register_forward_hook
            handles.append(register(for_module(id(module))))
        yield
    finally:
        for handle in handles:
            handle.remove()
