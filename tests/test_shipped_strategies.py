"""The strategies `itil_l2.testing` ships draw values the library accepts.

A host builds its property tests on them: a strategy that draws invalid input
(an L3 target named with a control character, an attribute with NUL) makes
the host's test fail for the strategy's fault, not the host's.
"""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from itil_l2.testing import ci_attributes, handovers, l3_targets
from itil_l2.tickets import Handover, L3Target


@settings(max_examples=300)
@given(l3_targets())
def test_l3_targets_are_valid_targets(target: L3Target) -> None:
    assert L3Target(target.kind, target.name, target.reference) == target


@settings(max_examples=300)
@given(ci_attributes())
def test_ci_attributes_are_storable_json(attributes: dict[str, object]) -> None:
    text = json.dumps(attributes, ensure_ascii=False)
    assert "\\u0000" not in text  # PostgreSQL's JSON functions refuse an escaped NUL
    assert json.loads(text) == attributes


@settings(max_examples=100)
@given(st.integers(0, 400).flatmap(lambda n: st.tuples(st.just(n), handovers(min_description=n))))
def test_handovers_meet_any_minimum(drawn: tuple[int, Handover]) -> None:
    minimum, handover = drawn
    assert len(handover.description) > minimum
