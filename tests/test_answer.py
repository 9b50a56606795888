"""The answer on the Heads page: the corpus verdict in words, badges, and a relation's arcs outlined."""

from __future__ import annotations

import re

import pytest

from headscope import answer, atlas, attention, syntax, verdict, words
from tests.conftest import SENTENCE
from tests.support import app_grids, app_tables, run_app

KEYS = "The keys to the old cabinet are on the table."


def _plain(markdown: str) -> str:
    """Text written for st.markdown through components.text.literal, as a reader sees it."""
    return re.sub(r"\\(.)", r"\1", markdown)


@pytest.fixture(scope="module")
def corpus_atlas(loaded):
    return atlas.shipped(loaded)


def test_arc_cells_follow_the_tokens_on_screen(cat):
    """cat -nsubj-> sat: row cat, column sat; the same arc at word level and without special tokens."""
    p = syntax.parse(SENTENCE)
    assert answer.arc_cells(cat, p, "nsubj") == [(3, 4, 3, 4)]  # [CLS] the black cat sat
    assert answer.arc_cells(cat, p, "nsubj", "head->dependent") == [(4, 3, 4, 3)]
    assert answer.arc_cells(attention.without_special(cat), p, "nsubj") == [(2, 3, 2, 3)]
    assert sorted(answer.arc_cells(cat, p, "det")) == [(1, 3, 1, 3), (6, 7, 6, 7)]  # the->cat, the->mat


def test_arc_cells_span_every_piece_of_a_split_word(loaded):
    att = attention.run(loaded, "The unbelievably tall tower stood.")
    p = syntax.parse(att.text)
    pieces = [i for i, t in enumerate(att.tokens) if t in ("un", "##bel", "##ie", "##va", "##bly")]
    [(r0, c0, r1, c1)] = answer.arc_cells(att, p, "advmod")
    assert (r0, r1) == (min(pieces), max(pieces)) and att.tokens[c0] == "tall" == att.tokens[c1]
    merged = words.merge(att)
    [(r0, c0, r1, c1)] = answer.arc_cells(merged, p, "advmod")
    assert merged.tokens[r0] == "unbelievably" and r0 == r1 and merged.tokens[c0] == "tall"


def test_the_answer_for_subject_verb_and_adjective_noun(corpus_atlas, loaded):
    att = attention.run(loaded, KEYS)
    scores = syntax.score_sentence(att, syntax.parse(KEYS))
    nsubj = answer.answer(corpus_atlas, "nsubj", scores)
    assert nsubj.verdict.verdict == verdict.FOLLOWS and nsubj.focus == (2, 8)
    text = nsubj.text()
    assert text.startswith("subject -> verb (nsubj): over 3,827 sentences of UD English-EWT dev+test (gold) ")
    assert "the best, L2H8 (dep\u2192head), finds 0.59 of them" in text and "95% interval" in text
    [e] = nsubj.arcs
    on = e.corpus_heads[0]
    assert (e.dependent, e.head, on.layer, on.head, on.found) == (1, 6, 2, 8, False)  # keys (1) -> are (6)
    assert on.weight == pytest.approx(float(scores.words.weights[2, 8, 1, 6]))
    assert scores.words.parse.words[on.top_word] == "to"
    assert (
        "L2H8 misses \u201ckeys\u201d \u2192 \u201care\u201d: \u201ckeys\u201d attends most to \u201cto\u201d" in text
    )
    amod = answer.answer(corpus_atlas, "amod", scores)
    assert amod.verdict.verdict == verdict.FOLLOWS
    assert "against 0.75 for always looking 1 word to the right" in amod.text()
    assert "L2H8 finds \u201cold\u201d \u2192 \u201ccabinet\u201d" in amod.text()
    assert answer.answer(corpus_atlas, "nsubj", None).arcs == ()
    assert [row["arcs"] for row in amod.split] == ["adjacent", "distant"]


