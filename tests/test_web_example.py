"""docs/examples/web_app.py, the FastAPI helpdesk of docs/howto-web-api.md, through its test client.

On a SQLite file (WAL, `enable_sqlite_savepoints`, as docs/storage.md asks of a
host) and on PostgreSQL: the whole L1 → L2 flow, lists by tier with paging,
views against their published schema, each error category's status, the host's
transaction around the library's unit of work, and the OpenAPI document. Rows
are counted with a separate connection, not through the app.
"""

from __future__ import annotations

import sqlite3
import sys
import typing
from collections.abc import Callable, Iterator
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import Engine, create_engine, event, func, select, text

from itil_l2 import Priority, Tier, WorkflowConfig
from itil_l2.kpis import DIMENSIONS
from itil_l2.sla import SlaMetric, SlaTarget
from itil_l2.storage.sqlalchemy import enable_sqlite_savepoints, metadata
from itil_l2.views import SlaView, TicketView, json_schema
from test_storage_contract import postgres_url

sys.path.insert(0, str(Path(__file__).parent.parent / "docs" / "examples"))

import web_app

T0 = datetime(2026, 3, 2, 9, tzinfo=UTC)
HANDOVER: dict[str, Any] = {
    "description": "Order app times out on checkout for every user since 09:10",
    "attempts": [{"action": "restarted the app pool", "result": "no change"}],
    "ci_refs": ["app-orders"],
    "priority": "P3",
    "impact": "medium",
}


@pytest.fixture(scope="module")
def postgres() -> Iterator[Engine]:
    made = create_engine(postgres_url())  # type: ignore[arg-type]
    for tables in (metadata, web_app.helpdesk_tables):
        tables.drop_all(made)
    web_app.create_tables(made)
    yield made
    for tables in (metadata, web_app.helpdesk_tables):
        tables.drop_all(made)
    made.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    if request.param == "postgres":
        made: Engine = request.getfixturevalue("postgres")
        names = [t.name for t in (*metadata.sorted_tables, web_app.audit)]
        with made.begin() as conn:  # every table, the stored config included
            conn.execute(text(f"TRUNCATE {', '.join(names)}"))
        yield made
        return
    path = tmp_path / "helpdesk.sqlite"
    with closing(sqlite3.connect(path)) as db:
        db.execute("PRAGMA journal_mode=WAL")
    made = enable_sqlite_savepoints(create_engine(f"sqlite:///{path}"))
    web_app.create_tables(made)
    yield made
    made.dispose()


def ticking() -> Callable[[], datetime]:
    """A clock one minute later at every call: events never share a time."""
    now = [T0]

    def clock() -> datetime:
        now[0] += timedelta(minutes=1)
        return now[0]

    return clock


@pytest.fixture
def make(engine: Engine) -> Callable[..., TestClient]:
    def made(**options: Any) -> TestClient:
        options.setdefault("clock", ticking())
        return TestClient(web_app.create_app(engine, **options), raise_server_exceptions=False)

    return made


@pytest.fixture
def client(make: Callable[..., TestClient]) -> TestClient:
    return make()


def counts(engine: Engine) -> dict[str, int]:
    """Rows per table, read with a connection of its own."""
    tables = {"events": metadata.tables["itil_events"], "audit": web_app.audit}
    with engine.connect() as conn:
        return {
            name: conn.execute(select(func.count()).select_from(t)).scalar_one()
            for name, t in tables.items()
        }


def post(client: TestClient, actor: str, path: str, body: Any = None) -> Any:
    response = client.post(path, json=body, headers={"X-Actor": actor})
    assert response.status_code in (200, 201), (path, response.status_code, response.text)
    return response.json()


def get(client: TestClient, path: str, actor: str = "ann", **params: Any) -> Any:
    response = client.get(path, params=params, headers={"X-Actor": actor})
    assert response.status_code == 200, (path, response.text)
    return response.json()


def opened(client: TestClient, title: str = "Checkout times out", **fields: Any) -> str:
    body = {"title": title, "impact": "medium", "urgency": "medium", **fields}
    ticket: str = post(client, "ann", "/tickets", body)["id"]
    return ticket


def at_l1(client: TestClient) -> str:
    """A ticket queued at the service desk, then in progress with ann."""
    ticket = opened(client)
    post(client, "ann", f"/tickets/{ticket}/assign", {"group": "service-desk"})
    post(client, "ann", f"/tickets/{ticket}/start")
    return ticket


def at_l2(client: TestClient, *, started: bool = True) -> str:
    ticket = at_l1(client)
    body = {"group": "app-support", "handover": HANDOVER}
    post(client, "ann", f"/tickets/{ticket}/escalate", body)
    if started:
        post(client, "bob", f"/tickets/{ticket}/start")
    return ticket


