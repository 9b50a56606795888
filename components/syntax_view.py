"""Pieces of the Syntax heads and Head atlas pages: examples, arc diagram, rankings, atlas."""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from dataclasses import dataclass, replace
from typing import Collection, Iterator

import numpy as np
import streamlit as st

from components import answer_view, cached, downloads, faults, heatmaps, state, tables
from components import arc_diagram as arc_diagram_view
from components.state import Settings
from components.text import literal
from headscope import answer, arcs, atlas, canvas, corpus, panels, verdict, wording
from headscope.panels import head_name
from headscope.syntax import (
    DIRECTION_SHORT,
    RELATION_CHOICES,
    RELATION_NAMES,
    RelationScores,
    SyntaxScores,
    relation_label,
)
from headscope.wording import plural

TOP_HEADS = 4


@dataclass(frozen=True)
class Example:
    """An example sentence and what it shows."""

    text: str
    look_for: str


EXAMPLES = (
    Example(
        "The keys to the old cabinet are on the table.",
        "Subject far from its verb: *keys* is five words from *are*. Pick **nsubj**: a head "
        "that links them cannot be just looking at the word next door (the baseline scores 0).",
    ),
    Example(
        "The cat, black and sleek, sat on the mat.",
        "Adjective after its noun, behind a comma: pick **amod**; *black* modifies *cat* two "
        "words to its left, so a next-word head misses it.",
    ),
    Example(
        "The dog that the children adopted last spring sleeps all day.",
        "Relative clause: *dog* is the subject of *sleeps*, seven words away (**nsubj**), and "
        "*children* is the subject of *adopted*.",
    ),
    Example(
        "Which book did the teacher recommend to the class?",
        "Question: the object *book* comes before its verb *recommend* (**dobj**), and *did* "
        "is an auxiliary far from it (**aux**).",
    ),
    Example(
        "My brother's old bicycle was stolen from the garage.",
        "Possessives (**poss**: *brother* -> *bicycle*, past *'s* and *old*) and a passive.",
    ),
)


def _use_example(text: str) -> None:
    """Button callback: put an example into the sidebar's sentence box."""
    st.session_state["text"] = text


def examples(current_text: str) -> None:
    """One button per example sentence; under them, what to look for in the current one."""
    st.caption("Examples chosen to separate syntax from position; click one:")
    # one row, the long ones cut (a horizontal container wraps them to four rows at 1024 px)
    cols = st.columns(len(EXAMPLES))
    for i, (col, ex) in enumerate(zip(cols, EXAMPLES)):
        col.button(ex.text, key=f"example_{i}", on_click=_use_example, args=(ex.text,), width="stretch")
    for ex in EXAMPLES:
        if ex.text == current_text.strip():
            st.info(ex.look_for, icon=":material/search:")


def _arc_clicked() -> None:
    """Arc diagram callback: a click on an arc selects its relation."""
    relation = arc_diagram_view.picked("arc_diagram")
    if relation in RELATION_CHOICES:
        st.session_state[state.RELATION] = relation
    elif relation is not None:
        st.session_state["relation_note"] = "That relation is not one of the choices; pick one above."


def relation_picker() -> str:
    """The relation to score: a segmented control that an arc click can also set."""
    st.session_state.setdefault(state.RELATION, "nsubj")
    return (
        st.segmented_control(
            "Relation",
            options=RELATION_CHOICES,
            key=state.RELATION,
            help="; ".join(f"{relation_label(r)}: {RELATION_NAMES[r]}" for r in RELATION_CHOICES),
        )
        or "nsubj"
    )


def arc_diagram(ev: Evidence) -> None:
    """The parse as labelled arcs; the chosen relation's arcs in red; click an arc to pick its relation."""
    arc_diagram_view.show(ev.arcs, key="arc_diagram", name=f"arcs-{ev.relation}", on_pick=_arc_clicked)
    note = st.session_state.pop("relation_note", None)
    if note:
        st.caption(note)
    if ev.dropped:
        st.caption("Left out (no word piece covers them): " + literal(", ".join(ev.dropped)))


