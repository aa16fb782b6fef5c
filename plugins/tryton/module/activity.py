"""`groundtruth.activity`: the e-mails and meetings Groundtruth captured, written back into Tryton.

One record per e-mail (keyed by its Message-ID) or meeting occurrence (keyed by its iCalendar UID),
whoever's mailbox it was captured from, so a re-capture, a resync or a second rep's copy never
creates a second record. Each captured copy (one per rep's mailbox) is a `groundtruth.activity.copy`
keyed by Groundtruth's activity id; its creation time is when the activity was logged in Tryton.
"""

from sql import Null
from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool
from trytond.rpc import RPC

KINDS = [("email", "E-mail"), ("meeting", "Meeting")]
STATES = [("done", "Done"), ("cancelled", "Cancelled"), ("removed", "Removed from the mailbox")]
DIRECTIONS = [("sent", "Sent"), ("received", "Received"), ("meeting", "Meeting")]


class Activity(ModelSQL, ModelView):
    __name__ = "groundtruth.activity"

    external_id = fields.Char(
        "External ID", required=True, readonly=True, help="The Message-ID or iCalendar UID."
    )
    kind = fields.Selection(KINDS, "Kind", required=True, readonly=True)
    subject = fields.Char("Subject", readonly=True)
    occurred_at = fields.DateTime("Date", required=True, readonly=True)
    end_at = fields.DateTime("End", readonly=True)
    party = fields.Many2One("party.party", "Party", ondelete="SET NULL", readonly=True)
    opportunity = fields.Many2One("sale.opportunity", "Opportunity", ondelete="SET NULL", readonly=True)
    contacts = fields.Many2Many(
        "groundtruth.activity-party.contact_mechanism", "activity", "contact", "Contacts", readonly=True
    )
    participants = fields.Text("Participants", readonly=True)
    employees = fields.Function(fields.Char("Employees"), "get_employees")
    copies = fields.One2Many("groundtruth.activity.copy", "activity", "Captured Copies", readonly=True)
    state = fields.Selection(STATES, "State", required=True, readonly=True)
    confidence = fields.Float("Match Confidence", digits=(1, 2), readonly=True)
    reason = fields.Text("Why This Record", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ("external_id_unique", Unique(t, t.external_id), "groundtruth.msg_external_id_unique"),
        ]
        cls._sql_indexes.update(
            {
                Index(t, (t.party, Index.Range()), where=t.party != Null),
                Index(t, (t.opportunity, Index.Range()), where=t.opportunity != Null),
            }
        )
        cls._order = [("occurred_at", "DESC"), ("id", "DESC")]
        cls.__rpc__.update({"upsert_from_feed": RPC(readonly=False)})

    @staticmethod
    def default_state():
        return "done"

    def get_rec_name(self, name):
        kind = dict(KINDS)[self.kind]
        return f"{kind}: {self.subject}" if self.subject else f"{kind} {self.occurred_at:%Y-%m-%d %H:%M}"

    def get_employees(self, name):
        names = sorted({c.employee.rec_name for c in self.copies if c.employee})
        return ", ".join(names)

    @classmethod
    def upsert_from_feed(cls, items):
        """Write a page of the write-back feed in this one transaction; return, per item, the Tryton
        record, its copy and when the copy was first logged:
        `[[source_id, activity id, copy id, logged_at], ...]`.

        Idempotent: an item whose copy exists updates it; an e-mail or meeting already written (by
        another copy) gets this copy added. Records the feed names that no longer exist in Tryton
        (deleted since) are left empty rather than failing the page."""
        pool = Pool()
        Copy = pool.get("groundtruth.activity.copy")
        existing = _existing_ids(items)
        by_external = {
            a.external_id: a
            for a in cls.search([("external_id", "in", sorted({i["external_id"] for i in items}))])
        }
        copies = {c.source_id: c for c in Copy.search([("source_id", "in", [i["source_id"] for i in items])])}
        results = []
        moved = set()
        for item in items:
            values = _activity_values(item, existing)
            activity = by_external.get(item["external_id"])
            if activity is None:
                (activity,) = cls.create(
                    [
                        {
                            **values,
                            "external_id": item["external_id"],
                            "kind": item["kind"],
                            "contacts": [("add", values["contacts"])],
                        }
                    ]
                )
                by_external[activity.external_id] = activity
            else:
                cls.write([activity], _merge(activity, values))
            copy_values = {
                "activity": activity.id,
                "rep_id": item.get("rep_id") or "",
                "employee": item.get("employee")
                if item.get("employee") in existing["company.employee"]
                else None,
                "direction": item["direction"],
                "feed_sequence": item.get("feed_sequence") or 0,
            }
            copy = copies.get(item["source_id"])
            if copy is None:
                (copy,) = Copy.create([{"source_id": item["source_id"], **copy_values}])
                copies[copy.source_id] = copy
            else:
                if copy.activity.id != activity.id:
                    moved.add(copy.activity.id)
                Copy.write([copy], copy_values)
            results.append([item["source_id"], activity.id, copy.id, copy.create_date])
        # A copy whose e-mail or meeting now has another id left its old record: drop it when empty.
        if moved:
            kept = {c.activity.id for c in Copy.search([("activity", "in", sorted(moved))])}
            cls.delete(cls.browse(sorted(moved - kept)))
        return results