def test_badges_come_from_the_corpus(corpus_atlas, cat, loaded):
    b = answer.badges(corpus_atlas, "nsubj", answer.sink_names(cat))
    assert b[(2, 8)] == "follows nsubj"
    assert b[(0, 2)] == "previous token"  # over half of its attention on the previous token, over the corpus
    sinks = {k for k, v in b.items() if v == "[CLS]"}
    assert sinks and all(corpus_atlas.stats.special[k] > 0.5 for k in sinks)
    assert answer.badges(corpus_atlas, "amod", {}).get((2, 8)) == "follows amod"  # on gold data, it does
    simple = atlas.shipped(loaded, "simple")
    assert answer.badges(simple, "amod", {}).get((2, 8)) != "follows amod"  # positional over the simple sentences
    assert "follows" not in " ".join(answer.badges(corpus_atlas, None, {}).values())


def test_heads_page_outlines_the_arcs_and_titles_the_heads():
    app = run_app()
    grid = app_grids(app)[0]
    panels = {p["name"]: p for p in grid["panels"]}
    assert panels["L2H8"]["badge"] == "follows nsubj"
    assert panels["L2H8"]["outlines"] == [[3, 4, 3, 4]]  # cat -> sat, in every panel
    assert all(p["outlines"] for p in grid["panels"])
    [info] = [_plain(i.value) for i in app.info]
    assert info.startswith("subject -> verb (nsubj): over 3,827 sentences")
    assert "In this sentence L2H8 misses \u201ccat\u201d \u2192 \u201csat\u201d" in info
    app.selectbox(key="show_links").set_value("amod").run()
    grid = app_grids(app)[0]
    assert "In this sentence L2H8 finds \u201cblack\u201d \u2192 \u201ccat\u201d" in _plain(app.info[0].value)
    assert [p["name"] for p in grid["panels"] if p["badge"] == "follows amod"] == ["L2H8"]
    assert {tuple(o) for p in grid["panels"] for o in p["outlines"]} <= {(2, 3, 2, 3), (3, 2, 3, 2)}  # black -> cat
    app.selectbox(key="show_links").set_value("none").run()
    grid = app_grids(app)[0]
    assert not app.info and not any(p["outlines"] for p in grid["panels"])
    assert any(p["badge"] == "previous token" for p in app_grids(run_app(layer=0))[0]["panels"])


def test_the_report_gives_the_same_answer(corpus_atlas, loaded):
    import html

    from headscope import report

    att = attention.run(loaded, KEYS)
    scores = syntax.score_sentence(att, syntax.parse(KEYS))
    page = report.build(att, scores, corpus_atlas=corpus_atlas)
    assert html.escape(answer.answer(corpus_atlas, "nsubj", scores).text()) in page
    assert html.escape(verdict.RULE) in page and "follows (corpus)" in page
    assert "<td>L2H8</td><td>dependent-&gt;head</td>" in page or "L2H8" in page
    assert "follows (corpus)" not in report.build(att, scores)  # without the atlas: the sentence only


def test_show_links_travels_in_the_link():
    from tests.support import linked_app

    app = linked_app({"links": "amod"})
    assert app.selectbox(key="show_links").value == "amod" and dict(app.query_params).get("links") == "amod"
    assert _plain(app.info[0].value).startswith("adjective -> noun (amod)")
    app.selectbox(key="show_links").set_value("nsubj").run()
    assert "links" not in dict(app.query_params)  # the default is left out
    app = linked_app({"links": "nmod"})
    assert app.selectbox(key="show_links").value == "nsubj"
    assert any("links" in w.value and "nmod" in w.value for w in app.warning)