def attention_only(s: Settings) -> None:
    """For a text the parser cannot read: every head's attention, layer by layer, without arcs or rankings."""
    with faults.model_run():
        att = cached.attention_view(s)
    st.caption("No parse of this text, so no arcs, answer or rankings: every head's attention, layer by layer.")
    heatmaps.layer_view(s, att.num_layers)


def describe_baseline(rs: RelationScores) -> str:
    """One sentence on the best fixed offset for this relation in this sentence (the report says the same)."""
    return wording.baseline_sentence(rs, strong=lambda words: f"**{words}**")


def following_heads(corpus_atlas, relation: str) -> dict[tuple[int, int, str], None] | None:
    """The (layer, head, direction) that follow the relation over the corpus, best margin first (a dict used as
    an ordered set); None without a corpus verdict."""
    if corpus_atlas is None or relation not in corpus_atlas.relations:
        return None
    return dict.fromkeys((h.layer, h.head, h.direction) for h in corpus_atlas.relations[relation].verdict.follows)


def ranking_rows(
    rs: RelationScores,
    positional: dict[tuple[int, int], str],
    following: Collection[tuple[int, int, str]] | None,
    rows: int = 12,
    only_positional: bool = False,
) -> list[dict]:
    """This sentence's best heads for the relation, without (or only) the positional ones: built once per
    text in the cache (the Syntax heads page's `evidence`, Compare's ranking) and sent as a Markdown table."""
    heads = [h for h in rs.heads if ((h.layer, h.head) in positional) == only_positional][:rows]
    return [wording.ranking_row(h, rs, following, positional) for h in heads]  # as the report


def head_table(rows: list[dict], drop: tuple[str, ...] = ()) -> str:
    """A table of heads (`ranking_rows`, `follows_rows`) as the pages show it, in Markdown: columns named
    short (`wording.SHORT_NAMES`, explained by `wording.COLUMN_NOTES`), directions as arrows, `drop` left out."""
    rows = [{**row, "direction": DIRECTION_SHORT[row["direction"]]} for row in rows]
    names = dict.fromkeys(name for row in rows for name in row)
    return tables.markdown(rows, {c: wording.SHORT_NAMES.get(c, c) for c in names if c not in drop})


def follows_rows(rs: RelationScores, follows) -> list[dict]:
    """The heads that follow the relation over the corpus, with their numbers and this sentence's."""
    in_sentence = {(h.layer, h.head, h.direction): h for h in rs.heads}
    return [
        {
            "head": head_name(h.layer, h.head),
            "direction": h.direction,
            "accuracy (corpus)": round(h.accuracy, 3),
            "margin over the offset": round(h.margin, 3),
            "95% interval": f"[{h.margin_low:+.2f}, {h.margin_high:+.2f}]",
            **wording.sentence_row(in_sentence[(h.layer, h.head, h.direction)], rs),
        }
        for h in follows
    ]


@dataclass(frozen=True)
class Evidence:
    """Everything the Syntax heads page draws for one relation of one sentence, built once per (model, text,
    weighting, relation) in the shared cache: every view of a shared link gets it as is (tables already Markdown)."""

    relation: str
    arcs: dict  # the arc diagram's data (headscope.arcs.diagram)
    dropped: tuple[str, ...]  # words no word piece covers
    count: int  # the relation's arcs in this sentence; 0: nothing below the diagram
    answer: answer.Answer | None = None
    arcs_table: str = ""  # arc by arc: what each head that follows the relation does here, who finds it
    follows: str = ""  # the heads that follow it over the corpus (a Markdown table, components/tables.py)
    no_follows: str | None = None  # why there are none
    baseline: str = ""
    disagree: str | None = None  # sentence and corpus disagree
    ranking: str = ""
    positional_ranking: str = ""
    top_heads: dict | None = None  # the best heads' grid (headscope.canvas)


SHOWN_CORPUS_HEADS = 4
"""The arc table shows what this many of the heads that follow the relation do on each arc."""


