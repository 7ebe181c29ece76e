"""DESIGN.md section 1's dependency rule, read from the source: every import of
``baton.<area>`` in every module (deferred imports inside functions too), and
the areas the app is assembled from."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# Each area and the areas it may import (itself aside).
ALLOWED = {
    "platform": set(),
    "tenants": {"platform"},
    "sourcing": {"platform", "tenants"},
    "procurement": {"platform", "tenants", "sourcing"},
    "client_portal": {"platform", "tenants", "sourcing", "procurement"},
    "provider_console": {"platform", "tenants", "sourcing", "procurement"},
    "workers": {"platform"},
}


def imported_areas(path: Path) -> set[tuple[str, int]]:
    """(area, line) for every ``baton.<area>`` the file imports, at any depth."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "baton" and len(parts) > 1:
                found.add((parts[1], node.lineno))
    return found


def violations(area: str) -> list[str]:
    problems = []
    for path in sorted((ROOT / area).rglob("*.py")):
        if "migrations" in path.parts:
            continue
        for imported, line in imported_areas(path):
            if imported != area and imported not in ALLOWED[area]:
                problems.append(f"{path.relative_to(ROOT)}:{line} imports baton.{imported}")
    return problems


@pytest.mark.parametrize("area", sorted(ALLOWED))
def test_an_area_imports_only_the_areas_below_it(area):
    assert violations(area) == []


def test_the_scan_sees_a_deferred_import_inside_a_function(tmp_path):
    probe = tmp_path / "probe.py"
    probe.write_text("def f():\n    from baton.procurement.handoff import queue\n")
    assert imported_areas(probe) == {("procurement", 2)}


def test_the_app_is_assembled_from_every_declared_area_in_dependency_order():
    from baton.platform.areas import areas

    names = [a.name for a in areas()]
    assert set(names) == set(ALLOWED) - {"platform"}
    for position, area in enumerate(areas()):
        assert set(area.requires) <= set(names[:position]), area.name
        assert set(area.requires) <= ALLOWED[area.name]


def test_audiences_hold_no_models_or_jobs():
    """Client portal and provider console present; the rules and data live below."""
    from baton.platform.areas import areas

    for area in areas():
        if area.name in ("client_portal", "provider_console"):
            assert area.models == () and area.jobs == ()
    for audience in ("client_portal", "provider_console"):
        held = {p.name for p in (ROOT / audience).rglob("*.py")}
        assert not held & {"models.py", "services.py", "jobs.py", "states.py"}, audience