def refused(response: Any, status: int, category: str) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error", "detail"} and body["error"] == category, body
    detail: str = body["detail"]
    return detail


def test_the_whole_flow_from_l1_to_l2_and_resolved(client: TestClient, engine: Engine) -> None:
    ticket = opened(client, caller="carla")
    steps = [
        ("ann", "assign", {"group": "service-desk"}, "L1.queued"),
        ("ann", "start", None, "L1.in_progress"),
        ("ann", "escalate", {"group": "app-support", "handover": HANDOVER}, "L2.queued"),
        ("bob", "start", None, "L2.in_progress"),
        ("bob", "hold", {"reason": "awaiting_vendor"}, "L2.on_hold"),
        ("bob", "resume", {"cause": "the vendor sent a patch"}, "L2.in_progress"),
        ("bob", "resolve", {"code": "solved_permanently", "notes": "patched"}, "resolved"),
    ]
    states = []
    for version, (actor, action, body, _) in enumerate(steps, start=2):
        view = post(client, actor, f"/tickets/{ticket}/{action}", body)
        assert view["version"] == version
        states.append(view["state"])
    assert states == [state for *_, state in steps]
    stored = get(client, f"/tickets/{ticket}")
    assert stored == view  # the stored view is the one the last step answered
    assert (stored["tier"], stored["group"], stored["assignee"]) == ("L2", "app-support", "bob")
    assert (stored["escalation_count"], stored["resolution_code"]) == (1, "solved_permanently")
    assert (stored["priority"], stored["caller"], stored["hold_reason"]) == ("P3", "carla", None)
    assert stored["opened_at"] == (T0 + timedelta(minutes=1)).isoformat()
    assert stored["resolved_at"] == (T0 + timedelta(minutes=8)).isoformat()
    assert counts(engine) == {"events": 8, "audit": 8}


def test_escalation_asks_for_the_handover_the_config_requires(
    make: Callable[..., TestClient],
) -> None:
    client = make(config=WorkflowConfig(handover_min_description=80))
    ticket = at_l1(client)
    short = {"group": "app-support", "handover": HANDOVER}  # 59 characters of description
    response = client.post(f"/tickets/{ticket}/escalate", json=short, headers={"X-Actor": "ann"})
    assert "description (at least 80 characters)" in refused(response, 422, "invalid_input")
    empty = {"group": "app-support", "handover": {}}
    response = client.post(f"/tickets/{ticket}/escalate", json=empty, headers={"X-Actor": "ann"})
    detail = refused(response, 422, "invalid_input")
    for part in ("description", "solution attempts", "affected CI", "priority", "impact"):
        assert part in detail
    longer = f"{HANDOVER['description']}, on three clients; the load balancer logs no errors"
    assert len(longer) >= 80
    full = {**HANDOVER, "description": longer}
    body = {"group": "app-support", "handover": full}
    assert post(client, "ann", f"/tickets/{ticket}/escalate", body)["state"] == "L2.queued"


def test_lists_by_tier_page_through_exactly_the_expected_tickets(client: TestClient) -> None:
    at_two = {at_l2(client) for _ in range(3)}
    queued_at_two = at_l2(client, started=False)
    at_one = {at_l1(client) for _ in range(2)}
    new = [opened(client) for _ in range(2)]  # a new ticket's tier is its owner group's: L1

    def listed(limit: int, **params: Any) -> tuple[list[str], int]:
        ids, pages, cursor = [], 0, None
        while True:
            page = get(
                client, "/tickets", limit=limit, **params, **({"cursor": cursor} if cursor else {})
            )
            assert len(page["items"]) <= limit
            ids += [item["id"] for item in page["items"]]
            pages += 1
            cursor = page["next_cursor"]
            if cursor is None:
                return ids, pages

    ids, pages = listed(2, tier="L2")
    assert ids == sorted(at_two | {queued_at_two}) and pages == 2
    ids, pages = listed(3, tier="L1")
    assert ids == sorted(at_one | set(new)) and pages == 2
    assert listed(10, tier="L3") == ([], 1)
    assert listed(1, tier="L2", state="in_progress")[0] == sorted(at_two)
    assert listed(50, state="L2.queued")[0] == [queued_at_two]
    assert listed(2, assignee="bob")[0] == sorted(at_two)
    assert listed(50, tier="L1", state="new")[0] == sorted(new)
    by_id = get(client, "/tickets", limit=1)["next_cursor"]
    response = client.get(
        "/tickets", params={"order_by": "-opened_at", "cursor": by_id}, headers={"X-Actor": "ann"}
    )
    assert "not a cursor of a list ordered by '-opened_at'" in refused(
        response, 422, "invalid_input"
    )
    newest = get(client, "/tickets", tier="L1", order_by="-opened_at", limit=1)["items"]
    assert [item["id"] for item in newest] == [new[-1]]


