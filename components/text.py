"""Explanations shown on the pages, kept apart from the page code."""

HEATMAP_HELP = """
A transformer reads a sentence as a row of **tokens** (words or pieces of words). In every
layer, each token builds its next representation by *looking at* the other tokens. An
**attention head** is one such way of looking: for every token it hands out 100% of its
attention across all tokens, and each layer has several heads that each learn their own
habit: one may look at the previous word, one at the verb of the sentence, one at nothing
in particular (it parks its attention on the special token `[CLS]`).

**Reading a heatmap.** The row is the token doing the looking (*attends from*); the
column is the token being looked at (*attends to*). Each row adds up to 1. A bright
diagonal just below the middle means "look one token to the left"; a bright column means
every token looks at the same token. Hover over a cell to see the exact weight.

`[CLS]` and `[SEP]` are special tokens the model adds at the start and end; switch on
*Hide special tokens* in the sidebar to drop them and rescale each row. *Whole words*
merges word pieces (such as `un ##bel ##ie ##va ##bly`) into words.
"""
