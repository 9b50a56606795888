"""Tiny randomly initialised models of every supported family, saved as local model folders."""

from __future__ import annotations

from pathlib import Path

FAMILIES = ("bert", "roberta", "distilbert", "albert", "electra", "gpt2")
"""Families whose single heads Headscope can take apart (qkv)."""
ENCODER_DECODERS = ("bart", "t5")
ALL_FAMILIES = FAMILIES + ("deberta",) + ENCODER_DECODERS


def config_for(family: str):
    """A 2-layer, 4-head config of the family, with the bundled tokenizer's vocabulary."""
    from transformers import AlbertConfig, BertConfig, DistilBertConfig, ElectraConfig, GPT2Config, RobertaConfig

    vocab = 30522  # the bundled (BERT uncased) tokenizer's
    common = dict(
        vocab_size=vocab,
        num_hidden_layers=2,
        num_attention_heads=4,
        intermediate_size=64,
        hidden_size=32,
        max_position_embeddings=64,
    )
    if family == "bert":
        return BertConfig(**common)
    if family == "roberta":
        return RobertaConfig(**dict(common, max_position_embeddings=66), pad_token_id=0)
    if family == "electra":
        return ElectraConfig(**common, embedding_size=16)
    if family == "albert":
        return AlbertConfig(**common, embedding_size=16)
    if family == "distilbert":
        return DistilBertConfig(
            vocab_size=vocab, n_layers=2, n_heads=4, dim=32, hidden_dim=64, max_position_embeddings=64
        )
    if family == "gpt2":
        return GPT2Config(
            vocab_size=vocab, n_layer=2, n_head=4, n_embd=32, n_positions=64, bos_token_id=101, eos_token_id=102
        )
    if family == "deberta":
        from transformers import DebertaV2Config

        return DebertaV2Config(**common)
    if family == "bart":
        from transformers import BartConfig

        return BartConfig(
            vocab_size=vocab,
            d_model=32,
            encoder_layers=2,
            decoder_layers=2,
            encoder_attention_heads=4,
            decoder_attention_heads=4,
            encoder_ffn_dim=64,
            decoder_ffn_dim=64,
            max_position_embeddings=64,
        )
    if family == "t5":
        from transformers import T5Config

        return T5Config(
            vocab_size=vocab,
            d_model=32,
            d_kv=8,
            d_ff=64,
            num_layers=2,
            num_decoder_layers=2,
            num_heads=4,
            decoder_start_token_id=0,
        )
    if family == "xlnet":  # returns attentions, but not a family whose heads Headscope takes apart
        from transformers import XLNetConfig

        return XLNetConfig(vocab_size=vocab, d_model=32, n_layer=2, n_head=4, d_inner=64)
    if family == "mamba":  # a state-space model: no attention at all
        from transformers import MambaConfig

        return MambaConfig(vocab_size=vocab, hidden_size=32, num_hidden_layers=2, state_size=4)
    raise ValueError(family)


def make(family: str, folder: Path, seed: int = 0) -> Path:
    """Save a tiny random `family` model and the bundled tokenizer into `folder`."""
    import torch
    from transformers import AutoModel, AutoTokenizer
    from transformers.utils import logging as hf_logging

    from headscope import models

    hf_logging.disable_progress_bar()
    torch.manual_seed(seed)
    model = AutoModel.from_config(config_for(family))
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    AutoTokenizer.from_pretrained(models.bundled_path()).save_pretrained(folder)
    return folder


def make_all(root: Path) -> dict[str, Path]:
    """Every family's tiny model, in folders below root."""
    return {family: make(family, root / family) for family in ALL_FAMILIES}
