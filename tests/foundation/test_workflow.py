"""The workflow machine: one table per object, one guard, status groups beside it."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

from baton.platform.errors import Conflict, Forbidden
from baton.platform.outbox import OUTBOX
from baton.platform.tasks import TASK
from baton.platform.workflow import MACHINES, Machine, Transition
from baton.sourcing.requirements.states import ON_PROVIDER_CLOCK, REQUIREMENT
from baton.tenants.states import ENGAGEMENT

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("machine", [REQUIREMENT, ENGAGEMENT, OUTBOX, TASK], ids=lambda m: m.name)
@given(data=st.data())
def test_no_sequence_of_actions_reaches_a_state_the_table_does_not_allow(machine, data):
    obj = SimpleNamespace(status=machine.states[0])
    for action in data.draw(st.lists(st.sampled_from(sorted(machine.transitions)), max_size=12)):
        before = obj.status
        t = machine.transitions[action]
        if before in t.sources:
            machine.move(obj, action)
            assert obj.status == t.target
        else:
            with pytest.raises(Conflict):
                machine.move(obj, action)
            assert obj.status == before
        assert obj.status in machine.states


def test_the_wrong_side_is_refused_before_the_state_is_looked_at():
    req = SimpleNamespace(status="submitted")
    with pytest.raises(Forbidden):
        REQUIREMENT.move(req, "accept", side="client")
    assert req.status == "submitted"


def test_a_refusal_names_the_state_in_words():
    with pytest.raises(Conflict, match="This requirement is in review; it cannot be submitted"):
        REQUIREMENT.check("submit", "in_review")


def test_groups_and_clocks_are_read_from_the_table():
    assert REQUIREMENT.actions("returned", side="client") == ["submit", "cancel"]
    assert REQUIREMENT.waits_on("returned") == "client"
    assert set(ON_PROVIDER_CLOCK) == {"submitted", "in_review", "accepted"}
    assert REQUIREMENT.statuses_for("with_provider") == ("submitted", "in_review")
    # A group that is not a list filter means itself only.
    assert REQUIREMENT.statuses_for("editable") == ("editable",)


def test_an_ended_engagement_cannot_be_suspended():
    engagement = SimpleNamespace(status="ended")
    with pytest.raises(Conflict):
        ENGAGEMENT.move(engagement, "suspended")
    ENGAGEMENT.move(engagement, "active")
    assert engagement.status == "active"


def test_a_table_naming_an_unknown_state_is_refused_at_import():
    with pytest.raises(ValueError, match="unknown states"):
        Machine("broken", labels={"a": "A"}, transitions=[Transition("go", ("a",), "b")])
    assert "broken" not in MACHINES


def test_every_published_event_declares_what_it_sends_and_its_templates_exist():
    from baton.platform.areas import template_folders
    from baton.platform.notify import notifications

    declared = notifications()
    folders = [*template_folders(), ROOT / "platform" / "templates"]
    for machine in MACHINES.values():
        if not machine.publishes:
            continue
        for t in machine.transitions.values():
            if t.event:
                assert f"{machine.name}.{t.event}" in declared, (machine.name, t.action)
    for found in declared.values():
        for n in found:
            for suffix in (".txt", ".html"):
                name = f"email/{n.template}{suffix}"
                assert any((folder / name).is_file() for folder in folders), name
