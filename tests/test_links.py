"""Links the app reads and writes (components/links.py), and the sentence box's limit (components/sidebar.py).

One rule for a link's values: each is used as given, or left out with a notice in plain
words, and what is left out also leaves the address bar (the URL is the view shown). A
link the app writes stays under links.MAX_QUERY, so that every proxy in front lets it
through. The sentence box takes text of any length and says when it cuts it.
"""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from components import links
from headscope import models
from tests.support import app_grids, heads_drawn, linked_app, run_app, texts

CHINESE = ("天地玄黃宇宙洪荒日月盈昃辰宿列張" * 1_000)[:15_001]
"""15,001 characters, under the 20,000 the app reads; 135,009 bytes once URL-encoded."""
PYTHON_WORDS = ("invalid literal", "int()", "base 10", "Error", "Traceback")


def said(app) -> str:
    """The warnings of a run (main area and sidebar), as the user reads them."""
    return " ".join(texts(app.warning) + texts(app.sidebar.warning))


DEFAULT_VIEW = "L2H0"
"""The Heads page opens on the layer of the head that follows nsubj (test_answer.py)."""


def layer_shown(app) -> str:
    return app_grids(app)[0]["panels"][0]["name"]


def url(app) -> dict:
    """The address bar's parameters after the run, but for numbers at 0 (the sliders' start)."""
    return {k: v for k, v in app.query_params.items() if v != "0"}


def test_a_repeated_parameter_is_left_out_with_a_notice():
    app = linked_app({"layer": ["1", "2"], "words": "1"})
    assert "Ignored layer from the link: it is given 2 times ('1', '2'), and a link gives each setting once" in said(
        app
    ), said(app)
    assert layer_shown(app) == DEFAULT_VIEW  # neither 1 nor 2: the page's default
    assert url(app) == {"words": "1"}  # and the address bar no longer holds it


@pytest.mark.parametrize("raw", ["\uff11", "\u0661", "two", " 1", "1_0", "\u00b2", "1.0", ""])
def test_a_number_is_ascii_digits_only(raw):
    app = linked_app({"layer": raw})
    notice = said(app)
    reason = "no value" if raw == "" else "not a number written with the digits 0 to 9"
    assert f"Ignored layer={raw!r} from the link ({reason})" in notice, notice
    assert not [w for w in PYTHON_WORDS if w in notice], notice
    assert layer_shown(app) == DEFAULT_VIEW
    assert url(app) == {}


@pytest.mark.parametrize("raw", ["9" * 5_000, "10001", "-1"])
def test_a_number_out_of_range_says_so_in_words(raw):
    app = linked_app({"ilayer": raw})
    notice = said(app)
    assert f"Ignored ilayer={raw[:40]!r}{'…' if len(raw) > 40 else ''} from the link (out of range)." in notice, notice
    assert not [w for w in PYTHON_WORDS if w in notice], notice  # int() of 5,000 digits raises in Python 3.11
    assert app.query_params.get("ilayer", "0") == "0"


def test_a_layer_and_head_the_model_lacks_are_reset_in_the_address_bar_too():
    app = linked_app({"ilayer": "6", "ihead": "12"}, "pages/inside.py")
    notice = said(app)
    assert "Layer 6 does not exist in this model (0 to 5); showing layer 0" in notice, notice
    assert "Head 12 does not exist in this model (0 to 11); showing head 0" in notice, notice
    assert any("L0H0" in c.value for c in app.caption if c.value.startswith("Check:"))
    assert app.query_params["ilayer"] == app.query_params["ihead"] == "0"


@pytest.mark.parametrize(
    "page, params, key",
    [
        ("pages/present.py", {"present": "head", "player": "9", "phead": "99"}, "player"),
        ("pages/rollout.py", {"rlayer": "6"}, "rlayer"),
    ],
)
def test_every_page_resets_its_numbers_in_the_address_bar(page, params, key):
    app = linked_app(params, page)
    assert "does not exist in this model" in said(app), said(app)
    assert app.query_params[key] == "0" and "9" not in "".join(app.query_params.values())


