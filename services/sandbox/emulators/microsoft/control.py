"""The Microsoft emulator's control API (plain HTTP, mounted under /microsoft): changes, faults, truth.

| method | path | body | effect |
|---|---|---|---|
| GET  | /describe | | endpoints and seeded credentials |
| GET  | /mailboxes/{upn} | | ground truth: what the mailbox holds per folder and calendar |
| POST | /mailboxes/{upn}/messages | {folder, sender, to, cc, subject} | new message; returns {id} |
| POST | /mailboxes/{upn}/events | {..., sensitivity, show_as, all_day} | new event ("oof": out of office) |
| PATCH | /mailboxes/{upn}/items/{id} | Graph properties | update |
| POST | /mailboxes/{upn}/items/{id}/cancel | | cancel a meeting |
| POST | /mailboxes/{upn}/items/{id}/move | {folder} | move a message |
| POST | /mailboxes/{upn}/items/{id}/poison | {replace, drop} | serve the item hostile (any JSON) |
| DELETE | /mailboxes/{upn}/items/{id} | | hard delete |
| POST | /faults/throttle | {mailbox, count, retry_after, status} | 429 / 503 on the next requests |
| POST | /faults/expire-tokens | {mailbox} | 410 SyncStateNotFound for existing tokens |
| POST | /faults/always-expire | {mailbox, enabled} | 410 on every delta request |
| POST | /faults/revoke | {client_id, revoked} | 401 invalid_client |
| POST | /faults/revoke-tokens | | every issued access token answers 401 at Graph |
| POST | /faults/deny | {mailbox, denied} | 403 ErrorAccessDenied |
| POST | /faults/empty-pages | {mailbox, count, reset} | empty pages with a nextLink (reset: stop) |
| POST | /faults/replay | {mailbox, count} | re-send already delivered items |
| POST | /faults/latency | {seconds} | delay every Graph answer |
| POST | /notifications | {enabled} | change notifications on/off |
| GET  | /subscriptions/{upn} | | the mailbox's subscriptions |
| POST | /subscriptions/{id}/lifecycle | {event} | send a lifecycle notification |
| GET  | /stats | | request and notification counters |
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

if TYPE_CHECKING:
    from services.sandbox.emulators.microsoft.emulator import MicrosoftEmulator


def control_routes(emulator: MicrosoftEmulator) -> list[BaseRoute]:
    async def body(request: Request) -> dict[str, Any]:
        raw = await request.body()
        parsed = json.loads(raw) if raw else {}
        if not isinstance(parsed, dict):
            raise ValueError("body must be a JSON object")
        return parsed

    def handler(fn: Any) -> Any:
        async def wrapped(request: Request) -> Response:
            try:
                result = await fn(request, await body(request), request.path_params)
            except (KeyError, ValueError, TypeError) as exc:
                return JSONResponse({"error": repr(exc)}, status_code=400)
            return JSONResponse(result if result is not None else {"ok": True})

        return wrapped

    async def describe(_: Request, __: dict[str, Any], ___: dict[str, str]) -> Any:
        return emulator.describe()

    async def truth(_: Request, __: dict[str, Any], p: dict[str, str]) -> Any:
        return emulator.ground_truth(p["upn"])

    async def add_message(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        return {
            "id": emulator.add_message(
                p["upn"],
                folder=b.get("folder", "inbox"),
                sender=b["sender"],
                to=b.get("to", []),
                cc=b.get("cc", []),
                subject=b.get("subject", ""),
            )
        }

    async def add_event(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        return {
            "id": emulator.add_event(
                p["upn"],
                organizer=b["organizer"],
                attendees=b.get("attendees", []),
                start=datetime.fromisoformat(b["start"]),
                minutes=int(b.get("minutes", 60)),
                subject=b.get("subject", ""),
                sensitivity=b.get("sensitivity", "normal"),
                show_as=str(b.get("show_as", "busy")),
                is_all_day=bool(b.get("all_day", False)),
            )
        }

    async def update(request: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        if request.method == "DELETE":
            emulator.delete(p["upn"], p["id"])
        else:
            emulator.update(p["upn"], p["id"], b)

    async def poison(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        emulator.poison(p["upn"], p["id"], replace=b.get("replace") or {}, drop=b.get("drop") or ())

    async def cancel(_: Request, __: dict[str, Any], p: dict[str, str]) -> Any:
        emulator.cancel_event(p["upn"], p["id"])

    async def move(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        emulator.move_message(p["upn"], p["id"], b["folder"])

    async def fault(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        name = p["name"]
        if name == "throttle":
            retry = b.get("retry_after", 1.5)
            emulator.throttle(
                b["mailbox"],
                count=int(b.get("count", 1)),
                retry_after=None if retry is None else float(retry),
                status=int(b.get("status", 429)),
            )
        elif name == "expire-tokens":
            return {"expired": emulator.expire_tokens(b["mailbox"])}
        elif name == "always-expire":
            emulator.always_expire(b["mailbox"], bool(b.get("enabled", True)))
        elif name == "revoke":
            emulator.revoke(b["client_id"], bool(b.get("revoked", True)))
        elif name == "revoke-tokens":
            return {"revoked": emulator.revoke_access_tokens()}
        elif name == "deny":
            emulator.deny(b["mailbox"], bool(b.get("denied", True)))
        elif name == "empty-pages":
            emulator.empty_pages(b["mailbox"], int(b.get("count", 1)), reset=bool(b.get("reset", False)))
        elif name == "replay":
            emulator.replay(b["mailbox"], int(b.get("count", 5)))
        elif name == "latency":
            emulator.set_latency(float(b.get("seconds", 0.0)))
        else:
            raise KeyError(name)
        return None

    async def notifications(_: Request, b: dict[str, Any], __: dict[str, str]) -> Any:
        emulator.set_notifications(bool(b.get("enabled", True)))

    async def subscriptions(_: Request, __: dict[str, Any], p: dict[str, str]) -> Any:
        return emulator.subscriptions_of(p["upn"])

    async def lifecycle(_: Request, b: dict[str, Any], p: dict[str, str]) -> Any:
        return {"status": await emulator.lifecycle(p["id"], b["event"])}

    async def stats(_: Request, __: dict[str, Any], ___: dict[str, str]) -> Any:
        return emulator.stats()

    return [
        Route("/describe", handler(describe), methods=["GET"]),
        Route("/stats", handler(stats), methods=["GET"]),
        Route("/mailboxes/{upn}", handler(truth), methods=["GET"]),
        Route("/mailboxes/{upn}/messages", handler(add_message), methods=["POST"]),
        Route("/mailboxes/{upn}/events", handler(add_event), methods=["POST"]),
        Route("/mailboxes/{upn}/items/{id}", handler(update), methods=["PATCH", "DELETE"]),
        Route("/mailboxes/{upn}/items/{id}/cancel", handler(cancel), methods=["POST"]),
        Route("/mailboxes/{upn}/items/{id}/poison", handler(poison), methods=["POST"]),
        Route("/mailboxes/{upn}/items/{id}/move", handler(move), methods=["POST"]),
        Route("/faults/{name}", handler(fault), methods=["POST"]),
        Route("/notifications", handler(notifications), methods=["POST"]),
        Route("/subscriptions/{upn}", handler(subscriptions), methods=["GET"]),
        Route("/subscriptions/{id}/lifecycle", handler(lifecycle), methods=["POST"]),
    ]