def arc_rows(found: answer.Answer) -> list[dict[str, object]]:
    """Each arc of the sentence, and on it each head that follows the relation over the corpus: found or missed,
    the word it attends to most, its weight on the arc's other end, and who finds the arc here."""
    w, rows = found.words, []
    for e in found.arcs:
        finders = ", ".join(head_name(layer, h) for layer, h, _ in e.found_by[:4])
        more = f" +{len(e.found_by) - 4}" if len(e.found_by) > 4 else ""
        for k, h in enumerate(e.corpus_heads[:SHOWN_CORPUS_HEADS]):
            rows.append(
                {
                    "arc": f"{w[e.dependent]} \u2192 {w[e.head]}" if k == 0 else "",
                    "head": f"{head_name(h.layer, h.head)} {DIRECTION_SHORT[h.direction]}",
                    "here": "finds it" if h.found else "misses it",
                    "its top word": w[h.top_word],
                    "weight": round(h.weight, 2),
                    "without special": round(h.weight_without_special, 2),
                    "found here by": (finders + more or "no head") if k == 0 else "",
                }
            )
    return rows


ARC_NOTES = {
    "here": "whether the word it attends to most (itself and [CLS]/[SEP] left out) is the arc's other end: the rule",
    "weight": "its attention on the arc's other end",
    "without special": "the same once what goes to [CLS]/[SEP] is set aside",
    "found here by": "the heads whose top word is the arc's other end in this sentence, highest weight first",
}


@cached.shared
def evidence(model: str, text: str, weighting: str, relation: str, corpus: str | None) -> Evidence:
    """The Syntax heads page for one relation of one sentence (with the verdict over `corpus`, if not None)."""
    scores = cached.sentence_syntax(model, text, weighting)
    p = scores.words.parse
    rs = scores.relations[relation]
    base = Evidence(
        relation, arcs.diagram(p.words, p.arcs(), relation), tuple(scores.words.dropped_words), len(rs.arcs)
    )
    if not rs.arcs:
        return base
    positional = cached.positional_heads(model, text)
    corpus_atlas = cached.corpus_atlas(model, weighting, corpus) if corpus else None
    ra = corpus_atlas.relations.get(relation) if corpus_atlas is not None else None
    v = ra.verdict if ra is not None else None
    follows = v.follows if v is not None else ()
    following = following_heads(corpus_atlas, relation)
    no_follows = None
    if not follows and corpus_atlas is not None:
        no_follows = (
            f"None: no head beats the fixed offset on {relation} by the rule's margin over the corpus "
            f"({'positional in this model' if v is not None and v.verdict == verdict.POSITIONAL else 'no verdict'})."
        )
    top = next((h for h in rs.heads if (h.layer, h.head) not in positional), None)
    disagree = None
    if top is not None and following is not None and (top.layer, top.head, top.direction) not in following:
        others = ", ".join(head_name(h.layer, h.head) for h in follows[:3])
        disagree = (
            f"Sentence and corpus disagree: in this sentence **{head_name(top.layer, top.head)}** puts the most "
            f"attention on the {relation} arcs ({top.score:.2f}), but over the corpus it does not follow "
            f"{relation}"
            + (f"; {others} {'does' if len(follows) == 1 else 'do'}." if others else "; no head does.")
            + " One sentence is evidence, never a verdict."
        )
    found = answer.answer(corpus_atlas, relation, scores) if corpus_atlas is not None else None
    return replace(
        base,
        answer=found,
        arcs_table=tables.markdown(arc_rows(found)) if found is not None and found.arcs else "",
        follows=head_table(follows_rows(rs, follows)) if follows else "",
        no_follows=no_follows,
        baseline=describe_baseline(rs),
        disagree=disagree,
        ranking=head_table(ranking_rows(rs, positional, following), drop=("positional",)),
        positional_ranking=head_table(ranking_rows(rs, positional, following, rows=6, only_positional=True)),
        top_heads=top_heads_data(model, scores, rs, positional, following or {}),
    )


