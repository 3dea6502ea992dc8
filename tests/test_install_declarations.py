"""The package declares what it imports, and the README names the system packages CI installs.

A plain ``pip install .`` must give a working program: every third-party module imported
anywhere under ``voicestudio/`` comes from a distribution that ``pyproject.toml`` lists,
with no exception (the speaker check carries its own encoder instead of importing
resemblyzer, which cannot be declared).
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _declared() -> dict[str, str]:
    project = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["project"]
    found = {}
    for requirement in project["dependencies"]:
        name = re.match(r"[A-Za-z0-9_.\-]+", requirement).group(0)
        found[_canonical(name)] = requirement
    return found


def _imported_top_level_modules() -> set[str]:
    modules = set()
    for path in (REPO / "voicestudio").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Import):
                modules |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return {m for m in modules if m not in sys.stdlib_module_names and m != "voicestudio"}


def test_every_imported_package_is_declared():
    declared = set(_declared())
    providers = packages_distributions()
    undeclared = {}
    for module in sorted(_imported_top_level_modules()):
        dists = {_canonical(d) for d in providers.get(module, [])}
        assert dists, f"{module} is imported but not installed"
        if not dists & declared:
            undeclared[module] = sorted(dists)
    assert undeclared == {}, f"imported but not in pyproject dependencies: {undeclared}"


def test_network_client_libraries_are_bounded_to_their_major_version():
    declared = _declared()
    for name in ("huggingface-hub", "httpx2"):
        assert re.search(r"<\s*\d", declared[name]), declared[name]


def test_the_readme_names_the_system_packages_ci_installs():
    listed = (REPO / ".ci" / "system-packages.txt").read_text("utf-8").splitlines()
    packages = [line.strip() for line in listed if line.strip() and not line.startswith("#")]
    assert "system-packages.txt" in (REPO / ".ci" / "run").read_text("utf-8")
    readme = (REPO / "README.md").read_text("utf-8")
    missing = [p for p in packages if not re.search(rf"(?<![\w-]){re.escape(p)}(?![\w-])",
                                                    readme)]
    assert packages and missing == []


def test_an_installed_package_carries_every_resource_file_where_it_is_looked_for():
    """`pip install .` leaves no repository next to the code: every file under resources/ is
    installed under <prefix>/share/voicestudio/resources, where the text frontend looks."""
    from voicestudio.text import resources

    tool = tomllib.loads((REPO / "pyproject.toml").read_text("utf-8"))["tool"]
    installed = {
        f"{target}/{path.name}"
        for target, patterns in tool["setuptools"]["data-files"].items()
        for pattern in patterns
        for path in REPO.glob(pattern) if path.is_file()
    }
    expected = {f"share/voicestudio/{p.relative_to(REPO).as_posix()}"
                for p in (REPO / "resources").rglob("*") if p.is_file()}
    assert installed == expected
    assert Path(sys.prefix) / "share" / "voicestudio" / "resources" in resources._candidate_roots()
