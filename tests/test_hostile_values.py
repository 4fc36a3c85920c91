"""Issue 14, in part: hostile attribute values and malformed events fail typed, up front.

An attributes mapping nested thousands of levels deep, or holding a number with
thousands of digits, used to pass `Ticket.open` and fail later with a raw
`RecursionError` or `ValueError` when stored; a malformed `update` event made
replay raise a raw `KeyError` or `ValueError`.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from hypothesis import given
from hypothesis import strategies as st

from itil_l2 import (
    SYSTEM,
    ConfigurationItem,
    CorruptHistory,
    Impact,
    SupportGroup,
    Ticket,
    Tier,
    Urgency,
    ValidationError,
)
from itil_l2.cmdb import CiKind
from itil_l2.testing import example_ticket
from itil_l2.tickets import FieldChange
from itil_l2.tickets.events import Updated


def _nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth):
        value = {"x": value}
    return value


def _open(attributes: dict[str, Any]) -> Ticket:
    t = example_ticket()
    return Ticket.open(
        id="T-HOSTILE",
        title="hostile attributes",
        impact=Impact.LOW,
        urgency=Urgency.LOW,
        owner_group=t.owner_group,
        at=t.updated_at,
        actor=SYSTEM,
        attributes=attributes,
    )


@pytest.mark.parametrize("depth", [33, 5_000, 100_000])
def test_attributes_nested_too_deep_are_refused(depth: int) -> None:
    with pytest.raises(ValidationError, match="nested more than 32 levels"):
        _open(_nested(depth))


def test_attributes_32_levels_deep_are_fine() -> None:
    assert _open(_nested(31)).attributes["x"] is not None


@pytest.mark.parametrize("number", [10**5000, 2**63, -(2**63)], ids=["10**5000", "2**63", "-2**63"])
def test_numbers_beyond_64_bits_are_refused(number: int) -> None:
    with pytest.raises(ValidationError, match="whole numbers"):
        _open({"x": [number]})


@given(st.integers(min_value=-(2**63) + 1, max_value=2**63 - 1))
def test_numbers_within_64_bits_are_kept(number: int) -> None:
    assert _open({"n": number}).attributes["n"] == number


def test_ci_attributes_follow_the_same_bounds() -> None:
    t = example_ticket()
    with pytest.raises(ValidationError, match="nested"):
        ConfigurationItem.register(
            id="ci-1",
            name="db",
            kind=CiKind.DATABASE,
            support_group=SupportGroup("dba", Tier.L2),
            at=t.updated_at,
            actor=SYSTEM,
            attributes=_nested(40),
        )


@pytest.mark.parametrize(
    "change",
    [
        FieldChange("no_such_field", 1, 2),  # was a raw KeyError
        FieldChange("impact", "low", "bogus"),  # was a raw ValueError
        FieldChange("ci_refs", [], 5),  # was a raw TypeError
    ],
)
def test_a_malformed_update_event_is_corrupt_history(change: FieldChange) -> None:
    t = example_ticket()
    t.update(title="Printer jams twice a day", at=t.updated_at, actor=SYSTEM)
    forged = attrs.evolve(t.history[-1], payload=Updated((change,)))
    with pytest.raises(CorruptHistory, match="cannot be replayed"):
        Ticket.from_history((*t.history[:-1], forged))
