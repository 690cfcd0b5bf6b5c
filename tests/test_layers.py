"""The package's layers import one way only (docs/architecture.md):

``errors`` -> ``model`` -> ``scenario`` -> ``run`` -> ``explore`` -> ``analyse`` ->
``report`` -> ``app`` -> ``cli``.

A module may import its own layer and the layers below it, never one above, lazily or
not; an import under ``if TYPE_CHECKING:`` (annotations only) is the one exception. The
test reads the source with ``ast``, so an import inside a function counts as much as one
at the top. Because every import points down, no two layers can import each other.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "offramp"
LAYERS = ("errors", "model", "scenario", "run", "explore", "analyse", "report", "app", "cli")
RANK = {name: rank for rank, name in enumerate(LAYERS)}


def _layer(module: str) -> str | None:
    """The layer of a dotted module name under ``offramp`` (None for the package itself)."""
    parts = module.split(".")
    if parts[0] != "offramp" or len(parts) < 2:
        return None
    return parts[1]


def _module_name(path: Path, root: Path) -> str:
    parts = path.relative_to(root.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for inner in node.body:
                lines.update(n.lineno for n in ast.walk(inner) if hasattr(n, "lineno"))
    return lines


def imports_of(path: Path, root: Path = PACKAGE) -> list[tuple[int, str]]:
    """(line, absolute module) of every import in a file of the package at ``root``,
    relative ones resolved, and of every ``importlib.import_module("offramp...")`` call
    with a literal name."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    guarded = _type_checking_lines(tree)
    name = _module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = []
    for node in ast.walk(tree):
        if getattr(node, "lineno", None) in guarded:
            continue
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found += [
                (node.lineno, f"{module}.{alias.name}" if module == "offramp" else module) for alias in node.names
            ]
        elif (
            isinstance(node, ast.Call)
            and ast.unparse(node.func).endswith("import_module")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and str(node.args[0].value).startswith("offramp")
        ):
            found.append((node.lineno, str(node.args[0].value)))
    return found


def upward_imports(root: Path = PACKAGE) -> list[str]:
    """The imports against the layer order in the package at ``root``, one line each."""
    problems = []
    for path in sorted(root.rglob("*.py")):
        me = _layer(_module_name(path, root))
        if me is None:
            continue  # offramp/__init__.py: the facade, whose names load lazily on first use
        if me not in RANK:
            problems.append(f"{path.relative_to(root)}: module outside the layers {LAYERS}")
            continue
        for line, module in imports_of(path, root):
            other = _layer(module)
            if other is not None and other in RANK and RANK[other] > RANK[me]:
                problems.append(f"{path.relative_to(root)}:{line}: {me} imports {module} (a layer above)")
            if module == "offramp":
                problems.append(
                    f"{path.relative_to(root)}:{line}: imports the package facade 'offramp' "
                    "(take what it offers from its layer; __version__ is the one name to import from it)"
                )
    return problems


def test_no_layer_imports_a_layer_above_it():
    problems = upward_imports()
    assert not problems, "imports against the layer order:\n" + "\n".join(problems)


def test_the_checker_sees_lazy_relative_and_guarded_imports(tmp_path):
    """The checker itself can fail: a lazy import inside a function is found, a relative
    one is resolved, and a TYPE_CHECKING one is allowed."""
    source = tmp_path / "offramp" / "model" / "probe.py"
    source.parent.mkdir(parents=True)
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    from offramp.analyse.analysis import Analysis\n"
        "def f():\n    from ..run import runner\n    import offramp.report.html\n",
        encoding="utf-8",
    )
    modules = [module for _, module in imports_of(source, tmp_path / "offramp")]
    problems = upward_imports(tmp_path / "offramp")
    assert "offramp.run" in modules and "offramp.report.html" in modules
    assert "offramp.analyse.analysis" not in modules
    assert len(problems) == 2


# What the command line's start-up (--version, --help) must not load: the arrays, the
# tables, the analysis and the figures are slow to import (NumPy alone is about a third of
# a 0.3 s budget). A job's options model may load: pydantic.
_NOT_AT_START = (
    "numpy",
    "pandas",
    "pyarrow",
    "scipy",
    "matplotlib",
    "SALib",
    "ema_workbench",
    "offramp.analyse.analysis",
    "offramp.report.html",
    "offramp.explore.experiments",
)


@pytest.mark.parametrize(
    ("statement", "forbidden"),
    [
        (
            "import offramp.model.unrest",
            ("offramp.run", "offramp.explore", "offramp.analyse", "offramp.report", "pandas"),
        ),
        (
            "import offramp.model.world",
            ("offramp.run", "offramp.explore", "offramp.analyse", "offramp.report", "pandas"),
        ),
        ("from offramp.cli import main; main(['--version'])", _NOT_AT_START),
        ("from offramp.cli import main; main(['--help'])", _NOT_AT_START),
        ("from offramp.cli import main; main(['run', '--help'])", _NOT_AT_START),
    ],
)
def test_importing_a_layer_loads_nothing_above_it(statement, forbidden):
    """Checked in a fresh interpreter: what an import really loads, the package's
    ``__init__`` included (the command line's start-up needs neither pandas nor the
    analysis, so ``offramp --version`` stays fast)."""
    code = f"import sys\n{statement}\nprint('MODULES', *sorted(sys.modules))"
    shown = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = shown[shown.index("MODULES") :].split()[1:]
    bad = [m for m in loaded if any(m == f or m.startswith(f + ".") for f in forbidden)]
    assert not bad, f"{statement} loads {bad[:10]}"
