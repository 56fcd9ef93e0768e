"""The layering the architecture promises: only the page (dashboard.ui) imports
Streamlit, so the pipeline, the command line and the tests of the logic run without it."""

import ast
import subprocess
import sys
from pathlib import Path

import dashboard

PACKAGE = Path(dashboard.__file__).parent


def imported_modules(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_only_the_ui_package_imports_streamlit():
    importers = {path.relative_to(PACKAGE).as_posix() for path in PACKAGE.rglob("*.py")
                 if any(name.split(".")[0] == "streamlit" for name in imported_modules(path))}
    assert importers, "the page imports Streamlit somewhere"
    assert {name for name in importers if not name.startswith("ui/")} == set()


def test_the_pipeline_and_the_command_line_load_without_streamlit():
    modules = sorted(f"dashboard.{path.stem}" for path in PACKAGE.glob("*.py")
                     if path.stem not in {"__init__", "__main__"})
    code = ("import sys\n" + "".join(f"import {m}\n" for m in modules)
            + "print(sorted(m for m in sys.modules if m.split('.')[0] == 'streamlit'))")
    loaded = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert loaded.stdout.strip() == "[]", loaded.stdout
    assert "dashboard.cli" in modules
