"""The emulator's Gmail semantics and its token endpoint."""

from __future__ import annotations

import base64
import json
import random
import time
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding

from services.sandbox.emulators.google.errors import ApiError, OAuthError
from services.sandbox.emulators.google.identity import JWT_BEARER_GRANT, Directory
from services.sandbox.emulators.google.mailbox import Mailbox

NOW_MS = 1_800_000_000_000


@pytest.fixture
def mailbox() -> Mailbox:
    box = Mailbox("ana@acme.example", random.Random(3), history_id=1000)
    for n, labels in enumerate([["INBOX"], ["SENT"], ["SPAM"], ["TRASH"], ["DRAFT"], ["INBOX", "UNREAD"]]):
        box.add_message(
            thread_id=None,
            label_ids=labels,
            internal_date_ms=NOW_MS + n * 60_000,
            headers=[("Subject", str(n))],
        )
    return box


def listed(box: Mailbox, **query: Any) -> list[str]:
    ids: list[str] = []
    token = None
    while True:
        response = box.list_messages(
            label_ids=query.get("label_ids", []), include_spam_trash=query.get("include_spam_trash", False),
            q=query.get("q"), max_results=query.get("max_results", 2), page_token=token,
        )  # fmt: skip
        ids += [m["id"] for m in response.get("messages", [])]
        token = response.get("nextPageToken")
        if token is None:
            return ids


def test_list_is_newest_first_without_spam_and_trash(mailbox: Mailbox) -> None:
    ids = listed(mailbox)
    assert len(ids) == 4
    dates = [mailbox.messages[i].internal_date_ms for i in ids]
    assert dates == sorted(dates, reverse=True)
    assert len(listed(mailbox, include_spam_trash=True)) == 6
    assert [mailbox.messages[i].label_ids for i in listed(mailbox, label_ids=["SENT"])] == [["SENT"]]


def test_list_query_after_before(mailbox: Mailbox) -> None:
    after = (NOW_MS + 60_000) // 1000
    assert len(listed(mailbox, q=f"after:{after}", include_spam_trash=True)) == 5
    assert len(listed(mailbox, q=f"before:{after}")) == 1
    with pytest.raises(ApiError) as refused:
        listed(mailbox, q="from:someone")
    assert refused.value.status == 400


def test_history_paging_filters_and_expiry(mailbox: Mailbox) -> None:
    start = mailbox.history_id
    first = next(iter(mailbox.messages))
    mailbox.modify_labels(first, add=["STARRED"])
    mailbox.modify_labels(first, remove=["INBOX"])
    mailbox.delete_message(first)
    records = mailbox.list_history(
        start_history_id=str(start), history_types=[], label_id=None, max_results=None, page_token=None
    )
    assert [list(r)[2] for r in records["history"]] == ["labelsAdded", "labelsRemoved", "messagesDeleted"]
    ids = [int(r["id"]) for r in records["history"]]
    assert ids == sorted(ids) and ids[0] > start and records["historyId"] == str(mailbox.history_id)
    only_deleted = mailbox.list_history(
        start_history_id=str(start),
        history_types=["messageDeleted"],
        label_id=None,
        max_results=None,
        page_token=None,
    )
    assert len(only_deleted["history"]) == 1
    paged = mailbox.list_history(
        start_history_id=str(start), history_types=[], label_id=None, max_results=1, page_token=None
    )
    assert len(paged["history"]) == 1 and "nextPageToken" in paged
    assert mailbox.list_history(
        start_history_id=str(mailbox.history_id),
        history_types=[],
        label_id=None,
        max_results=None,
        page_token=None,
    ) == {"historyId": str(mailbox.history_id)}

    mailbox.expire_history()
    for stale in (start, mailbox.history_id + 1):
        with pytest.raises(ApiError) as expired:
            mailbox.list_history(
                start_history_id=str(stale),
                history_types=[],
                label_id=None,
                max_results=None,
                page_token=None,
            )
        assert (expired.value.status, expired.value.body()["error"]["status"]) == (404, "NOT_FOUND")


