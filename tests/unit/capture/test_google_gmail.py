"""Gmail metadata → mail items, and what a page of history means."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from email.utils import formataddr
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from services.capture.providers.google.gmail import (
    HistoryAction,
    parse_addresses,
    parse_message,
    parse_sent_time,
    plan_history,
    skip_reason,
)
from services.capture.providers.google.items import MailItem, MailKind, MailRemoval, RemovalReason, Role

RECEIVED_AT_MS = "1700000000000"  # 2023-11-14T22:13:20Z


def message(labels: list[str], headers: list[tuple[str, str]], **extra: Any) -> dict[str, Any]:
    return {
        "id": "18c2f0a1b2c3d4e5",
        "threadId": "18c2f0a1b2c3d4e0",
        "labelIds": labels,
        "historyId": "4242",
        "internalDate": RECEIVED_AT_MS,
        "payload": {"headers": [{"name": n, "value": v} for n, v in headers]},
        **extra,
    }


HEADERS = [
    ("From", '"Scorpio, Hank" <Hank.Scorpio@Globex.example>'),
    ("To", "Ana Reyes <ana.reyes@acme.example>, bob@acme.example"),
    ("Cc", "=?UTF-8?Q?Max_M=C3=BCller?= <max.muller@acme.example>"),
    ("Subject", "Quote"),
    ("Date", "Tue, 14 Nov 2023 22:10:00 +0000"),
    ("Message-Id", " <abc@globex.example> "),
]


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        pytest.param(["Ana <ANA@acme.example>"], [("ana@acme.example", "Ana")], id="lower-cased address"),
        pytest.param(
            ['"Doe, Jane" <j@x.example>, k@y.example'],
            [("j@x.example", "Doe, Jane"), ("k@y.example", "")],
            id="comma in quoted name",
        ),
        pytest.param(
            ["a@x.example", "A@x.example"], [("a@x.example", "")], id="repeated header, duplicate dropped"
        ),
        pytest.param(["undisclosed-recipients:;"], [], id="empty group"),
        pytest.param(["not an address"], [], id="no at sign"),
        pytest.param(
            ["=?UTF-8?B?TWF4IE3DvGxsZXI=?= <m@x.example>"], [("m@x.example", "Max Müller")], id="encoded word"
        ),
    ],
)
def test_addresses(values: list[str], expected: list[tuple[str, str]]) -> None:
    parsed = parse_addresses(values, Role.TO)
    assert [(p.address, p.display_name) for p in parsed] == expected
    assert all(p.role is Role.TO for p in parsed)


@given(
    st.lists(
        st.tuples(
            st.text(alphabet=st.characters(codec="ascii", categories=["L", "N", "Zs"]), max_size=20),
            st.from_regex(r"[a-z][a-z0-9.]{0,10}@[a-z]{1,10}\.example", fullmatch=True),
        ),
        max_size=5,
        unique_by=lambda pair: pair[1],
    )
)
def test_addresses_round_trip_through_a_header(people: list[tuple[str, str]]) -> None:
    header = ", ".join(formataddr((name, address)) for name, address in people)
    parsed = parse_addresses([header], Role.CC)
    assert [(p.address, p.display_name) for p in parsed] == [(a, " ".join(n.split())) for n, a in people]


INTERNAL = datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)


@pytest.mark.parametrize(
    ("date_header", "internal_ms", "expected"),
    [
        pytest.param(
            "Tue, 14 Nov 2023 23:10:00 +0100",
            RECEIVED_AT_MS,
            datetime(2023, 11, 14, 22, 10, tzinfo=UTC),
            id="header with offset",
        ),
        pytest.param(None, RECEIVED_AT_MS, INTERNAL, id="no header: internalDate"),
        pytest.param("garbage", RECEIVED_AT_MS, INTERNAL, id="unparseable header"),
        pytest.param("Tue, 14 Nov 2023 22:10:00 -0000", RECEIVED_AT_MS, INTERNAL, id="unknown zone"),
        pytest.param(
            "Mon, 01 Jan 2035 00:00:00 +0000", RECEIVED_AT_MS, INTERNAL, id="implausible future header"
        ),
        pytest.param(
            "Tue, 14 Nov 2023 22:10:00 +0000",
            None,
            datetime(2023, 11, 14, 22, 10, tzinfo=UTC),
            id="no internalDate",
        ),
        pytest.param(None, None, None, id="nothing at all"),
    ],
)
def test_sent_time(date_header: str | None, internal_ms: str | None, expected: datetime | None) -> None:
    assert parse_sent_time(date_header, internal_ms) == expected


def test_received_message() -> None:
    item = parse_message(message(["INBOX", "UNREAD"], HEADERS))
    assert isinstance(item, MailItem)
    assert item.kind is MailKind.RECEIVED
    assert item.internet_message_id == "<abc@globex.example>"
    assert item.thread_id == "18c2f0a1b2c3d4e0"
    assert item.history_id == 4242
    assert item.subject == "Quote"
    assert item.occurred_at == datetime(2023, 11, 14, 22, 10, tzinfo=UTC)
    assert [(p.address, p.display_name, p.role) for p in item.participants] == [
        ("hank.scorpio@globex.example", "Scorpio, Hank", Role.FROM),
        ("ana.reyes@acme.example", "Ana Reyes", Role.TO),
        ("bob@acme.example", "", Role.TO),
        ("max.muller@acme.example", "Max Müller", Role.CC),
    ]


def test_header_names_are_case_insensitive() -> None:
    lowered = [(name.upper(), value) for name, value in HEADERS]
    item = parse_message(message(["SENT"], lowered))
    assert isinstance(item, MailItem)
    assert item.kind is MailKind.SENT
    assert item.internet_message_id == "<abc@globex.example>"
    assert len(item.participants) == 4


@pytest.mark.parametrize(
    ("labels", "expected"),
    [
        pytest.param(["DRAFT"], "DRAFT", id="draft"),
        pytest.param(["INBOX", "SPAM"], "SPAM", id="spam"),
        pytest.param(["SENT", "TRASH"], "TRASH", id="trashed sent mail"),
        pytest.param(["CHAT"], "CHAT", id="chat transcript"),
        pytest.param(["INBOX", "CATEGORY_PROMOTIONS"], None, id="category"),
        pytest.param(["SENT", "IMPORTANT"], None, id="sent"),
        pytest.param([], None, id="archived"),
    ],
)
def test_skip_rules(labels: list[str], expected: str | None) -> None:
    assert skip_reason(labels) == expected
    parsed = parse_message(message(labels, HEADERS))
    if expected is None:
        assert isinstance(parsed, MailItem)
    else:
        assert parsed == MailRemoval("18c2f0a1b2c3d4e5", RemovalReason.SKIPPED, 4242)


def test_message_without_any_time_is_unusable() -> None:
    resource = message(["INBOX"], [("From", "a@x.example")])
    del resource["internalDate"]
    assert parse_message(resource) is None


def test_offset_is_kept() -> None:
    headers = [("Date", "Tue, 14 Nov 2023 17:10:00 -0500")]
    item = parse_message(message(["INBOX"], headers))
    assert isinstance(item, MailItem)
    assert item.occurred_at.utcoffset() == timedelta(hours=-5)
    assert item.occurred_at == datetime(2023, 11, 14, 17, 10, tzinfo=timezone(timedelta(hours=-5)))


def added(record_id: int, message_id: str, labels: list[str]) -> dict[str, Any]:
    ref = {"id": message_id, "threadId": "t", "labelIds": labels}
    return {"id": str(record_id), "messages": [ref], "messagesAdded": [{"message": ref}]}


def deleted(record_id: int, message_id: str) -> dict[str, Any]:
    ref = {"id": message_id, "threadId": "t"}
    return {"id": str(record_id), "messages": [ref], "messagesDeleted": [{"message": ref}]}


def labelled(
    record_id: int, message_id: str, after: list[str], changed: list[str], *, added_: bool
) -> dict[str, Any]:
    ref = {"id": message_id, "threadId": "t", "labelIds": after}
    key = "labelsAdded" if added_ else "labelsRemoved"
    return {"id": str(record_id), "messages": [ref], key: [{"message": ref, "labelIds": changed}]}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        pytest.param([added(10, "m1", ["INBOX"])], [("m1", HistoryAction.FETCH, None)], id="new mail"),
        pytest.param([added(10, "d1", ["DRAFT"])], [], id="new draft ignored"),
        pytest.param(
            [added(10, "m1", ["INBOX"]), deleted(12, "m1")],
            [("m1", HistoryAction.REMOVE, RemovalReason.DELETED)],
            id="added then deleted",
        ),
        pytest.param(
            [labelled(10, "m1", ["INBOX", "STARRED"], ["STARRED"], added_=True)], [], id="irrelevant label"
        ),
        pytest.param([labelled(10, "m1", ["UNREAD"], ["INBOX"], added_=False)], [], id="archived"),
        pytest.param(
            [labelled(10, "m1", ["INBOX", "TRASH"], ["TRASH"], added_=True)],
            [("m1", HistoryAction.REMOVE, RemovalReason.SKIPPED)],
            id="trashed",
        ),
        pytest.param(
            [labelled(10, "m1", ["INBOX"], ["SPAM"], added_=False)],
            [("m1", HistoryAction.FETCH, None)],
            id="not spam after all",
        ),
        pytest.param(
            [labelled(10, "d1", ["SENT"], ["DRAFT"], added_=False)],
            [("d1", HistoryAction.FETCH, None)],
            id="draft sent in place",
        ),
        pytest.param(
            [added(10, "m1", ["INBOX"]), added(11, "m2", ["SENT"]), deleted(14, "m1")],
            [("m1", HistoryAction.REMOVE, RemovalReason.DELETED), ("m2", HistoryAction.FETCH, None)],
            id="several messages",
        ),
    ],
)
def test_history_plan(
    records: list[dict[str, Any]], expected: list[tuple[str, HistoryAction, RemovalReason | None]]
) -> None:
    plan = plan_history(records)
    assert sorted((c.message_id, c.action, c.reason) for c in plan) == sorted(expected, key=lambda e: e[0])


def test_history_plan_keeps_the_deciding_record_id() -> None:
    plan = plan_history([added(10, "m1", ["INBOX"]), labelled(17, "m1", ["SPAM"], ["SPAM"], added_=True)])
    assert [(c.action, c.history_id) for c in plan] == [(HistoryAction.REMOVE, 17)]


@pytest.mark.parametrize(
    "header",
    [
        pytest.param("Ana Reyes <ana.reyes@acme.example>, bob@x.example", id="plain list"),
        pytest.param('"Reyes, Ana" <ana@x.example>, c@d.example', id="quoted comma"),
        pytest.param("=?utf-8?q?M=C3=BCller?= <max@acme.example>", id="encoded word"),
        pytest.param("a@b.example,  , c@d.example", id="empty member"),
        pytest.param("Undisclosed recipients:;", id="group"),
        pytest.param("x (comment) <y@z.example>", id="comment"),
        pytest.param("<only@angle.example>", id="angle only"),
    ],
)
def test_the_fast_address_path_reads_what_getaddresses_reads(header: str) -> None:
    from email.utils import getaddresses

    from services.capture.providers.google.gmail import _addresses

    assert [p for p in _addresses([header]) if "@" in p[1]] == [
        p for p in getaddresses([header]) if "@" in p[1]
    ]
