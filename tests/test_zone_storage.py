"""A time in a named zone is stored as its instant and offset, on purpose (documented).

`itil_l2._core.serialization` explains why the zone's name is not kept:
Python compares and subtracts two datetimes sharing one `ZoneInfo` by wall
clock, so across a daylight-saving change durations would be an hour off.
These tests hold the documented promise on JSON, the memory store and
SQLite: same instant, the offset in force at that instant, converting back
with `astimezone(zone)` gives the original wall time, durations across the
change are right, and older text re-serialises byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from itil_l2 import SYSTEM, Impact, SupportGroup, Ticket, Tier, Urgency
from itil_l2.kpis import resolution_time
from itil_l2.storage import MemoryStore, SqliteStore, entity_from_json, entity_to_json
from itil_l2.tickets import SOLVED_PERMANENTLY, Resolution

BERLIN = ZoneInfo("Europe/Berlin")
DESK = SupportGroup("service-desk", Tier.L1)
STEP = timedelta(minutes=80)


def _ticket(start: datetime, id: str = "INC-ZONE") -> Ticket:
    """Opened at `start`, resolved three 80-minute steps later, each time in `start`'s zone."""
    zone = start.tzinfo
    times = [(start.astimezone(UTC) + STEP * k).astimezone(zone) for k in range(4)]
    ticket = Ticket.open(
        id=id,
        title="Printer jams",
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        at=times[0],
        actor=SYSTEM,
    )
    ticket.assign(DESK, at=times[1], actor=SYSTEM)
    ticket.start(at=times[2], actor=SYSTEM)
    ticket.resolve(
        Resolution(SOLVED_PERMANENTLY, "Cleared the paper path"), at=times[3], actor=SYSTEM
    )
    return ticket


# 01:30 CET on 2024-03-31, then 03:50 CEST ...; 01:50 CEST on 2024-10-27, then 02:10 CET ...
SPRING = datetime(2024, 3, 31, 1, 30, tzinfo=BERLIN)
AUTUMN = datetime(2024, 10, 27, 1, 50, tzinfo=BERLIN)


def _assert_documented(back: Ticket, original: Ticket) -> None:
    assert len(back.history) == len(original.history)
    for got, want in zip(back.history, original.history, strict=True):
        assert got.at.astimezone(UTC) == want.at.astimezone(UTC)  # the same instant
        assert got.at.utcoffset() == want.at.utcoffset()  # the offset in force then
        assert not isinstance(got.at.tzinfo, ZoneInfo)  # a fixed offset, as documented
        shown = got.at.astimezone(BERLIN)
        assert (shown.replace(tzinfo=None), shown.utcoffset()) == (
            want.at.replace(tzinfo=None),
            want.at.utcoffset(),
        )
    assert len({e.at.utcoffset() for e in back.history}) == 2  # really across the change
    # Three real 80-minute steps: 4 hours from open to resolve, whatever the clocks did.
    assert resolution_time([back]).value == pytest.approx(4.0)


@pytest.mark.parametrize("start", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_json_keeps_the_instant_and_offset(start: datetime) -> None:
    ticket = _ticket(start)
    text = json.dumps(entity_to_json(ticket))
    back = entity_from_json(Ticket, json.loads(text))
    _assert_documented(back, ticket)
    assert json.dumps(entity_to_json(back)) == text  # byte for byte


@pytest.mark.parametrize("start", [SPRING, AUTUMN], ids=["spring", "autumn"])
def test_memory_and_sqlite_stores_keep_the_instant_and_offset(
    start: datetime, tmp_path: Path
) -> None:
    ticket = _ticket(start)
    path = tmp_path / "zones.sqlite"
    stores: list[Any] = [MemoryStore(), SqliteStore(path)]
    for store in stores:
        with store.unit_of_work() as uow:
            uow.tickets.add(_ticket(start))
            uow.commit()
        with store.unit_of_work() as uow:
            _assert_documented(uow.tickets.get(ticket.id), ticket)
    stores[1].close()
    reopened = SqliteStore(path)  # from the file, not from anything cached
    with reopened.unit_of_work() as uow:
        _assert_documented(uow.tickets.get(ticket.id), ticket)
    reopened.close()


@given(
    instant=st.datetimes(
        min_value=datetime(1990, 1, 1), max_value=datetime(2060, 1, 1), timezones=st.just(UTC)
    ),
    zone=st.sampled_from(["Europe/Berlin", "America/New_York", "Australia/Lord_Howe"]),
)
def test_any_instant_in_a_named_zone_keeps_its_instant_and_offset(
    instant: datetime, zone: str
) -> None:
    ticket = Ticket.open(
        id="INC-PROP",
        title="Printer jams",
        impact=Impact.LOW,
        urgency=Urgency.MEDIUM,
        owner_group=DESK,
        at=instant.astimezone(ZoneInfo(zone)),
        actor=SYSTEM,
    )
    (got,) = entity_from_json(Ticket, json.loads(json.dumps(entity_to_json(ticket)))).history
    (want,) = ticket.history
    assert got.at.astimezone(UTC) == instant
    assert got.at.utcoffset() == want.at.utcoffset()


def test_fixed_offset_text_round_trips_byte_for_byte() -> None:
    fixed = timezone(timedelta(hours=5, minutes=30))
    ticket = _ticket(datetime(2024, 3, 31, 1, 30, tzinfo=fixed), id="INC-FIXED")
    text = json.dumps(entity_to_json(ticket))
    back = entity_from_json(Ticket, json.loads(text))
    assert all(e.at.utcoffset() == timedelta(hours=5, minutes=30) for e in back.history)
    assert json.dumps(entity_to_json(back)) == text
