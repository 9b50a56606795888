"""Explanations shown on the pages, kept apart from the page code."""

import re

_MARKDOWN_SPECIAL = re.compile(r"[!-/:-@\[-`{-~]")


def literal(text: str) -> str:
    """User text for st.markdown shown as typed: every ASCII punctuation mark backslash-escaped.

    CommonMark lets any ASCII punctuation be escaped, so links, emphasis, entities (&lt;),
    autolinks, Streamlit's :colour[...] and $math$ all stay plain characters.
    """
    return _MARKDOWN_SPECIAL.sub(lambda m: "\\" + m.group(), text)


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

TOUR = """
**1. Tokens.** The model cuts your sentence into *tokens*: words, or pieces of long words
(*unbelievably* becomes *un ##bel ##ie ##va ##bly*). They are the labels on both sides of
every square below. [See a long word cut up](?text=Tokenization+is+unbelievably+straightforward.)

**2. A head is one habit of looking.** Each square is a *head*: for every token (a row) it
shares out 100% of its attention over the tokens (the columns). Bright = a lot. Head L0H2
always looks one word to the left: [open it big](present?present=head&player=0&phead=2)
and press → to walk through the others.

**3. Q, K and V in one picture.** Every token asks a question (its *query*, Q), every
token offers a label (its *key*, K); the better a key matches the query, the more
attention it gets. What is passed along is the token's *value*, V.
[See the real numbers for one head](inside?ilayer=0&ihead=2).

**4. What to look for.** Some heads follow grammar, not position: in *The keys to the old
cabinet are on the table*, a head that links *keys* with *are* (five words apart) knows
who the subject is. [Find that head](syntax?text=The+keys+to+the+old+cabinet+are+on+the+table.&relation=nsubj).

**5. Try your own.** Change one word and see which heads change:
[compare two sentences](compare?text=The+cat+sat+on+the+mat.&ctext=The+dog+sat+on+the+rug.).
"""
