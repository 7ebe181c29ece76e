"""State machines: a table of allowed transitions and one function that applies them.

An area declares its machine beside its model (``states.py``)::

    REQUIREMENT = Machine(
        "requirement",
        labels={"draft": "Draft", ...},
        transitions=[
            Transition("submit", ("draft", "returned"), "submitted", side=CLIENT,
                       event="submitted", waits_on=PROVIDER, verb="submitted"),
            ...
        ],
        groups={"editable": ("draft", "returned"), ...},
    )

and every status change goes through ``REQUIREMENT.apply(session, req, "submit",
side=CLIENT)``: it checks the move once (side, then source state), sets the
status, writes the audit event (with the whom-we-wait-on of the new state,
which SLA clocks read back), and publishes its event (``notify.publish``). Templates and
queries ask the machine (``allowed``, ``in_group``, ``actions``) instead of
listing statuses. Machines with no ``audit`` (the outbox, background tasks)
use ``move``, which only checks and sets.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from baton.platform.errors import Conflict, Forbidden

CLIENT, PROVIDER, SUPPLIER, SYSTEM = "client", "provider", "supplier", "system"

# Every machine by name, for templates (``machine('requirement')``).
MACHINES: dict[str, Machine] = {}


@dataclass(frozen=True)
class Transition:
    action: str
    sources: tuple[str, ...]
    target: str
    # Which party may take it (None: any caller the edge let through).
    side: str | None = None
    # Outbox event emitted through the machine's ``event_job``.
    event: str | None = None
    # Whom the clock waits on once the object is in ``target`` (None: nobody).
    waits_on: str | None = None
    # "it cannot be {verb}" in the refusal message.
    verb: str = ""


@dataclass(frozen=True)
class Machine:
    name: str
    labels: dict[str, str]
    transitions: Iterable[Transition]
    groups: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # Groups a list may filter by, with their labels.
    filters: dict[str, str] = field(default_factory=dict)
    # Publish each transition's event (``<machine>.<event>``) to notifications.
    publishes: bool = False
    # Record an audit event per transition (False for plumbing: outbox, tasks).
    audited: bool = True
    status_attribute: str = "status"

    def __post_init__(self) -> None:
        table = {t.action: t for t in self.transitions}
        object.__setattr__(self, "transitions", table)
        for t in table.values():
            unknown = {*t.sources, t.target} - set(self.labels)
            if unknown:
                raise ValueError(f"{self.name}.{t.action}: unknown states {sorted(unknown)}")
        for name, members in self.groups.items():
            if set(members) - set(self.labels):
                raise ValueError(f"{self.name} group {name}: unknown states")
        MACHINES[self.name] = self

    # --- questions ---------------------------------------------------------------

    @property
    def states(self) -> tuple[str, ...]:
        return tuple(self.labels)

    def label(self, status: str) -> str:
        return self.labels.get(status, status.replace("_", " "))

    def transition(self, action: str) -> Transition:
        try:
            return self.transitions[action]  # type: ignore[index]
        except KeyError:
            raise ValueError(f"unknown {self.name} action {action!r}") from None

    def allowed(self, action: str, status: str, side: str | None = None) -> bool:
        t = self.transitions.get(action)  # type: ignore[union-attr]
        return t is not None and status in t.sources and (side is None or t.side in (None, side))

    def actions(self, status: str, side: str | None = None) -> list[str]:
        """What can be done from ``status`` (by ``side``), in table order."""
        return [a for a in self.transitions if self.allowed(a, status, side)]  # type: ignore[union-attr]

    def group(self, name: str) -> tuple[str, ...]:
        return self.groups[name]

    def in_group(self, name: str, status: str) -> bool:
        return status in self.groups[name]

    def statuses_for(self, key: str) -> tuple[str, ...]:
        """What a list filter means: a group's members, or the one status."""
        return self.groups.get(key, (key,)) if key in self.filters else (key,)

    def is_known_filter(self, key: str) -> bool:
        return key in self.labels or key in self.filters

    def waits_on(self, status: str) -> str | None:
        """Whom an object in ``status`` waits on: what the transitions into it say."""
        for t in self.transitions.values():  # type: ignore[union-attr]
            if t.target == status:
                return t.waits_on
        return None

    def waiting_on(self, party: str) -> tuple[str, ...]:
        """The states in which the clock runs for ``party``."""
        return tuple(s for s in self.labels if self.waits_on(s) == party)

    # --- changes -----------------------------------------------------------------

    def check(self, action: str, status: str, side: str | None = None) -> Transition:
        """The one guard: refuses a move the table does not allow, with its reason."""
        t = self.transition(action)
        if side is not None and t.side not in (None, side):
            raise Forbidden(f"Only the {t.side} side can do that.")
        if status not in t.sources:
            verb = t.verb or t.action.replace("_", " ")
            raise Conflict(
                f"This {self.name.replace('_', ' ')} is {self.label(status).lower()};"
                f" it cannot be {verb}."
            )
        return t

    def move(self, obj: Any, action: str, side: str | None = None) -> Transition:
        """Check and set the status, nothing else (machines that are not audited)."""
        t = self.check(action, getattr(obj, self.status_attribute), side)
        setattr(obj, self.status_attribute, t.target)
        return t

    def apply(
        self,
        session: Session,
        obj: Any,
        action: str,
        *,
        side: str | None = None,
        changes: dict[str, Any] | None = None,
        event_payload: dict[str, Any] | None = None,
        notify: bool = True,
        audit_tenant_id: Any = None,
        audit_provider_id: Any = None,
    ) -> Transition:
        """Check, change, audit, emit: the only way an audited status changes."""
        from baton.platform import audit
        from baton.platform.db import utcnow
        from baton.platform.notify import publish

        before = getattr(obj, self.status_attribute)
        t = self.move(obj, action, side)
        if hasattr(obj, "updated_at"):
            obj.updated_at = utcnow()
        if self.audited:
            recorded = {"status": [before, t.target]}
            waits_before, waits_after = self.waits_on(before), t.waits_on
            if waits_before != waits_after:
                recorded["waiting_on"] = [waits_before, waits_after]
            audit.record(
                session,
                tenant_id=audit_tenant_id or obj.tenant_id,
                provider_id=audit_provider_id or getattr(obj, "provider_id", None),
                action=f"{self.name}.{action}",
                entity_type=self.name,
                entity_id=obj.id,
                changes=recorded | (changes or {}),
            )
        if t.event and notify and self.publishes:
            publish(
                session,
                f"{self.name}.{t.event}",
                {f"{self.name}_id": str(obj.id), "from": before, **(event_payload or {})},
                about=obj,
            )
        return t