def verdict_sections(ev: Evidence) -> None:
    """The answer first: the heads that follow the relation over the corpus, then this sentence's
    evidence, then the positional heads apart."""
    answer_view.answer_line(ev.answer)
    if ev.arcs_table:
        st.markdown("#### Arc by arc: what those heads do in this sentence")
        tables.show(ev.arcs_table, notes=ARC_NOTES)
    st.markdown(f"#### Heads that follow {ev.relation} over the corpus")
    if ev.follows:
        tables.show(ev.follows, notes={"margin": wording.COLUMN_NOTES["margin"]})
    elif ev.no_follows:
        st.caption(ev.no_follows)
    st.markdown(f"#### In this sentence\n\n{ev.baseline}")
    if ev.disagree:
        st.info(ev.disagree, icon=":material/compare_arrows:")
    tables.show(ev.ranking, notes=wording.COLUMN_NOTES)
    st.markdown("#### Positional heads")
    st.caption(
        "Over half of their attention goes to the previous, the same or the next token in this sentence "
        "(Clark et al. 2019): whatever they score here, do not read it as syntax."
    )
    tables.show(ev.positional_ranking, empty="No positional head in this sentence.")


def top_heads_data(model: str, scores: SyntaxScores, rs: RelationScores, positional, following) -> dict:
    """Heatmaps (word level) of the heads that follow the relation, then this sentence's best non-positional
    ones, with the relation's arc cells outlined."""
    words_att = scores.words.as_attention(model)
    top, (badges, outlines) = answer.top_heads(scores, rs.relation, positional, following, TOP_HEADS)
    data = canvas.attention_grid(words_att, [(h.layer, h.head) for h in top], panels.LAYER_STYLE)
    return canvas.marked(data, badges, outlines)


def top_heads_figure(ev: Evidence) -> None:
    """The best heads' heatmaps, the relation's arcs outlined."""
    heatmaps.show(ev.top_heads, key="syntax_top_heads", name=f"{ev.relation}-best-heads")


def atlas_summary(a, relations: list[str]) -> list[dict]:
    """Per relation: its arcs, the verdict, the heads that follow it, the best head and the offset, in
    columns narrow enough to show whole at 1024 px (what each says: `ATLAS_NOTES`)."""
    rows = []
    for r in relations:
        ra = a.relations[r]
        follows = [head_name(*key) for key in ra.verdict.following_heads()]
        layer, head, _, accuracy = ra.best()
        rows.append(
            {
                "relation": relation_label(r),
                "arcs": ra.count,
                "verdict": ra.verdict.verdict,
                "followed by": "; ".join(follows[:3] + ([f"{len(follows) - 3} more"] if len(follows) > 3 else [])),
                "best head": f"{head_name(layer, head)} {accuracy:.2f}",
                "baseline": f"{ra.baseline_accuracy:.2f} at {ra.baseline_offset:+d}",
            }
        )
    return rows


ATLAS_NOTES = {
    "verdict": "follows: a head follows it (the rule under the table); positional: a fixed offset finds half or "
    "more of its arcs and no head does clearly better; none: neither; too_few: too few arcs to tell",
    "followed by": "the heads that follow it (their margins and 95% intervals: pick the relation under the table)",
    "best head": "the head with the best accuracy (better direction), and that accuracy",
    "baseline": "the best fixed offset: the share of arcs found by always picking the word that many places "
    "away (-1: the word before)",
}
"""What the atlas table's columns say, shown under it (`atlas_summary`'s columns are short enough to fit 1024 px)."""


UPLOAD = "upload"


def _picked_corpus() -> None:
    """Corpus picker callback: a shipped corpus picked here gives every page its verdicts."""
    if st.session_state["atlas_source"] in corpus.SOURCES:
        st.session_state[state.VERDICT_CORPUS] = st.session_state["atlas_source"]


