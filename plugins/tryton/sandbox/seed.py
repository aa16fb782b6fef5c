"""Filling a Tryton database through its API (JSON-RPC as the administrator), as a person would:
a company, employees with their users, customer parties with e-mail and website contact mechanisms,
leads and opportunities. Used by the tests and by `make run CRM=tryton`."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from plugins.tryton.connector.jsonrpc import TrytonRpc

INTEGRATION_LOGIN = "groundtruth"


@dataclass(frozen=True)
class Company:
    id: int
    party: int
    currency: int


GROUP_OPPORTUNITY = "Sale Opportunity"  # sale_opportunity.group_opportunity
GROUP_GROUNDTRUTH = "Groundtruth Integration"  # groundtruth.group_groundtruth


async def group_id(rpc: TrytonRpc, name: str) -> int:
    """A group by its (English) name: `ir.model.data` is not open to RPC."""
    rows = await rpc.search_read("res.group", [("name", "=", name)], ["id"])
    if not rows:
        raise LookupError(f"no group {name!r} in this database")
    return int(rows[0]["id"])


async def ensure_company(rpc: TrytonRpc, name: str, *, currency_code: str = "EUR") -> Company:
    """The company (created once) and the administrator working in it."""
    found = await rpc.search_read("company.company", [], ["id", "party", "currency"])
    if found:
        row = found[0]
        return Company(row["id"], row["party"], row["currency"])
    currencies = await rpc.search_read("currency.currency", [("code", "=", currency_code)], ["id"])
    if currencies:
        currency = currencies[0]["id"]
    else:
        (currency,) = await rpc.call(
            "model.currency.currency.create",
            [{"name": currency_code, "code": currency_code, "symbol": currency_code, "digits": 2,
              "rounding": Decimal("0.01")}],
        )  # fmt: skip
    (party,) = await rpc.call("model.party.party.create", [{"name": name}])
    (company,) = await rpc.call("model.company.company.create", [{"party": party, "currency": currency}])
    admin = rpc.user_id
    await rpc.call("model.res.user.write", [admin], {"companies": [("add", [company])], "company": company})
    await rpc.login()  # the session's context now names the company
    return Company(company, party, currency)


async def create_employee(
    rpc: TrytonRpc, company: Company, *, name: str, email: str, login: str, password: str,
    supervisor: int | None = None,
) -> tuple[int, int]:  # fmt: skip
    """An employee (with a party holding their e-mail) and the user they log in as; (employee, user)."""
    (party,) = await rpc.call(
        "model.party.party.create",
        [{"name": name, "contact_mechanisms": [("create", [{"type": "email", "value": email}])]}],
    )
    values: dict[str, Any] = {"party": party, "company": company.id}
    if supervisor:
        values["supervisor"] = supervisor
    (employee,) = await rpc.call("model.company.employee.create", [values])
    groups = [await group_id(rpc, GROUP_OPPORTUNITY)]
    (user,) = await rpc.call(
        "model.res.user.create",
        [{
            "name": name, "login": login, "password": password, "email": email,
            "groups": [("add", groups)],
            "companies": [("add", [company.id])], "company": company.id,
            "employees": [("add", [employee])], "employee": employee,
        }],
    )  # fmt: skip
    return employee, user


async def create_integration_user(rpc: TrytonRpc, company: Company, *, password: str) -> int:
    """The connector's own user: the Groundtruth Integration group, reading opportunities."""
    groups = [await group_id(rpc, GROUP_GROUNDTRUTH), await group_id(rpc, GROUP_OPPORTUNITY)]
    (user,) = await rpc.call(
        "model.res.user.create",
        [{
            "name": "Groundtruth", "login": INTEGRATION_LOGIN, "password": password,
            "groups": [("add", groups)], "companies": [("add", [company.id])], "company": company.id,
        }],
    )  # fmt: skip
    return int(user)


async def create_party(
    rpc: TrytonRpc, name: str, *, website: str = "", contacts: Sequence[tuple[str, str]] = ()
) -> tuple[int, dict[str, int]]:
    """A customer party with its website and e-mail contacts (name, address); (party, {address: id})."""
    mechanisms: list[dict[str, Any]] = []
    if website:
        mechanisms.append({"type": "website", "value": website})
    mechanisms += [{"type": "email", "value": email, "name": person} for person, email in contacts]
    (party,) = await rpc.call(
        "model.party.party.create", [{"name": name, "contact_mechanisms": [("create", mechanisms)]}]
    )
    rows = await rpc.search_read(
        "party.contact_mechanism", [("party", "=", party), ("type", "=", "email")], ["id", "value"]
    )
    return int(party), {str(r["value"]).lower(): int(r["id"]) for r in rows}


async def create_opportunity(
    rpc: TrytonRpc, company: Company, *, party: int, employee: int, description: str,
    contact: int | None = None, amount: Decimal | None = None, end_date: date | None = None,
    comment: str = "", state: str = "opportunity",
) -> int:  # fmt: skip
    """A lead moved to `state` by Tryton's own buttons (`lead`, `opportunity`, `lost`, `cancelled`)."""
    values: dict[str, Any] = {
        "party": party, "employee": employee, "company": company.id, "currency": company.currency,
        "description": description, "contact": contact, "amount": amount, "end_date": end_date,
        "comment": comment or None,
    }  # fmt: skip
    (opportunity,) = await rpc.call("model.sale.opportunity.create", [values])
    await set_state(rpc, opportunity, state)
    return int(opportunity)


async def set_state(rpc: TrytonRpc, opportunity: int, state: str) -> None:
    """Through the workflow buttons, as a user clicks them."""
    if state == "lead":
        return
    await rpc.call("model.sale.opportunity.opportunity", [opportunity])
    if state == "lost":
        await rpc.call("model.sale.opportunity.lost", [opportunity])
    elif state == "cancelled":
        await rpc.call("model.sale.opportunity.cancel", [opportunity])
