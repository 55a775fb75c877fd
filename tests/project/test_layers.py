"""Imports run one way: the app (`api.main`) on features, features on `api.core` and
`models`, `api.core` on `models` alone; a feature uses another only through that
feature's public modules (`service`, `access`, `params`). README.md, "Architecture",
says why."""

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Every package under api/ but core, and the one-module feature: a feature added is
# checked without being listed.
FEATURES = (
    *sorted(
        path.name
        for path in (ROOT / "api").iterdir()
        if (path / "__init__.py").exists() and path.name != "core"
    ),
    "health",
)
PUBLIC = ("service", "access", "params")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """Every module that `module` imports, absolute, with its line; `from a import b`
    yields `a.b`, which names either the module `b` or a name in module `a`."""
    package = module if is_package else module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                yield node.lineno, f"{base}.{alias.name}"


def feature_of(module: str) -> str | None:
    parts = module.split(".")
    if len(parts) >= 2 and parts[0] == "api" and parts[1] in FEATURES:
        return parts[1]
    return None


def test_the_features_are_found() -> None:
    assert {"activities", "bids", "checkins", "digest", "health", "trends"} <= set(FEATURES)


def refusal(importer: str, imported: str) -> str | None:
    """Why `importer` may not import `imported`, or None when it may."""
    top = imported.split(".")[0]
    ours = top in ("api", "simulation")
    if importer.startswith("models"):
        if ours:
            return "models know nothing of the app"
    elif importer.startswith("api.core"):
        if ours and not imported.startswith("api.core"):
            return "api.core imports nothing of the app but itself"
    elif importer.startswith("api") and top == "simulation":
        return "the app does not run the simulator"
    if imported == "api.main" or imported.startswith("api.main."):
        return "nothing imports the app that assembles everything"
    own = feature_of(importer)
    other = feature_of(imported)
    if own and other and own != other:
        parts = imported.split(".")
        if len(parts) < 3 or parts[2] not in PUBLIC:
            return f"a feature uses another only through its {' or '.join(PUBLIC)} module"
    if importer.startswith("alembic.versions") and top in ("api", "models", "simulation"):
        return "a migration is a snapshot of its day: it holds its own SQL"
    return None


def sources() -> list[Path]:
    found: list[Path] = []
    for folder in ("api", "models", "simulation", "alembic"):
        found.extend(sorted((ROOT / folder).rglob("*.py")))
    return found


@pytest.mark.parametrize("path", sources(), ids=lambda path: str(path.relative_to(ROOT)))
def test_imports_run_from_features_down_to_core(path: Path) -> None:
    importer = module_name(path)
    wrong = [
        f"{path.relative_to(ROOT)}:{line} imports {imported}: {reason}"
        for line, imported in imports_of(path.read_text(), importer, path.name == "__init__.py")
        if (reason := refusal(importer, imported))
    ]
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("api.core.db", "api.trends.calendar"),
        ("api.core.errors", "api.bids.service"),
        ("api.therapists.routes", "api.trends.routes"),
        ("api.bids.service", "api.couples.rules"),
        ("models.bid", "api.core.db"),
        ("api.bids.routes", "simulation.seed"),
        ("alembic.versions.0006_rules_in_the_database", "models.figures"),
        ("api.therapists.caseload", "api.trends.cache"),
        ("api.core.db", "api.main"),
        ("api.bids.service", "api.main.app"),
        ("api.core.errors", "api.health"),
    ],
)
def test_the_check_refuses_a_sideways_import(importer: str, imported: str) -> None:
    assert refusal(importer, imported) is not None


@pytest.mark.parametrize(
    ("importer", "imported"),
    [
        ("api.bids.service", "api.couples.service"),
        ("api.bids.routes", "api.couples.access"),
        ("api.trends.service", "api.core.db"),
        ("api.trends.service", "models.calendar"),
        ("api.main", "api.trends.routes"),
        ("simulation.demo", "api.auth.passwords"),
    ],
)
def test_the_check_lets_imports_down_through(importer: str, imported: str) -> None:
    assert refusal(importer, imported) is None


def test_relative_imports_are_read_as_absolute() -> None:
    source = "from ..trends import routes\nfrom . import service\n"
    found = {name for _, name in imports_of(source, "api.bids.probe")}
    assert {"api.trends.routes", "api.bids.service"} <= found
    in_package = {name for _, name in imports_of("from .routes import x\n", "api.bids", True)}
    assert "api.bids.routes.x" in in_package
