"""The mermaid diagram is generated from the workflow definition."""

from __future__ import annotations

import re

import pytest

from itil_l2 import ValidationError, diagram
from itil_l2.tickets import WORKFLOW


def test_ticket_diagram_shows_the_tier_machine() -> None:
    text = diagram("ticket")
    assert "\nstateDiagram-v2\n" in text
    for tier in ("L1", "L2", "L3"):
        assert f"state {tier} {{" in text  # one composite state per tier
    assert "L1 --> L2.queued: escalate [group_at_L2]" in text
    assert "L2 --> L3.queued: escalate [group_at_L3]" in text
    assert "L3 --> L2.queued: hand_back [group_at_L2]" in text
    assert "queued --> queued" not in text.replace("L1.queued --> L1.queued", "")


def test_every_state_changing_transition_is_drawn_once() -> None:
    text = diagram("ticket")
    edges = re.findall(r"^\s+(\S+) --> (\S+): (\w+)", text, flags=re.MULTILINE)
    drawn = {(trigger, dest) for _src, dest, trigger in edges}
    for spec in WORKFLOW.transitions:
        if spec["dest"] is not None:
            assert (spec["trigger"], spec["dest"]) in drawn, spec


def test_internal_transitions_on_request() -> None:
    assert ": link" not in diagram("ticket")
    assert ": link" in diagram("ticket", internal=True)


def test_unknown_diagram_is_a_typed_error() -> None:
    with pytest.raises(ValidationError, match="ticket"):
        diagram("spaceship")


def test_ci_lifecycle_diagram() -> None:
    text = diagram("ci")
    assert "planned --> active: change_status" in text
    assert "state retired" in text or '"retired"' in text


def test_problem_diagram() -> None:
    text = diagram("problem")
    assert "root_cause_analysis --> fix_in_progress: start_fix [root_cause_known]" in text
    assert "--> resolved: resolve [rca_settled]" in text


def test_change_diagram_shows_the_three_paths() -> None:
    text = diagram("change")
    assert "new --> assess: submit [is_normal]" in text
    assert "new --> authorize: submit [is_emergency]" in text
    assert "new --> scheduled: schedule [is_standard]" in text


def test_knowledge_diagram() -> None:
    text = diagram("knowledge")
    assert "not_validated --> scheduled: validate [publish_later]" in text
    assert "--> outdated: supersede" in text
