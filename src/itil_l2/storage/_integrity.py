"""What loading checks before it trusts stored rows: the head against the events.

A stored aggregate is a head row (its version and the facts queries filter
on) and its event rows. Neither is trusted on load: the head's version must
count the event rows, numbered 1..n (a deleted last row is a truncated
history, not an older version), and after replay the facts the aggregate
really has must be the ones its head claims, so a query never returns an
aggregate whose head was edited to match it. Each failure is a
`CorruptHistory` naming the aggregate and what differs.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import attrs

from itil_l2.errors import CorruptHistory
from itil_l2.storage._rows import EventRow, Head

__all__ = ["check_head", "check_rows"]

_FIELDS = tuple(field.name for field in attrs.fields(Head) if field.eq)
_VIEW_FIELDS = ("assignee", "caller", "title_key", "view")
"""The columns stored since views: all None in older rows (then a list replays)."""


def check_rows(where: str, head: Head, rows: Sequence[EventRow]) -> None:
    """The head's version is the number of event rows, and they are versions 1..n."""
    count = len(rows)
    for number, row in enumerate(rows, start=1):  # runs on every load: allocates nothing
        if row.version != number:
            break
    else:
        if head.version == count:
            return
    found = [row.version for row in rows]
    claimed = head.version if type(head.version) is int else count
    numbers = {v for v in found if type(v) is int and 1 <= v <= claimed}
    problems: list[str] = []
    missing = _spans(numbers, claimed)
    if missing:
        single = len(missing) == 1 and ".." not in missing[0]
        problems.append(
            f"event {missing[0]} is missing"
            if single
            else f"events {', '.join(missing)} are missing"
        )
    tally = Counter(found)
    beyond = [v for v in tally if v not in numbers]
    if beyond:
        problems.append(f"{_numbers(beyond)} beyond the head")
    repeated = [v for v, times in tally.items() if times > 1]
    if repeated:
        problems.append(f"{_numbers(repeated)} stored twice")
    if not problems:  # every version once, but out of order
        problems.append(f"events stored out of order ({', '.join(map(repr, found))})")
    raise CorruptHistory(
        f"{where}: head says version {head.version!r}, {count} events stored: "
        + "; ".join(problems)
    )


def _spans(numbers: set[int], claimed: int) -> list[str]:
    """The versions 1..claimed not in `numbers`, as spans ("3", "5..7", "9.." up to the head)."""
    spans: list[str] = []
    expected = 1
    for version in [*sorted(numbers), claimed + 1]:
        if version > expected:
            last = version - 1
            if version == claimed + 1:  # the end of the history: "events 5.. are missing"
                spans.append(f"{expected}..")
            else:
                spans.append(str(expected) if last == expected else f"{expected}..{last}")
        expected = version + 1
    return spans


def _numbers(versions: Sequence[Any]) -> str:
    listed = ", ".join(map(repr, versions[:10])) + (", ..." if len(versions) > 10 else "")
    return f"event {listed} is" if len(versions) == 1 else f"events {listed} are"


def check_head(where: str, stored: Head, replayed: Head) -> None:
    """The stored head's facts are the replayed aggregate's (`CorruptHistory` naming each)."""
    if stored == replayed:
        return
    if all(getattr(stored, name) is None for name in _VIEW_FIELDS):
        # a row written before views were stored, or by an adapter that keeps none
        replayed = attrs.evolve(replayed, assignee=None, caller=None, title_key=None, view=None)
    differ = [
        _view_differs(stored.view, replayed.view)
        if name == "view"
        else f"{name} is {_shown(getattr(stored, name))} in the head,"
        f" {_shown(getattr(replayed, name))} replayed"
        for name in _FIELDS
        if _norm(getattr(stored, name)) != _norm(getattr(replayed, name))
    ]
    if differ:
        raise CorruptHistory(
            f"{where}: the head row does not match the replayed history: " + "; ".join(differ)
        )


def _view_differs(stored: str | None, replayed: str | None) -> str:
    """Which keys of the stored view differ from the replayed entity's view."""
    try:
        mine, theirs = json.loads(stored or "null"), json.loads(replayed or "null")
        keys = sorted(k for k in {*mine, *theirs} if mine.get(k) != theirs.get(k))
    except (ValueError, TypeError, AttributeError, RecursionError):
        return "the view is not the replayed entity's view (unreadable JSON)"
    return f"the view is not the replayed entity's view ({', '.join(keys) or 'its text'} differ)"


def _norm(value: Any) -> Any:
    """What a database may legitimately change removed: time zone, order and repeats of CIs."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value  # naive means UTC
    if isinstance(value, (tuple, list)):
        return frozenset(value)
    return value


def _shown(value: Any) -> str:
    if isinstance(value, datetime):
        aware: datetime = _norm(value)
        return aware.astimezone(UTC).isoformat()
    if isinstance(value, (tuple, list)):
        return repr(sorted(map(str, value)))
    return repr(value)