def test_metadata_headers_are_case_insensitive(mailbox: Mailbox) -> None:
    message = mailbox.add_message(
        thread_id=None, label_ids=["INBOX"], internal_date_ms=NOW_MS,
        headers=[("Message-Id", "<a@b>"), ("Subject", "s"), ("Received", "x")],
    )  # fmt: skip
    resource = mailbox.get_message(message.id, "metadata", ["message-ID", "subject"])
    assert resource["payload"]["headers"] == [
        {"name": "Message-Id", "value": "<a@b>"},
        {"name": "Subject", "value": "s"},
    ]
    assert "payload" not in mailbox.get_message(message.id, "minimal", [])
    with pytest.raises(ApiError):
        mailbox.get_message("nope", "metadata", [])


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


@pytest.fixture
def directory() -> Directory:
    directory = Directory("acme.example")
    directory.add_user("ana@acme.example", "Ana")
    account = directory.add_service_account("svc", "proj", client_id="42")
    directory.grant_delegation(account.client_id, ["scope-a", "scope-b"])
    return directory


def assertion(directory: Directory, **claims: Any) -> str:
    account = directory.service_accounts["svc@proj.iam.gserviceaccount.com"]
    kid, key = next(iter(account.keys.items()))
    now = int(time.time())
    body = {
        "iss": account.client_email,
        "sub": "ana@acme.example",
        "scope": "scope-a",
        "aud": "https://oauth2.googleapis.com/token",
        "iat": now,
        "exp": now + 3600,
    }
    body.update(claims)
    body = {k: v for k, v in body.items() if v is not None}
    header = b64(json.dumps({"alg": "RS256", "typ": "JWT", "kid": kid}).encode())
    signing_input = f"{header}.{b64(json.dumps(body).encode())}"
    signature = key.sign(signing_input.encode(), padding.PKCS1v15(), hashes.SHA256())
    return f"{signing_input}.{b64(signature)}"


def test_token_exchange(directory: Directory) -> None:
    grant = directory.exchange_assertion(
        JWT_BEARER_GRANT, assertion(directory, aud="https://anything.example/")
    )
    assert grant.subject == "ana@acme.example" and grant.scopes == {"scope-a"}
    assert directory.authenticate(f"Bearer {grant.token}") == grant


@pytest.mark.parametrize(
    ("claims", "status", "error"),
    [
        pytest.param({"sub": "eve@acme.example"}, 400, "invalid_grant", id="unknown user"),
        pytest.param({"scope": "scope-a scope-z"}, 401, "unauthorized_client", id="scope not delegated"),
        pytest.param({"scope": ""}, 400, "invalid_scope", id="no scope"),
        pytest.param(
            {"exp": int(time.time()) - 3600, "iat": int(time.time()) - 7200},
            400,
            "invalid_grant",
            id="expired",
        ),
        pytest.param({"exp": int(time.time()) + 7200}, 400, "invalid_grant", id="too long-lived"),
        pytest.param(
            {"iss": "other@proj.iam.gserviceaccount.com"}, 401, "invalid_client", id="unknown issuer"
        ),
    ],
)
def test_token_refusals(directory: Directory, claims: dict[str, Any], status: int, error: str) -> None:
    with pytest.raises(OAuthError) as refused:
        directory.exchange_assertion(JWT_BEARER_GRANT, assertion(directory, **claims))
    assert (refused.value.status, refused.value.error) == (status, error)


def test_revoking_delegation_invalidates_issued_tokens(directory: Directory) -> None:
    grant = directory.exchange_assertion(JWT_BEARER_GRANT, assertion(directory))
    directory.set_user_delegation("ana@acme.example", granted=False)
    with pytest.raises(ApiError) as rejected:
        directory.authenticate(f"Bearer {grant.token}")
    assert rejected.value.status == 401
    with pytest.raises(OAuthError) as refused:
        directory.exchange_assertion(JWT_BEARER_GRANT, assertion(directory))
    assert (refused.value.status, refused.value.error) == (401, "unauthorized_client")
    directory.set_user_delegation("ana@acme.example", granted=True)
    assert directory.exchange_assertion(JWT_BEARER_GRANT, assertion(directory)).subject == "ana@acme.example"


def test_tampered_assertion(directory: Directory) -> None:
    head, body, signature = assertion(directory).split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["sub"] = "ana@acme.example "
    with pytest.raises(OAuthError) as refused:
        directory.exchange_assertion(
            JWT_BEARER_GRANT, f"{head}.{b64(json.dumps(claims).encode())}.{signature}"
        )
    assert refused.value.description == "Invalid JWT Signature."