def test_a_comparison_model_the_server_does_not_offer_gets_a_notice():
    # the notices show on the link's first run (linked_app's page switch is a second run)
    notice = said(linked_app({"cmode": "models", "cmodel": "/etc"}))
    assert "Ignored cmodel='/etc' from the link (not a model this server offers for comparison)" in notice, notice
    app = linked_app({"cmode": "models", "cmodel": "/etc"}, "pages/compare.py")
    assert app.query_params.get("cmodel") != "/etc"
    assert app.selectbox(key="compare_model").value != "/etc"
    assert said(linked_app({"cmode": "models", "cmodel": models.BUNDLED_ID})) == ""


def test_notices_quote_no_python():
    app = linked_app({"layer": "x", "clayer": "1e3", "words": "yes", "kind": "up", "relation": "<b>"})
    notice = said(app)
    assert notice.count("Ignored") == 5, notice
    assert not [w for w in PYTHON_WORDS if w in notice], notice
    assert url(app) == {}


def test_a_link_with_a_text_longer_than_the_app_reads_opens_with_a_notice():
    app = linked_app({"text": CHINESE + CHINESE[:5_000], "layer": "3"})
    assert "longer than 20,000 characters" in said(app), said(app)
    assert app.sidebar.text_area(key="text").value == "The black cat sat on the mat."
    assert heads_drawn(app) == 12 and layer_shown(app) == "L3H0"
    assert url(app) == {"layer": "3"}


def test_a_long_text_stays_out_of_the_link_and_the_share_box_says_why():
    app = run_app(text=CHINESE)
    assert "text" not in app.query_params
    assert len(urlencode(app.query_params)) <= links.MAX_QUERY
    app.session_state["share_open"] = True
    app.run()
    box = app.sidebar.expander[0]
    assert "text=" not in box.code[0].value
    assert (
        "The sentence is too long to travel in a link (15,001 characters): the link opens this view "
        "with the default sentence. Send the text separately."
    ) in texts(box.warning)


def test_the_link_keeps_the_text_up_to_the_limit_and_leaves_out_the_longest_first():
    fits = "a" * (links.MAX_QUERY - len("text="))  # the slider's layer is the page's default: not in the link
    app = run_app(text=fits)
    assert url(app) == {"text": fits} and not app.sidebar.expander[0].warning
    assert len(urlencode(app.query_params)) == links.MAX_QUERY
    app = run_app(text=fits + "a")
    assert url(app) == {}
    # two texts: the longer one stays out, the other travels
    app = run_app(text="Short one.", compare_mode="sentences", compare_text="b" * links.MAX_QUERY)
    app.switch_page("pages/compare.py").run()
    assert app.query_params["text"] == "Short one." and "ctext" not in app.query_params
    assert any("The second sentence is too long to travel in a link" in w for w in texts(app.sidebar.warning))


def test_text_typed_over_the_limit_is_cut_with_a_message():
    app = run_app()
    app.sidebar.text_area(key="text").input("a" * 20_001).run()
    assert (
        "The text had 20,001 characters, more than the limit of 20,000: only its first 20,000 characters are kept."
    ) in " ".join(texts(app.sidebar.warning))
    assert app.sidebar.text_area(key="text").value == "a" * 20_000
    assert heads_drawn(app) == 12  # the app goes on with the text it kept
    app.sidebar.text_area(key="text").input("Dogs bark.").run()
    assert not app.sidebar.warning


def test_the_second_sentence_over_the_limit_is_cut_with_a_message():
    app = run_app(compare_text="b" * 20_005)
    app.switch_page("pages/compare.py").run()
    assert any("The text had 20,005 characters" in w for w in texts(app.warning))
    assert app.text_area(key="compare_text").value == "b" * 20_000


def test_a_newline_typed_at_the_end_of_the_sentence_stays_out_of_the_text_and_the_link():
    app = run_app()
    app.sidebar.text_area(key="text").set_value("The cat sat.\n").run()
    assert app.sidebar.text_area(key="text").value == "The cat sat."
    assert dict(app.query_params)["text"] == "The cat sat."
    app.sidebar.text_area(key="text").set_value("First line.\nSecond line.").run()  # a newline inside stays
    assert dict(app.query_params)["text"] == "First line.\nSecond line."