def _existing_ids(items):
    """The ids the page names, per model, that still exist."""
    pool = Pool()
    wanted = {
        "party.party": {i.get("party") for i in items},
        "sale.opportunity": {i.get("opportunity") for i in items},
        "party.contact_mechanism": {c for i in items for c in i.get("contacts") or ()},
        "company.employee": {i.get("employee") for i in items},
    }
    found = {}
    for model, ids in wanted.items():
        ids = sorted(i for i in ids if isinstance(i, int) and i > 0)
        Model = pool.get(model)
        found[model] = {r.id for r in Model.search([("id", "in", ids)])} if ids else set()
    return found


def _activity_values(item, existing):
    party = item.get("party")
    opportunity = item.get("opportunity")
    return {
        "subject": item.get("subject") or None,
        "occurred_at": item["occurred_at"],
        "end_at": item.get("end_at"),
        "party": party if party in existing["party.party"] else None,
        "opportunity": opportunity if opportunity in existing["sale.opportunity"] else None,
        "contacts": [c for c in item.get("contacts") or () if c in existing["party.contact_mechanism"]],
        "participants": item.get("participants") or None,
        "state": item.get("state") or "done",
        "confidence": item.get("confidence"),
        "reason": item.get("reason") or None,
    }


def _merge(activity, values):
    """A later copy updates times, state and subject; it fills the records only where it knows them
    with at least the confidence already there (another rep's copy may be matched less well)."""
    out = {k: values[k] for k in ("occurred_at", "end_at", "state")}
    if values["subject"]:
        out["subject"] = values["subject"]
    if values["participants"]:
        out["participants"] = values["participants"]
    better = (values["confidence"] or 0) >= (activity.confidence or 0)
    if values["party"] and (better or not activity.party):
        out["party"] = values["party"]
    if values["opportunity"] and (better or not activity.opportunity):
        out["opportunity"] = values["opportunity"]
    if better:
        out["confidence"] = values["confidence"]
        out["reason"] = values["reason"]
    known = {c.id for c in activity.contacts}
    added = [c for c in values["contacts"] if c not in known]
    if added:
        out["contacts"] = [("add", added)]
    return out


class ActivityCopy(ModelSQL, ModelView):
    __name__ = "groundtruth.activity.copy"

    activity = fields.Many2One("groundtruth.activity", "Activity", required=True, ondelete="CASCADE")
    source_id = fields.Char("Groundtruth ID", required=True, readonly=True)
    rep_id = fields.Char("Rep", readonly=True)
    employee = fields.Many2One("company.employee", "Employee", ondelete="SET NULL", readonly=True)
    direction = fields.Selection(DIRECTIONS, "Direction", required=True, readonly=True)
    feed_sequence = fields.Integer("Feed Sequence", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [
            ("source_id_unique", Unique(t, t.source_id), "groundtruth.msg_source_id_unique"),
        ]


class ActivityContact(ModelSQL):
    __name__ = "groundtruth.activity-party.contact_mechanism"

    activity = fields.Many2One("groundtruth.activity", "Activity", required=True, ondelete="CASCADE")
    contact = fields.Many2One("party.contact_mechanism", "Contact", required=True, ondelete="CASCADE")