def checker(view: type[Any]) -> jsonschema.Draft202012Validator:
    """A validator of the view's schema that checks formats too (date-time: RFC 3339)."""
    validator = jsonschema.Draft202012Validator
    return validator(json_schema(view), format_checker=validator.FORMAT_CHECKER)


def test_views_validate_against_their_published_schema(client: TestClient) -> None:
    ticket = at_l2(client)
    post(client, "bob", f"/tickets/{ticket}/hold", {"reason": "awaiting_caller"})
    validator = checker(TicketView)
    view = get(client, f"/tickets/{ticket}")
    validator.validate(view)
    for item in get(client, "/tickets")["items"]:
        validator.validate(item)
    for wrong in ({"tier": "L4"}, {"opened_at": "yesterday"}, {"priority": 3}):
        with pytest.raises(jsonschema.ValidationError):
            validator.validate({**view, **wrong})
    sla = get(client, f"/tickets/{ticket}/sla")
    assert [s["target"] for s in sla] == ["response", "resolution"]
    for status in sla:
        checker(SlaView).validate(status)
    response, resolution = sla
    assert response["stage"] == "met" and response["stopped_at"] is not None
    assert resolution["paused"] is True  # awaiting_caller pauses the default target
    assert resolution["stage"] == "paused" and resolution["stopped_at"] is None


def test_an_actor_without_rights_gets_403_for_a_trigger_the_state_allows(
    client: TestClient, engine: Engine
) -> None:
    ticket = at_l2(client)
    before = counts(engine)
    for actor in ("ann", "kim", "vic"):  # the owner desk, nobody's group, the vendor
        response = client.post(
            f"/tickets/{ticket}/hold",
            json={"reason": "awaiting_vendor"},
            headers={"X-Actor": actor},
        )
        assert f"'{actor}' may not hold" in refused(response, 403, "forbidden")
    assert counts(engine) == before
    assert get(client, f"/tickets/{ticket}")["state"] == "L2.in_progress"


def test_a_trigger_the_state_forbids_is_409(client: TestClient) -> None:
    ticket = at_l2(client)
    response = client.post(
        f"/tickets/{ticket}/resume", json={"cause": "none"}, headers={"X-Actor": "bob"}
    )
    assert "cannot resume from in_progress at L2" in refused(response, 409, "conflict")


BAD_BODIES = [
    ("/tickets", {"title": " ", "impact": "low", "urgency": "low"}, "title"),
    ("/tickets", {"title": "x", "impact": "huge", "urgency": "low"}, "body.impact"),
    ("/tickets", {"title": "x", "urgency": "low"}, "body.impact"),
    ("/tickets/{id}/hold", {"reason": "awaiting_godot"}, "awaiting_godot"),
    ("/tickets/{id}/resolve", {"code": "fixed_it", "notes": "x"}, "fixed_it"),
    ("/tickets/{id}/assign", {"group": "nobody"}, "unknown group 'nobody'"),
]
BAD_LIST_PARAMETERS = [
    ({"tier": "l2"}, "tier must be"),
    ({"state": "in_progres"}, "unknown state 'in_progres'"),
    ({"limit": 0}, "limit must be"),
    ({"cursor": "not-a-cursor"}, "not a cursor"),
    ({"order_by": "title"}, "order_by must be"),
    ({"limit": "ten"}, "query.limit"),
]


def test_bad_input_is_422_and_stores_nothing(client: TestClient, engine: Engine) -> None:
    ticket = at_l1(client)
    before = counts(engine)
    for path, body, expected in BAD_BODIES:
        response = client.post(path.format(id=ticket), json=body, headers={"X-Actor": "ann"})
        assert expected in refused(response, 422, "invalid_input"), (path, body)
    for params, expected in BAD_LIST_PARAMETERS:
        response = client.get("/tickets", params=params, headers={"X-Actor": "ann"})
        assert expected in refused(response, 422, "invalid_input"), params
    assert counts(engine) == before


def test_an_unknown_ticket_is_404_and_an_unknown_actor_401(client: TestClient) -> None:
    for response in (
        client.get("/tickets/INC-NOPE", headers={"X-Actor": "ann"}),
        client.get("/tickets/INC-NOPE/sla", headers={"X-Actor": "ann"}),
        client.post("/tickets/INC-NOPE/start", headers={"X-Actor": "ann"}),
    ):
        assert "INC-NOPE" in refused(response, 404, "not_found")
    assert client.get("/tickets", headers={"X-Actor": "mallory"}).status_code == 401
    assert client.get("/tickets").status_code == 401


