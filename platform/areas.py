"""The areas the app is assembled from, found by name and never imported here.

Each area above the base declares what it contributes in one small module,
``baton.<area>.area``, holding ``AREA = Area(...)``, and is listed under the
``baton.areas`` entry-point group (setup.py). The factory, Alembic, the
workers and the CLI walk the list; adding an area never edits this folder.
Contributions are named as ``"module:attribute"`` strings so that reading the
list imports nothing until the app asks for a kind of contribution.
"""

from __future__ import annotations

import graphlib
import importlib
from dataclasses import dataclass, field
from functools import cache
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any

GROUP = "baton.areas"

# The base layer's own job modules: mail, audit verification, failure digests, tasks.
PLATFORM_JOBS = (
    "baton.platform.notify",
    "baton.platform.audit_jobs",
    "baton.platform.job_failures",
)
PLATFORM_MODELS = ("baton.platform.audit", "baton.platform.outbox", "baton.platform.tasks")


@dataclass(frozen=True)
class NavEntry:
    """One link in the top bar for one kind of organisation, shown to holders of
    ``permission`` (everyone signed in for that kind when None)."""

    kind: str
    label: str
    endpoint: str
    order: int
    permission: str | None = None
    # Entries with a menu are grouped under it in one dropdown (the bar has
    # room for the daily work, not for every settings page).
    menu: str | None = None


@dataclass(frozen=True)
class EntityLink:
    """The page of an audited object, for one kind of organisation: an audit
    event about ``entity_type`` links to ``url_for(endpoint, **{argument: id})``."""

    kind: str
    entity_type: str
    endpoint: str
    argument: str


@dataclass(frozen=True)
class Area:
    name: str
    # Areas this one builds on (the dependency rule, checked by a test).
    requires: tuple[str, ...] = ()
    blueprints: tuple[str, ...] = ()
    api_blueprints: tuple[str, ...] = ()
    models: tuple[str, ...] = ()
    jobs: tuple[str, ...] = ()
    # ``"module:NAME"`` of a tuple of ``platform.schedules.Schedule``: periodic jobs.
    schedules: tuple[str, ...] = ()
    # Modules holding ``NOTIFICATIONS``: what each of the area's events sends.
    notifications: tuple[str, ...] = ()
    # ``"module:NAME"`` of a list of ``platform.metering.Meter``: the billable acts.
    meters: tuple[str, ...] = ()
    nav: tuple[NavEntry, ...] = ()
    # Modules saying how the area's things read in an audit log (``platform.audit_text``).
    audit_words: tuple[str, ...] = ()
    # Pages of the objects this area shows, for the audit log's links.
    entity_links: tuple[EntityLink, ...] = ()
    # Called with the app after the blueprints: hooks the base layer asks for.
    init_app: str | None = None
    # Called with the app's click group: the area's operator commands.
    cli: str | None = None
    # Seeds the area's part of the demo; returns "created", "added" or "present".
    demo: str | None = None
    # This area's folder: its templates/ join the app's template search path.
    folder: Path | None = field(default=None, compare=False)


def resolve(ref: str) -> Any:
    """``"baton.sourcing.requirements.views:bp"`` -> the object."""
    module, _, attribute = ref.partition(":")
    loaded = importlib.import_module(module)
    return getattr(loaded, attribute) if attribute else loaded


@cache
def areas() -> tuple[Area, ...]:
    """Every declared area, each after the areas it requires."""
    found: dict[str, Area] = {}
    for point in entry_points(group=GROUP):
        area = point.load()
        module = importlib.import_module(point.module)
        found[area.name] = Area(
            **{k: getattr(area, k) for k in area.__dataclass_fields__ if k != "folder"},
            folder=Path(module.__file__).resolve().parent,
        )
    graph = {name: set(area.requires) & set(found) for name, area in found.items()}
    order = graphlib.TopologicalSorter(graph).static_order()
    return tuple(found[name] for name in order)


@cache
def entity_links() -> dict[tuple[str, str], EntityLink]:
    """(organisation kind, entity type) -> the page that shows such an object."""
    return {(link.kind, link.entity_type): link for a in areas() for link in a.entity_links}


def load_models() -> None:
    for module in PLATFORM_MODELS:
        importlib.import_module(module)
    for area in areas():
        for module in area.models:
            importlib.import_module(module)


@cache
def load_jobs() -> None:
    """Import every module that declares jobs, so the registry knows them all."""
    load_models()
    for module in PLATFORM_JOBS:
        importlib.import_module(module)
    for area in areas():
        for module in area.jobs:
            importlib.import_module(module)


def template_folders() -> list[Path]:
    return [a.folder / "templates" for a in areas() if (a.folder / "templates").is_dir()]


def nav_entries(kind: str) -> list[NavEntry]:
    entries = [entry for area in areas() for entry in area.nav if entry.kind == kind]
    return sorted(entries, key=lambda e: e.order)
