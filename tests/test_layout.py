"""The code's layout (DEVELOPERS.md, "Layout"): components/ import one another without a
cycle, every import in components/ and pages/ sits at the top of its module, no module is
over MAX_LINES, and the CLI does not pay for plotly. Read from the source with `ast`; nothing
is imported."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LATE_IMPORTS_ALLOWED: dict[str, set[str]] = {
    # file (relative to the repository) -> modules it may import inside a function, and why.
    # None today.
}
"""Imports that may stay inside a function. Keep it short: each entry says why."""

MAX_LINES = 450
"""No module in headscope/ or components/ (packages included) is longer: a room with one job."""

LONG_MODULES_ALLOWED = {
    # Modules still over MAX_LINES today, each being split. Shrink this list; never grow it.
    "headscope/atlas.py",  # the disk store shared with knockout's importance cache
    "headscope/canvas.py",  # rendering apart from the engine's core
    "headscope/classroom.py",
    "components/syntax_view.py",  # the Atlas's view and the upload job get their own component
}
"""Modules that may be over MAX_LINES for now (relative to the repository)."""


def _modules(folder: str) -> list[Path]:
    """Every Python module under the folder, packages' modules included."""
    return sorted((ROOT / folder).rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def _imported(node: ast.Import | ast.ImportFrom) -> list[str]:
    """The dotted names an import statement brings in (`from a import b` -> a.b and a)."""
    if isinstance(node, ast.Import):
        return [alias.name for alias in node.names]
    base = "." * node.level + (node.module or "")
    return [base] + [f"{base}.{alias.name}" for alias in node.names]


def component_imports(path: Path) -> set[str]:
    """The components modules a module imports (by module name), wherever the import sits."""
    names = {p.stem for p in _modules("components")}
    found = set()
    for node in ast.walk(_tree(path)):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            for dotted in _imported(node):
                parts = dotted.split(".")
                if len(parts) >= 2 and parts[0] == "components" and parts[1] in names:
                    found.add(parts[1])
    return found


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph as a list of nodes (first repeated at the end), or None."""
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> list[str] | None:
        if node in path:
            return path[path.index(node) :] + [node]
        if node in done:
            return None
        for nxt in sorted(graph.get(node, ())):
            cycle = visit(nxt, path + [node])
            if cycle:
                return cycle
        done.add(node)
        return None

    for start in sorted(graph):
        cycle = visit(start, [])
        if cycle:
            return cycle
    return None


def late_imports(path: Path) -> list[tuple[int, str]]:
    """Import statements that are not at module level (inside a function or a class): (line, module)."""
    top: set[int] = set()

    def collect(body: list[ast.stmt]) -> None:
        for stmt in body:
            top.add(id(stmt))
            if isinstance(stmt, ast.If):  # `if TYPE_CHECKING:` and the like
                collect(stmt.body), collect(stmt.orelse)
            elif isinstance(stmt, ast.Try):  # `try: import x` / `except ImportError:`
                collect(stmt.body), collect(stmt.orelse), collect(stmt.finalbody)
                for handler in stmt.handlers:
                    collect(handler.body)

    tree = _tree(path)
    collect(tree.body)
    return [
        (node.lineno, _imported(node)[0])
        for node in ast.walk(tree)
        if isinstance(node, (ast.Import, ast.ImportFrom)) and id(node) not in top
    ]


def test_the_cycle_finder_finds_a_cycle():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None


def test_components_import_one_another_without_a_cycle():
    graph = {p.stem: component_imports(p) - {p.stem} for p in _modules("components")}
    assert graph["links"], "the import graph reads no edge: the walk is broken"
    cycle = find_cycle(graph)
    assert cycle is None, "components/ import in a circle: " + " -> ".join(cycle)


def test_the_session_state_imports_no_other_component():
    assert component_imports(ROOT / "components" / "state.py") == set()


def test_every_import_sits_at_the_top_of_its_module():
    files = [*_modules("components"), *_modules("pages"), ROOT / "app.py"]
    late = []
    for path in files:
        name = path.relative_to(ROOT).as_posix()
        allowed = LATE_IMPORTS_ALLOWED.get(name, set())
        late += [f"{name}:{line} imports {module}" for line, module in late_imports(path) if module not in allowed]
    assert not late, (
        "imports inside functions (move them to the top, or allow one in LATE_IMPORTS_ALLOWED):\n" + "\n".join(late)
    )


def test_the_allowlist_holds_only_late_imports_that_exist():
    for name, modules in LATE_IMPORTS_ALLOWED.items():
        assert modules <= {module for _, module in late_imports(ROOT / name)}, f"{name}: stale entry, remove it"


def _constants(path: Path) -> set:
    return {node.value for node in ast.walk(_tree(path)) if isinstance(node, ast.Constant)}


def test_the_directions_are_spelled_in_one_place():
    spelled = [
        p.relative_to(ROOT).as_posix()
        for folder in ("headscope", "components", "pages")
        for p in _modules(folder)
        if {"dependent->head", "head->dependent"} & _constants(p)
    ]
    assert spelled == ["headscope/syntax.py"]


def test_only_the_family_adapter_reads_a_model_type():
    readers = [
        p.relative_to(ROOT).as_posix()
        for folder in ("headscope", "components", "pages")
        for p in _modules(folder)
        if any(
            isinstance(n, ast.Attribute) and n.attr == "model_type" or n == "model_type"
            for n in [*ast.walk(_tree(p)), *_constants(p)]
        )
    ]
    # models.py reads it once, to refuse a type transformers does not implement (never running repository code);
    # errors.py only matches the words of transformers' own message about it
    assert sorted(readers) == ["headscope/errors.py", "headscope/families.py", "headscope/models.py"]


def test_no_file_points_at_a_design_document_outside_the_repository():
    files = [*ROOT.glob("*.md"), ROOT / "app.py", ROOT / "Makefile"]
    for folder in ("headscope", "components", "pages", "tests", "bench", "deploy", "scripts"):
        files += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md", ".sh", ".js", ".yaml")]
    pointing = [
        p.relative_to(ROOT).as_posix()
        for p in files
        if p.is_file()
        and p != Path(__file__).resolve()
        and "DESIGN.md" in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not pointing, (
        f"these files point at DESIGN.md, which is not in the repository (DEVELOPERS.md is): {pointing}"
    )


def test_the_cli_does_not_import_plotly():
    code = "import sys, headscope.cli; print('plotly' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300, check=True
    )
    assert out.stdout.strip() == "False"


def _lines(path: Path) -> int:
    return len(path.read_text(encoding="utf-8").splitlines())


def test_no_module_is_over_the_line_limit():
    long = [
        f"{name}: {_lines(p)} lines"
        for folder in ("headscope", "components")
        for p in _modules(folder)
        if (name := p.relative_to(ROOT).as_posix()) not in LONG_MODULES_ALLOWED and _lines(p) > MAX_LINES
    ]
    assert not long, f"modules over {MAX_LINES} lines (split them into rooms with one job each):\n" + "\n".join(long)


def test_the_long_module_allowlist_holds_only_long_modules():
    for name in sorted(LONG_MODULES_ALLOWED):
        path = ROOT / name
        assert path.is_file() and _lines(path) > MAX_LINES, (
            f"{name} is not over {MAX_LINES} lines: remove it from LONG_MODULES_ALLOWED"
        )


def _public_names(package_init: Path) -> set[str]:
    """The names in a module's `__all__` (read from its source)."""
    for node in _tree(package_init).body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {elt.value for elt in node.value.elts}
    return set()


def _attributes_of(path: Path, module: str) -> list[tuple[int, str]]:
    """(line, name) of every `module.name` in a file that imports `module` from headscope."""
    tree = _tree(path)
    imports_it = any(
        isinstance(node, ast.ImportFrom) and node.module == "headscope" and module in {a.name for a in node.names}
        for node in ast.walk(tree)
    )
    if not imports_it:
        return []
    return [
        (node.lineno, node.attr)
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == module
    ]


def _callers() -> list[Path]:
    return [
        *_modules("headscope"),
        *_modules("components"),
        *_modules("pages"),
        *_modules("bench"),
        *_modules("scripts"),
        ROOT / "app.py",
    ]


def test_no_module_reaches_for_a_private_helper_of_attention():
    private = [
        f"{p.relative_to(ROOT).as_posix()}:{line} attention.{name}"
        for p in _callers()
        for line, name in _attributes_of(p, "attention")
        if name.startswith("_")
    ]
    assert not private, "use attention's public API (encode, encoded_tokens, dropped_tokens, forward):\n" + "\n".join(
        private
    )


def test_the_knockout_package_is_used_through_its_public_api():
    public = _public_names(ROOT / "headscope" / "knockout" / "__init__.py")
    assert {"knockout", "importance", "Knockout", "ABLATIONS"} <= public
    outside = [
        f"{p.relative_to(ROOT).as_posix()}:{line} knockout.{name}"
        for p in _callers()
        for line, name in _attributes_of(p, "knockout")
        if name not in public
    ]
    assert not outside, "names the knockout package does not export (add them to __all__, or use one it does):\n" + (
        "\n".join(outside)
    )
