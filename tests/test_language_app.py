"""Text that is not English, in the app under AppTest: one notice on every page, heatmaps drawn, no parse drawn."""

from __future__ import annotations

import pytest

from tests.support import app_arcs, app_grids, app_tables, heads_drawn, on_page, run_app, texts
from tests.test_language import FOREIGN

NAMES = {"de": "German", "fr": "French", "ja": "Japanese"}


def notices(app) -> list[str]:
    """The language notices on the page (one expected, or none)."""
    return [t for t in texts(app.warning) if "the parser reads English only" in t]


def no_outlines(app) -> bool:
    """No head of any grid has a relation's arcs outlined."""
    return not any(p.get("outlines") for g in app_grids(app) for p in g["panels"])


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_heads_page_says_so_and_draws_the_heatmaps_without_outlines_or_answer(code):
    app = run_app(text=FOREIGN[code])
    assert notices(app) == [
        f"This text looks like {NAMES[code]}, and the parser reads English only: the heatmaps show its "
        "attention, but no parse, relation outlines, answers or rankings are drawn for it. Type an English "
        "sentence to see those."
    ]
    assert heads_drawn(app) == 12 and no_outlines(app)
    assert not app.error and not app.info  # no error box, no answer line
    assert "How is this decided? What do the outlines and badges mean?" not in [e.label for e in app.main.expander]
    assert any("the parser reads English only (see the note at the top" in c for c in texts(app.caption))


@pytest.mark.parametrize("code", sorted(FOREIGN))
def test_syntax_page_says_so_and_draws_every_heads_attention_instead_of_arcs_and_rankings(code):
    app = on_page("pages/syntax.py", text=FOREIGN[code])
    assert len(notices(app)) == 1 and NAMES[code] in notices(app)[0]
    grids = app_grids(app)
    assert grids and heads_drawn(app) == 12 and no_outlines(app)
    assert not app_arcs(app) and not app_tables(app) and not app.error and not app.info
    assert not app.get("segmented_control")  # no relation to pick


def test_english_with_a_name_and_an_emoji_gets_no_notice_and_its_answer():
    app = run_app(text="Müller met Zoë at the café 😀")
    assert not notices(app) and app.info  # the answer line
    app = on_page("pages/syntax.py", text="Müller met Zoë at the café 😀")
    assert not notices(app) and app_arcs(app)


@pytest.mark.parametrize(
    "page", ["pages/atlas.py", "pages/overview.py", "pages/inside.py", "pages/rollout.py", "pages/compare.py"]
)
def test_every_other_page_carries_the_one_notice(page):
    app = on_page(page, text=FOREIGN["de"])
    assert len(notices(app)) == 1 and "German" in notices(app)[0]
    assert not app.error


def test_presentation_draws_the_head_without_outlines_or_answer():
    app = on_page("pages/present.py", text=FOREIGN["fr"], show_links="amod")
    assert len(notices(app)) == 1 and app_grids(app) and no_outlines(app)
    assert not app.error


def test_knockout_runs_without_arcs_and_says_why():
    app = on_page("pages/knockout.py", text=FOREIGN["de"], knockout_heads=["L2H8"])
    assert len(notices(app)) == 1 and not app.error
    assert any(c.startswith("No arcs: the parser reads English only") for c in texts(app.caption))
    assert any(m.label.startswith("Cosine") for m in app.metric)  # the knockout itself ran


def test_compare_ranks_the_english_side_and_says_why_not_the_other():
    app = on_page("pages/compare.py", text=FOREIGN["de"], compare_tab="Head ranking")
    assert not app.error
    assert any("Cannot rank the heads: the parser reads English only" in c for c in texts(app.caption))


def test_the_report_of_german_has_its_heatmaps_and_says_why_it_has_no_syntax_part():
    from components import downloads
    from components.state import Settings
    from headscope.models import BUNDLED_ID

    s = Settings(model=BUNDLED_ID, text=FOREIGN["de"], whole_words=False, hide_special=False, target="", kind="encoder")
    html = downloads.report_html(s)
    assert "L0H0" in html and "hs-arcs" not in html
    assert "This text looks like German, and the parser reads English only" in html


def test_atlas_page_refuses_a_german_plain_text_corpus_naming_english():
    app = on_page("pages/atlas.py", atlas_source="upload")
    german = "Der Hund schläft im Garten.\nDie Katze sitzt auf der Matte.\nWir fahren morgen nach Berlin.\n"
    app.file_uploader(key="atlas_upload").upload("mein.txt", german.encode()).run()
    assert not app.exception and not notices(app)  # the sentence is English: no notice at the top
    assert texts(app.error) == [
        "Cannot read this corpus: mein.txt looks like German, and the parser reads English only: upload English "
        "sentences, one a line (a .conllu treebank brings its own parses)."
    ]
    assert not app_tables(app)
