"""The control API under /_emulator: change the world, break it on purpose, read its ground truth.

Tests in the same process usually call `GoogleWorld` directly; these routes serve `make run`'s demo
and anything outside the process. Unknown users, messages or events answer 404, bad input 400."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from services.sandbox.emulators.google.world import GoogleWorld

Control = Callable[[Request, dict[str, Any]], Any]


def _time(value: Any) -> datetime:
    parsed = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if parsed.tzinfo is None:
        raise ValueError(f"{value!r} needs an offset")
    return parsed


class ControlRoutes:
    def __init__(self, world: GoogleWorld, base_url: Callable[[], str]) -> None:
        self.world = world
        self.base_url = base_url

    def routes(self) -> list[BaseRoute]:
        p = "/_emulator"
        u = p + "/users/{user}"
        return [
            Route(p + "/organisation", self._wrap(self.organisation)),
            Route(p + "/key", self._wrap(self.key)),
            Route(p + "/mail", self._wrap(self.send_mail), methods=["POST"]),
            Route(u + "/messages/{message_id}/modify", self._wrap(self.modify), methods=["POST"]),
            Route(u + "/messages/{message_id}", self._wrap(self.delete_message), methods=["DELETE"]),
            Route(p + "/events", self._wrap(self.create_event), methods=["POST"]),
            Route(p + "/events/{event_id}", self._wrap(self.change_event), methods=["PATCH", "DELETE"]),
            Route(p + "/events/{event_id}/occurrences", self._wrap(self.occurrence), methods=["POST"]),
            Route(u + "/expire", self._wrap(self.expire), methods=["POST"]),
            Route(u + "/delegation", self._wrap(self.delegation), methods=["POST"]),
            Route(u + "/faults", self._wrap(self.fault), methods=["POST"]),
            Route(u + "/truth", self._wrap(self.truth)),
            Route(p + "/pubsub/subscriptions", self._wrap(self.subscribe), methods=["POST"]),
            Route(p + "/deliveries", self._wrap(self.deliveries)),
            Route(p + "/stats", self._wrap(self.stats)),
        ]

    @staticmethod
    def _wrap(handler: Control) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            body: dict[str, Any] = {}
            if request.method in ("POST", "PATCH"):
                raw = await request.body()
                try:
                    parsed = await request.json() if raw else {}
                except ValueError:
                    return JSONResponse({"detail": "body is not JSON"}, status_code=400)
                if not isinstance(parsed, dict):
                    return JSONResponse({"detail": "body must be a JSON object"}, status_code=400)
                body = parsed
            try:
                result = handler(request, body)
            except KeyError as exc:
                return JSONResponse({"detail": f"not found: {exc.args[0]}"}, status_code=404)
            except (ValueError, TypeError) as exc:
                return JSONResponse({"detail": str(exc)}, status_code=400)
            return Response(status_code=204) if result is None else JSONResponse(result)

        return endpoint

    def _user(self, request: Request) -> str:
        user = str(request.path_params["user"]).lower()
        if user not in self.world.mailboxes:
            raise KeyError(user)
        return user

    def organisation(self, _: Request, __: dict[str, Any]) -> Any:
        return {
            "domain": self.world.domain,
            "users": self.world.users(),
            "serviceAccount": self.world.service_account.client_email,
            "clientId": self.world.service_account.client_id,
            "gmailEndpoint": self.base_url(),
            "calendarEndpoint": self.base_url() + "/calendar/v3/",
        }

    def key(self, _: Request, __: dict[str, Any]) -> Any:
        return self.world.key_file(self.base_url() + "/token")

    def send_mail(self, _: Request, body: dict[str, Any]) -> Any:
        placed = self.world.send_mail(
            sender=str(body["sender"]),
            to=[str(a) for a in body.get("to", [])],
            cc=[str(a) for a in body.get("cc", [])],
            subject=str(body.get("subject", "")),
            sent_at=_time(body["sentAt"]) if "sentAt" in body else None,
            thread=body.get("thread"),
        )
        return {"placed": placed}

    def modify(self, request: Request, body: dict[str, Any]) -> Any:
        self.world.modify_labels(
            self._user(request),
            request.path_params["message_id"],
            add=body.get("addLabelIds", []),
            remove=body.get("removeLabelIds", []),
        )

    def delete_message(self, request: Request, _: dict[str, Any]) -> Any:
        self.world.delete_message(self._user(request), request.path_params["message_id"])

    def create_event(self, _: Request, body: dict[str, Any]) -> Any:
        event_id = self.world.create_event(
            organizer=str(body["organizer"]),
            summary=str(body.get("summary", "")),
            start=_time(body["start"]),
            end=_time(body["end"]),
            attendees=[
                (str(a["email"]), str(a.get("responseStatus", "needsAction")))
                for a in body.get("attendees", [])
            ],
            all_day=bool(body.get("allDay", False)),
            visibility=str(body.get("visibility", "default")),
            recurrence=[str(r) for r in body.get("recurrence", [])],
            event_type=str(body.get("eventType", "default")),
        )
        return {"id": event_id}

    def change_event(self, request: Request, body: dict[str, Any]) -> Any:
        event_id = request.path_params["event_id"]
        if request.method == "DELETE":
            self.world.delete_event(event_id)
        else:
            self.world.update_event(event_id, **body)

    def occurrence(self, request: Request, body: dict[str, Any]) -> Any:
        series, original = request.path_params["event_id"], _time(body["originalStart"])
        if body.get("cancel"):
            return {"id": self.world.cancel_occurrence(series, original)}
        return {"id": self.world.modify_occurrence(series, original, **body.get("fields", {}))}

    def expire(self, request: Request, body: dict[str, Any]) -> Any:
        user, what = self._user(request), body.get("what")
        if what == "history":
            self.world.expire_history(user)
        elif what == "syncTokens":
            self.world.expire_sync_tokens(user)
        else:
            raise ValueError("what must be 'history' or 'syncTokens'")

    def delegation(self, request: Request, body: dict[str, Any]) -> Any:
        self.world.set_delegation(self._user(request), granted=bool(body["granted"]))

    def fault(self, request: Request, body: dict[str, Any]) -> Any:
        api, kind = body.get("api"), body.get("kind")
        if api not in ("gmail", "calendar") or kind not in (
            "userRateLimitExceeded",
            "rateLimitExceeded",
            "serverError",
        ):
            raise ValueError(
                "api must be gmail|calendar; kind userRateLimitExceeded|rateLimitExceeded|serverError"
            )
        self.world.inject_fault(
            self._user(request), api, kind, count=int(body.get("count", 1)), status=body.get("status")
        )

    def truth(self, request: Request, _: dict[str, Any]) -> Any:
        user = self._user(request)
        return {"messages": self.world.mailbox_truth(user), "events": self.world.calendar_truth(user)}

    def subscribe(self, _: Request, body: dict[str, Any]) -> Any:
        self.world.add_push_subscription(str(body["topic"]), str(body["endpoint"]), name=body.get("name"))

    def stats(self, _: Request, __: dict[str, Any]) -> Any:
        with self.world.lock:
            return {
                "served": sum(self.world.served.values()),
                "gmail_watches": len(self.world.push.gmail_watches),
                "calendar_channels": len(self.world.push.channels),
                "push_deliveries": len(self.world.push.deliveries),
            }

    def deliveries(self, _: Request, __: dict[str, Any]) -> Any:
        with self.world.lock:
            return [dataclasses.asdict(d) for d in self.world.push.deliveries]