def corpus_picker() -> str:
    """The Head atlas page's corpus: a shipped one (which then gives every page its verdicts) or an upload."""
    st.session_state.setdefault("atlas_source", state.verdict_corpus())
    names = {**{k: s.name for k, s in corpus.SOURCES.items()}, UPLOAD: "Upload my own"}
    choice = st.radio(
        "Corpus",
        list(names),
        format_func=names.get,
        horizontal=True,
        key="atlas_source",
        on_change=_picked_corpus,
    )
    st.caption(
        "The verdicts on every page (the answer, the badges, the roles) come from the corpus picked here: "
        f"by default the gold treebank. Now: **{corpus.SOURCES[state.verdict_corpus()].name}**."
    )
    return choice


def ordered_relations(a) -> list[str]:
    """The atlas's relations: the usual ones first, then the rest by frequency."""
    first = [r for r in RELATION_CHOICES if r in a.relations]
    rest = sorted((r for r in a.relations if r not in first), key=lambda r: -a.relations[r].count)
    return first + rest


def atlas_view(a, key: str) -> None:
    """The atlas: the summary table and one relation's layer x head grid."""
    relations = ordered_relations(a)
    st.markdown(
        f"**{literal(a.corpus)}**: {plural(a.sentences, 'sentence')}, {plural(a.words, 'word')}, "
        f"model **{literal(a.model)}**."
    )
    positional = a.positional_heads()
    tables.show(tables.markdown(atlas_summary(a, relations)), notes=ATLAS_NOTES)
    st.caption(f"Verdicts from this corpus, none from the sentence in the sidebar. {verdict.RULE}")
    if positional:
        st.caption(
            "Positional heads over this corpus (over half of a token's attention on one fixed "
            "neighbour): " + ", ".join(f"{head_name(*k)} {v}" for k, v in sorted(positional.items()))
        )
    relation = st.selectbox(
        "Relation to map",
        relations,
        key=f"{key}_relation",
        format_func=lambda r: f"{relation_label(r)}{': ' + RELATION_NAMES[r] if r in RELATION_NAMES else ''} "
        f"({plural(a.relations[r].count, 'arc')})",
    )
    ra = a.relations[relation]
    st.markdown(f"**Position or syntax?** {relation}'s adjacent and distant arcs apart:")
    tables.show(tables.markdown(answer.split_rows(ra)))
    st.caption(answer.SPLIT_NOTE)
    margins = "; ".join(
        f"{head_name(h.layer, h.head)} {DIRECTION_SHORT[h.direction]} +{h.margin:.3f} "
        f"[{h.margin_low:+.3f}, {h.margin_high:+.3f}]"
        for h in ra.verdict.follows
    )
    st.caption(
        f"Heads that follow {relation}, with their margin over the baseline and its 95% interval: {margins}."
        if margins
        else f"No head follows {relation} (verdict: {ra.verdict.verdict})."
    )
    title = (
        f"{relation}: each head's accuracy; offset {ra.baseline_offset:+d} = {ra.baseline_accuracy:.2f}; \u2605 follows"
    )
    follows = np.zeros(ra.best_direction_accuracy.shape, dtype=bool)
    for h in ra.verdict.follows:
        follows[h.layer, h.head] = True
    acc = ra.best_direction_accuracy
    text = [
        [f"{acc[layer, h]:.2f}" + ("\u2605" if follows[layer, h] else "") for h in range(acc.shape[1])]
        for layer in range(acc.shape[0])
    ]
    hover = [
        [
            f"{head_name(layer, h)}: accuracy {acc[layer, h]:.3f}" + (" \u00b7 follows it" if follows[layer, h] else "")
            for h in range(acc.shape[1])
        ]
        for layer in range(acc.shape[0])
    ]
    data = canvas.heads_grid(
        acc, title, canvas.Scale("accuracy"), text=text, hover=hover, marks=follows, clickable=False
    )
    heatmaps.show(data, key=f"{key}_grid", name=f"atlas-{relation}")
    if a.truncated:
        st.caption(
            f"{plural(a.truncated, 'sentence')} {'was' if a.truncated == 1 else 'were'} longer than the "
            "model reads: only their first tokens were scored, and arcs to the words past them left out."
        )
    downloads.atlas_buttons(a, key)