def test_a_request_that_fails_after_its_unit_of_work_committed_stores_nothing(
    engine: Engine,
) -> None:
    app: FastAPI = web_app.create_app(engine, clock=ticking())

    @app.post("/tickets/{ticket_id}/note-then-fail")
    def note_then_fail(
        ticket_id: str, desk: web_app.Desk, session: web_app.Db, actor: web_app.Who
    ) -> None:
        web_app.change(
            desk, session, actor, ticket_id, "note",
            lambda t, at: t.add_note("called the user", at=at, actor=actor),
        )  # fmt: skip
        raise RuntimeError("the request's next step failed")

    client = TestClient(app, raise_server_exceptions=False)
    ticket = at_l1(client)
    before, version = counts(engine), get(client, f"/tickets/{ticket}")["version"]
    response = client.post(f"/tickets/{ticket}/note-then-fail", headers={"X-Actor": "ann"})
    assert response.status_code == 500
    assert counts(engine) == before  # the note's event and the audit row rolled back together
    assert get(client, f"/tickets/{ticket}")["version"] == version
    post(client, "ann", f"/tickets/{ticket}/hold", {"reason": "awaiting_caller"})
    assert counts(engine) == {k: v + 1 for k, v in before.items()}


def test_the_transaction_commits_before_the_response_is_sent(engine: Engine) -> None:
    """`scope="function"`: a commit that fails is answered as an error, never as a success."""
    app = web_app.create_app(engine, clock=ticking())
    order: list[str] = []

    def committed(_connection: Any) -> None:  # a COMMIT; releasing a SAVEPOINT is not one
        order.append("commit")

    async def spy(scope: Any, receive: Any, send: Any) -> None:
        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                order.append("response")
            await send(message)

        await app(scope, receive, sending)

    event.listen(engine, "commit", committed)
    try:
        opened(TestClient(spy))
    finally:
        event.remove(engine, "commit", committed)
    assert order == ["commit", "response"]


def test_a_configuration_gap_is_500_without_its_details(
    make: Callable[..., TestClient], caplog: pytest.LogCaptureFixture
) -> None:
    only_p1 = SlaTarget("p1-only", SlaMetric.RESOLUTION, {Priority.P1: timedelta(hours=4)})
    client = make(sla_targets=[only_p1])
    ticket = opened(client)  # P3
    response = client.get(f"/tickets/{ticket}/sla", headers={"X-Actor": "ann"})
    assert refused(response, 500, "configuration") == "server fault; see the server log"
    assert "no target for P3" in caplog.text


def test_kpis_over_the_stored_tickets(client: TestClient) -> None:
    resolved = at_l2(client)
    post(client, "bob", f"/tickets/{resolved}/resolve", {"code": "solved_workaround", "notes": "x"})
    at_l1(client)  # still open: grouped under "(open)" by period, excluded by the rates
    rows = get(client, "/kpis", by=["tier"])
    assert [row["key"] for row in rows] == [{"tier": "L1"}, {"tier": "L2"}]
    l2 = rows[1]["kpis"]
    assert l2["resolution_rate"] == {
        "value": 1.0, "n": 1, "numerator": 1, "excluded": 0, "unit": "ratio"
    }  # fmt: skip
    assert (l2["escalation_rate_l1_l2"]["value"], l2["escalation_rate_l2_l3"]["value"]) == (1, 0)
    assert l2["sla_compliance:resolution"]["value"] == 1.0
    assert rows[0]["kpis"]["resolution_rate"]["n"] == 0
    (everything,) = get(client, "/kpis")
    assert everything["key"] == {} and everything["kpis"]["resolution_rate"]["excluded"] == 1
    response = client.get("/kpis", params={"by": "colour"}, headers={"X-Actor": "ann"})
    assert "query.by" in refused(response, 422, "invalid_input")
    assert typing.get_args(web_app.Dimension) == DIMENSIONS  # the example's copy is the library's


def test_openapi_publishes_the_views_with_their_enums_and_formats(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    schemas = document["components"]["schemas"]
    ticket = schemas["TicketView"]["properties"]
    assert ticket["tier"]["enum"] == [t.value for t in Tier] == ["L1", "L2", "L3"]
    assert ticket["opened_at"]["format"] == "date-time"
    assert ticket["priority"]["enum"] == ["P1", "P2", "P3", "P4", "P5"]
    assert set(ticket) == set(json_schema(TicketView)["properties"])
    assert (
        schemas["SlaView"]["properties"]["stage"]["enum"]
        == json_schema(SlaView)["properties"]["stage"]["enum"]
    )
    get_one = document["paths"]["/tickets/{ticket_id}"]["get"]["responses"]["200"]
    assert get_one["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/TicketView"
    }
