"""The docs: the README stays a front door, and no doc sends a reader to an issue tracker they cannot see."""

from __future__ import annotations

import re

from tests.support import ROOT

README_LINES = 250
DOCS = ["README.md", "DEVELOPERS.md", "CHANGELOG.md", "bench/README.md", "deploy/README.md"]
ISSUE = re.compile(r"\bissues?\s+(?:#\s*)?\d+|\b(?:PR|pull request)\s*#?\d+|(?<![\w&/])#(\d+)\b", re.IGNORECASE)


def _docs() -> list:
    found = [ROOT / name for name in DOCS]
    found += sorted(p for p in (ROOT / "docs").rglob("*") if p.suffix in {".md", ".ipynb"})
    return found


def _issue_numbers(text: str) -> list[str]:
    """Mentions of an issue or pull request by number ("issue 29", "issues 15 and 16", "#29"); a colour
    (#333, #440154: three or six digits) is not one."""
    return [m.group(0) for m in ISSUE.finditer(text) if not (m.group(1) and len(m.group(1)) in (3, 6))]


def test_the_readme_is_a_front_door():
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= README_LINES, f"README.md has {len(lines)} lines; at most {README_LINES}"
    text = "\n".join(lines)
    assert text.index("make run") < text.index("## ") and "make test" in text[: text.index("## ")]  # at the top
    for target in ("docs/guide.md", "deploy/README.md", "bench/README.md", "DEVELOPERS.md", "CHANGELOG.md"):
        assert f"({target}" in text and (ROOT / target).is_file(), target  # linked, and there


def test_no_doc_mentions_an_issue_number():
    assert _issue_numbers("see issue 29, issues 15 and 16, and #7; colours #333 and #440154") == [
        "issue 29",
        "issues 15",
        "#7",
    ]
    docs = _docs()
    assert len(docs) >= len(DOCS) + 2  # docs/guide.md and docs/notebook.ipynb too
    found = {str(p.relative_to(ROOT)): _issue_numbers(p.read_text(encoding="utf-8")) for p in docs}
    assert not {name: hits for name, hits in found.items() if hits}