@dataclass
class AtlasJob:
    """An uploaded corpus's atlas being computed in this session: parsed once, scored in resumable steps."""

    key: str
    corpus: corpus.Corpus | None = None
    tally: atlas.Tally | None = None
    stopped: bool = False


def _stop(job: AtlasJob) -> None:
    """Stop button callback: the running computation is interrupted at its next progress step."""
    job.stopped = True


def _go_on(job: AtlasJob) -> None:
    """Go on button callback: the next run carries on from the sentences already scored."""
    job.stopped = False


@contextmanager
def _cleared_on_failure(*slots) -> Iterator[None]:
    """Empty the Stop button and the progress bar when the engine fails (a Stop's rerun redraws the page anyway)."""
    try:
        yield
    except Exception:
        for slot in slots:
            slot.empty()
        raise


def uploaded_atlas(model: str, upload, limits) -> "atlas.Atlas | None":
    """The atlas of an uploaded corpus: parsed and scored with a progress bar and a Stop button.

    Clicking Stop reruns the page, which interrupts the computation at its next progress
    step (Streamlit stops a run at its next element when a rerun is asked for); what was
    scored is kept, shown as a partial atlas, and *Go on* carries on from there.
    Returns None when stopped (the partial atlas is drawn here) or nothing could be shown.
    """
    data = upload.getvalue()
    key = hashlib.sha256(data).hexdigest()[:16] + model
    results = st.session_state.setdefault("atlas_results", {})
    if key in results:
        return results[key]
    job = st.session_state.get("atlas_job")
    if job is None or job.key != key:
        job = st.session_state["atlas_job"] = AtlasJob(key=key)
    if job.stopped:
        _stopped(job, model)
        return None
    stop = st.empty()
    stop.button(
        "Stop",
        key="atlas_stop",
        icon=":material/stop_circle:",
        on_click=_stop,
        args=(job,),
        help="Stop computing; what is scored so far is kept and shown.",
    )
    bar = st.progress(0.0, text="Reading the corpus…")
    with faults.guard("Cannot read this corpus"), _cleared_on_failure(stop, bar):
        loaded = cached.loaded_model(model)
        if job.corpus is None:
            job.corpus = corpus.read_upload(
                data,
                upload.name,
                policy=limits,
                count_tokens=atlas.token_counter(loaded),
                progress=lambda done, total: bar.progress(
                    min(1.0, done / total), text=f"Parsing: {done:,}/{total:,} sentences"
                ),
            )
    job.tally = job.tally or atlas.Tally()
    with faults.guard("Cannot score this corpus"), _cleared_on_failure(stop, bar):
        try:
            result = atlas.compute(
                loaded,
                job.corpus,
                tally=job.tally,
                progress=lambda done, total: bar.progress(
                    min(1.0, done / total), text=f"Scoring every head: {done:,}/{total:,} sentences"
                ),
            )
        except Exception:  # e.g. out of memory: nothing is kept, the next try starts over
            st.session_state.pop("atlas_job", None)
            raise
    stop.empty()
    bar.empty()
    results.clear()  # keep one uploaded atlas per session
    results[key] = result
    st.session_state.pop("atlas_job", None)
    return result


def _stopped(job: AtlasJob, model: str) -> None:
    """What a stopped computation shows: how far it got, Go on, and the atlas of what was scored."""
    total = len([p for p in job.corpus.parses if p.words]) if job.corpus else None
    done = job.tally.done if job.tally else 0
    where = f"after {done:,} of {total:,} sentences" if total is not None else "while parsing"
    st.warning(f"Stopped {where}.", icon=":material/stop_circle:")
    st.button("Go on", key="atlas_go_on", icon=":material/play_arrow:", on_click=_go_on, args=(job,))
    if job.tally and job.tally.done:
        try:
            partial = job.tally.atlas(model, job.corpus.name)
        except atlas.NoArcs:
            return
        st.caption("The atlas of the sentences scored so far (the longest first):")
        atlas_view(partial, key="atlas_partial")