def test_one_verdict_on_every_page_the_report_and_the_cli(corpus_atlas, loaded):
    """The heads that follow nsubj (and amod: none) are the same on Heads, Syntax heads, Model overview,
    Head atlas, the report and the CLI: all read headscope.verdict."""
    import html as html_lib
    import json

    from headscope import report
    from tests.support import headscope, on_page

    def head(name: str) -> tuple[int, int]:
        layer, number = name[1:].split("H")
        return int(layer), int(number)

    for relation in ("nsubj", "amod"):
        v = corpus_atlas.relations[relation].verdict
        expected = set(v.following_heads())
        pairs = {(h.layer, h.head, h.direction) for h in v.follows}
        assert expected
        grid = app_grids(run_app(text=KEYS, all_layers=True, show_links=relation))[0]
        on_heads = {(p["layer"], p["head"]) for p in grid["panels"] if p["badge"] == f"follows {relation}"}
        syntax_page = on_page("pages/syntax.py", text=KEYS, relation=relation)
        follows_table = next(t for t in app_tables(syntax_page) if "95% interval" in t)
        on_syntax = {head(n) for n in follows_table["head"]}
        overview = on_page("pages/overview.py", text=KEYS, overview_all_heads=True).dataframe[0].value
        on_overview = {
            head(n) for n, rels in zip(overview["head"], overview["follows (corpus)"]) if relation in rels.split(", ")
        }
        atlas_table = app_tables(on_page("pages/atlas.py"))[0]
        listed = atlas_table[atlas_table["relation"] == relation].iloc[0]["followed by"]
        on_atlas = {head(part.split()[0]) for part in listed.split("; ") if part and "more" not in part}
        more = [int(part.split()[0]) for part in listed.split("; ") if "more" in part]  # the table names three
        assert len(on_atlas) + sum(more) == len(expected) and on_atlas <= expected
        on_atlas = expected if more else on_atlas
        att = attention.run(loaded, KEYS)
        page = report.build(att, syntax.score_sentence(att, syntax.parse(KEYS)), corpus_atlas=corpus_atlas)
        in_report = html_lib.unescape(page).split(f"<h3>{relation}:")[1].split("<h3>")[0]
        rows = re.findall(  # head, direction, three numbers on this sentence, then follows (corpus)
            r"<tr><td>(L\d+H\d+)</td><td>([^<]*)</td>(?:<td>[^<]*</td>){3}<td>(yes|no)</td>", in_report
        )
        cli = json.loads(headscope("atlas", "--format", "json").stdout)["relations"][relation]["follows"]
        on_cli = {(h["layer"], h["head"]) for h in cli}
        syntax_cli = json.loads(headscope("syntax", KEYS, "--format", "json").stdout)["relations"][relation]["heads"]
        assert on_heads == on_syntax == on_overview == on_atlas == on_cli == expected, relation
        assert {(h["layer"], h["head"], h["direction"]) for h in syntax_cli if h["follows"]} <= pairs
        assert rows and all((answer_ == "yes") == ((*head(n), d) in pairs) for n, d, answer_ in rows)


def test_the_norms_switch_weighs_every_heatmap_and_the_answer(loaded):
    """Weigh by what heads move: the grid shows norms.run's values on a scale to their maximum, and the answer
    comes from the atlas scored on them."""
    import base64

    import numpy as np

    from headscope import atlas as atlas_module
    from headscope import canvas, norms

    app = run_app(norm_weighted=True, layer=0)
    grid = app_grids(app)[0]
    expected = norms.run(loaded, SENTENCE)
    zmax = grid["scale"]["hi"]
    assert zmax == pytest.approx(float(expected.weights.max()), rel=1e-6) and zmax > 1
    levels = np.frombuffer(base64.b64decode(grid["panels"][5]["cells"]), dtype="<u2").reshape(10, 10)
    assert np.allclose(levels / canvas.LEVELS * zmax, expected.weights[0, 5], atol=zmax / canvas.LEVELS)
    norms_atlas = atlas_module.shipped(loaded, weighting="norms")
    said = _plain(app.info[0].value)
    assert said == answer.answer(norms_atlas, "nsubj", syntax.score_sentence(expected, syntax.parse(SENTENCE))).text()
    assert dict(app.query_params).get("norms") == "1"
    assert app_grids(run_app(layer=0))[0]["scale"]["hi"] == 1.0  # attention weights: the scale stays 0 to 1


def test_the_verdict_corpus_travels_in_the_link():
    """The simple sentences, picked on the Head atlas page, give every page its verdicts; a link carries them."""
    from tests.support import linked_app

    app = linked_app({"verdicts": "simple"})
    said = _plain(app.info[0].value)
    assert said.startswith("subject -> verb (nsubj): over 362 sentences of simple sentences (parsed)")
    assert dict(app.query_params).get("verdicts") == "simple"
    app = linked_app({"verdicts": "nonsense"})
    assert _plain(app.info[0].value).startswith("subject -> verb (nsubj): over 3,827 sentences of UD English-EWT")
    assert any("verdicts" in w.value and "nonsense" in w.value for w in app.warning)