# --- every refused value gets a notice, and leaves the address bar (issue 28) ---------------


@pytest.mark.parametrize("name", ["L99H99", "L0H12", "L6H0"])
def test_a_head_the_model_lacks_is_not_opened_with_a_notice(name):
    app = linked_app({"head": name})
    notice = said(app)
    assert f"Head {name} does not exist in this model (layers 0 to 5, heads 0 to 11); no head is opened" in notice
    assert "head" not in app.query_params and not app.exception


def test_a_head_in_the_model_opens_without_a_notice():
    app = linked_app({"head": "L2H3"})
    assert said(app) == "" and app.query_params["head"] == "L2H3"


def test_a_comparison_head_the_model_lacks_gets_a_notice():
    app = linked_app({"chead": "L9H99"}, "pages/compare.py")
    notice = said(app)
    assert "Head L9H99 does not exist in this model (layers 0 to 5, heads 0 to 11); no head is opened" in notice
    assert "chead" not in app.query_params and not app.exception


def test_a_bertviz_layer_the_model_lacks_gets_a_notice_in_the_model_view_too():
    app = linked_app({"bview": "model", "blayer": "77"}, "pages/bertviz.py")
    assert "Layer 77 does not exist in this model (0 to 5); showing layer 0" in said(app), said(app)
    assert app.query_params.get("blayer", "0") == "0" and not app.exception


def test_every_head_of_the_model_can_be_switched_off_from_a_link():
    every = ",".join(f"L{layer}H{head}" for layer in range(6) for head in range(12))
    app = linked_app({"kheads": every}, "pages/knockout.py")
    assert said(app) == "" and not app.exception  # was: "Ignored … (not a list of head names)", past 64
    assert len(app.multiselect(key="knockout_heads").value) == 72
    assert app.query_params["kheads"] == every


def test_heads_to_switch_off_that_the_model_lacks_get_a_notice():
    app = linked_app({"kheads": "L2H8,L9H0,L0H12"}, "pages/knockout.py")
    notice = said(app)
    assert "Heads L9H0, L0H12 do not exist in this model (layers 0 to 5, heads 0 to 11): not switched off" in notice
    assert app.query_params["kheads"] == "L2H8" and not app.exception


def test_a_bad_name_in_a_list_of_heads_is_quoted():
    notice = said(linked_app({"kheads": "L2H8,L\uff13H1"}))
    assert "Ignored kheads='L2H8,L\uff13H1' from the link ('L\uff13H1' is not a head name such as L2H8" in notice, (
        notice
    )


def test_every_link_parameter_names_a_session_key_that_a_page_uses():
    """Each key PARAMS carries is named once, in components/state.py, and read or written by a page or component
    through that name; no page or component spells one of them out as a bare string."""
    import re
    from pathlib import Path

    from components import state

    root = Path(__file__).resolve().parent.parent
    names = {value: name for name, value in vars(state).items() if name.isupper() and isinstance(value, str)}
    sources = {
        p: p.read_text(encoding="utf-8")
        for p in [*root.glob("components/*.py"), *root.glob("pages/*.py"), root / "app.py"]
        if p.name not in ("state.py", "links.py")
    }
    for parameter, (key, _kind) in links.PARAMS.items():
        assert key in names, f"?{parameter}= carries {key!r}, which components/state.py does not name"
        name = names[key]
        used = [
            p.name
            for p, text in sources.items()
            if f"state.{name}" in text or ("from components.state import" in text and re.search(rf"\b{name}\b", text))
        ]
        assert used, f"?{parameter}= carries state.{name}, which no page or component reads or writes"
        if "_" in key:  # a bare "layer" or "relation" is also a payload's field: only the distinctive keys are checked
            bare = [p.name for p, text in sources.items() if re.search(rf'["\']{key}["\']', text)]
            assert not bare, f"{key!r} spelled out in {bare}: use state.{name}"
