"""bench/pages.py measures every page the app's navigation lists, by the URL Streamlit serves it at."""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import urlencode

import pytest

from bench import load, pages

ROOT = Path(__file__).resolve().parent.parent


def _served_pages(url: str) -> list[tuple[str, str]]:
    """(URL path, title) of each page in the navigation a real server sends to a new session."""
    messages: list = []
    asyncio.run(load.page_view(url, urlencode({"text": " "}), messages=messages))
    navigation = [m.navigation for m in messages if m.WhichOneof("type") == "navigation"]
    assert navigation, "the server sent no page list"
    return [("" if p.is_default else p.url_pathname, p.page_name) for p in navigation[-1].app_pages]


def test_every_page_file_is_measured():
    """A page added under pages/ is in the bench's list, once, with a key of its own."""
    measured = pages.select()
    scripts = sorted(Path(p.script).name for p in measured)
    assert scripts == sorted(p.name for p in (ROOT / "pages").glob("*.py"))
    assert len({p.key for p in measured}) == len(measured)
    assert [p.url_path for p in measured].count("") == 1  # one default page, at /


def test_a_page_that_does_not_exist_is_named():
    with pytest.raises(ValueError, match="no page nowhere; the pages are heads, syntax"):
        pages.select(["syntax", "nowhere"])
    assert [p.key for p in pages.select(["compare", "heads"])] == ["heads", "compare"]  # the app's order


def test_table_has_a_row_per_page_and_the_empty_page():
    report = {
        "pages": {
            "heads": {
                "title": "Heads",
                "fresh_tab_s": 2.5,
                "fresh_tab_warm_s": 1.0,
                "views_per_s": 30.1,
                "p90_s": 1.2,
                "failed": 0,
            },
            "syntax": {"title": "Syntax heads", "error": "TimeoutError: not drawn"},
        },
        "empty_page": {"title": "Empty page", "fresh_tab_s": 1.5, "views_per_s": 50, "p90_s": 0.2, "failed": 0},
        "pages_conditions": {
            "cores": 2,
            "load_average_start": [3.5, 2.0, 1.0],
            "load_average_end": [4.0, 2.5, 1.1],
            "machine_speed_ms_start": 210.0,
            "machine_speed_ms_end": 405.5,
            "fresh_tab_repeat": 3,
            "users": 30,
            "views_each": 3,
        },
    }
    lines = pages.table(report).splitlines()
    assert lines[2] == "| Heads | 2.5 s | 1.0 s | +1.00 s | – | 30.1 | 1.2 s | 0 |"
    assert lines[3].startswith("| Syntax heads (error: see JSON) | – |")
    assert lines[4].startswith("| Empty page | 1.5 s |")
    assert "load average (1, 5, 15 min) [3.5, 2.0, 1.0] at the start" in lines[-2]
    assert "210.0 ms at the start, 405.5 ms at the end" in lines[-1]  # the machine slowed: say so


def test_table_prefers_the_paired_difference_over_the_empty_page():
    """A page measured in pairs with the empty page shows the pairs' median difference, not its median
    minus the empty page's (which a change of the machine's load between the two would skew)."""
    report = {
        "pages": {
            "heads": {"title": "Heads", "fresh_tab_s": 2.5, "over_empty_s": 0.31, "renderer_cpu_over_empty_s": 0.2}
        },
        "empty_page": {"title": "Empty page", "fresh_tab_s": 1.0},
    }
    assert pages.table(report).splitlines()[2].startswith("| Heads | 2.5 s | – | +0.31 s | +0.20 s |")


@pytest.mark.browser
def test_the_bench_measures_the_pages_the_server_lists(app_url):
    """The pages a running app puts in its navigation are the ones make bench reports, at the same URLs."""
    measured = pages.select()
    assert [(p.url_path, p.title) for p in measured] == _served_pages(app_url)

    report = pages.run(repeat=1, users=2, views=1, browser=False, url=app_url)
    assert list(report["pages"]) == [p.key for p in measured]
    for key, figures in [*report["pages"].items(), ("empty page", report["empty_page"])]:
        assert "error" not in figures, (key, figures)
        assert figures["views"] == 2 and figures["failed"] == 0 and figures["errors_shown"] == 0, (key, figures)
        assert figures["views_per_s"] > 0 and figures["p90_s"] > 0
    speeds = [report["pages_conditions"][f"machine_speed_ms_{when}"] for when in ("start", "end")]
    assert all(s > 0 for s in speeds), speeds  # every run says how fast the machine ran
