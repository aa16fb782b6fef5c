"""Who is who: Tryton employees and users as Groundtruth rep ids (pure).

Groundtruth knows a rep by their mailbox address. Tryton knows an employee (`company.employee`, whom
opportunities are assigned to) and a user (`res.user`, who logs in and writes), linked by the user's
employees. An employee's rep id is, in order: the `gt_rep_id` an administrator set on the employee,
the e-mail of the employee's user, the first e-mail of the employee's party. A user's rep id is their
employee's. Users without an employee (the administrator, the connector itself) are not reps.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]


@dataclass(frozen=True)
class RepDirectory:
    rep_of_employee: Mapping[int, str] = field(default_factory=dict)
    rep_of_user: Mapping[int, str] = field(default_factory=dict)
    employee_of_rep: Mapping[str, int] = field(default_factory=dict)
    internal_parties: frozenset[int] = frozenset()  # the company's and the employees' own parties

    def user_rep(self, user_id: int | None) -> str:
        return self.rep_of_user.get(user_id or 0, "")


def _email(value: object) -> str:
    text = str(value or "").strip().lower()
    return text if "@" in text else ""


def build_directory(
    employees: Iterable[Row],
    users: Iterable[Row],
    party_emails: Mapping[int, str],
    company_parties: Iterable[int],
) -> RepDirectory:
    """`employees`: id, party, gt_rep_id; `users`: id, email, employee, employees;
    `party_emails`: the first e-mail of each employee party."""
    employees = list(employees)
    users = list(users)
    user_email_of_employee: dict[int, str] = {}
    for user in sorted(users, key=lambda u: u["id"]):
        email = _email(user.get("email"))
        if not email:
            continue
        linked = [user.get("employee"), *(user.get("employees") or [])]
        for employee in linked:
            if employee:
                user_email_of_employee.setdefault(int(employee), email)
    rep_of_employee: dict[int, str] = {}
    for employee in employees:
        rep = (
            _email(employee.get("gt_rep_id"))
            or user_email_of_employee.get(employee["id"], "")
            or _email(party_emails.get(employee["party"]))
        )
        if rep:
            rep_of_employee[employee["id"]] = rep
    rep_of_user: dict[int, str] = {}
    for user in users:
        main = user.get("employee") or next(iter(user.get("employees") or []), None)
        if main and int(main) in rep_of_employee:
            rep_of_user[user["id"]] = rep_of_employee[int(main)]
    employee_of_rep: dict[str, int] = {}
    for employee_id, rep in sorted(rep_of_employee.items()):
        employee_of_rep.setdefault(rep, employee_id)
    internal = {int(e["party"]) for e in employees} | {int(p) for p in company_parties}
    return RepDirectory(rep_of_employee, rep_of_user, employee_of_rep, frozenset(internal))
