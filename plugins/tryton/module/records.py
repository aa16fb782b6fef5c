"""What the module adds to Tryton's own records: the written-back activity on the party and the
opportunity, each employee's Groundtruth rep id and scores, and a tombstone for every deletion the
connector must tell Groundtruth about (a deleted row leaves nothing a `write_date` search can find)."""

from trytond.model import ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access

CLASSES = [
    (None, ""),
    ("insufficient_data", "Insufficient data"),
    ("ghost", "Ghost"),
    ("workarounder", "Workarounder"),
    ("skeptic", "Skeptic"),
    ("adopter", "Adopter"),
]


class _Tombstones:
    """Records a `groundtruth.deletion` for every row deleted, in the deleting transaction."""

    __slots__ = ()

    @classmethod
    def delete(cls, records):
        Deletion = Pool().get("groundtruth.deletion")
        with without_check_access():
            Deletion.create([cls._gt_tombstone(r) for r in records])
        super().delete(records)

    @classmethod
    def _gt_tombstone(cls, record):
        return {"model": cls.__name__, "record_id": record.id, "party": None}


class Party(_Tombstones, metaclass=PoolMeta):
    __name__ = "party.party"

    gt_activities = fields.One2Many(
        "groundtruth.activity", "party", "Activities (Groundtruth)", readonly=True
    )


class ContactMechanism(_Tombstones, metaclass=PoolMeta):
    __name__ = "party.contact_mechanism"

    @classmethod
    def _gt_tombstone(cls, record):
        # The party's domains may come from this mechanism: the connector sends the party again.
        return {"model": cls.__name__, "record_id": record.id, "party": record.party.id}


class Opportunity(_Tombstones, metaclass=PoolMeta):
    __name__ = "sale.opportunity"

    gt_activities = fields.One2Many(
        "groundtruth.activity", "opportunity", "Activities (Groundtruth)", readonly=True
    )


class Employee(metaclass=PoolMeta):
    __name__ = "company.employee"

    gt_rep_id = fields.Char(
        "Groundtruth Rep ID",
        help="The rep id Groundtruth knows this employee by (their mailbox address).\n"
        "Leave empty to use the e-mail of the employee's user, else of the employee's party.",
    )
    gt_adoption_score = fields.Function(fields.Float("Adoption Score", digits=(3, 1)), "get_gt_score")
    gt_data_quality_score = fields.Function(fields.Float("Data Quality Score", digits=(3, 1)), "get_gt_score")
    gt_classification = fields.Function(fields.Selection(CLASSES, "Adoption Class"), "get_gt_score")
    gt_score_reasons = fields.Function(fields.Text("Why"), "get_gt_score")
    gt_scored_at = fields.Function(fields.DateTime("Scored At"), "get_gt_score")

    @classmethod
    def get_gt_score(cls, employees, names):
        Score = Pool().get("groundtruth.rep_score")
        scores = {s.employee.id: s for s in Score.search([("employee", "in", [e.id for e in employees])])}
        columns = {
            "gt_adoption_score": "adoption_score",
            "gt_data_quality_score": "data_quality_score",
            "gt_classification": "classification",
            "gt_score_reasons": "reasons",
            "gt_scored_at": "scored_at",
        }
        result = {}
        for name in names:
            column = columns[name]
            result[name] = {
                e.id: getattr(scores[e.id], column) if e.id in scores else None for e in employees
            }
        return result


class RepScore(ModelSQL, ModelView):
    """A rep's latest adoption and data-quality score, as Groundtruth's `/v1/scores` gave it."""

    __name__ = "groundtruth.rep_score"

    rep_id = fields.Char("Rep", required=True, readonly=True)
    employee = fields.Many2One("company.employee", "Employee", ondelete="CASCADE", readonly=True)
    team_id = fields.Char("Team", readonly=True)
    adoption_score = fields.Float("Adoption Score", digits=(3, 1), readonly=True)
    data_quality_score = fields.Float("Data Quality Score", digits=(3, 1), readonly=True)
    classification = fields.Selection(CLASSES, "Adoption Class", readonly=True)
    reasons = fields.Text("Why", readonly=True)
    window_start = fields.Date("From", readonly=True)
    window_end = fields.Date("To", readonly=True)
    scored_at = fields.DateTime("Scored At", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [("rep_unique", Unique(t, t.rep_id), "groundtruth.msg_rep_unique")]
        cls._order = [("adoption_score", "ASC NULLS FIRST"), ("rep_id", "ASC")]
        cls.__rpc__.update({"store_scores": RPC(readonly=False)})

    @classmethod
    def store_scores(cls, items):
        """Upsert each rep's score (`rep_id` is the key); returns how many were stored."""
        Employee = Pool().get("company.employee")
        wanted = sorted({i["employee"] for i in items if isinstance(i.get("employee"), int)})
        with Transaction().set_context(active_test=False):
            employees = {e.id for e in Employee.search([("id", "in", wanted)])}
        existing = {s.rep_id: s for s in cls.search([("rep_id", "in", [i["rep_id"] for i in items])])}
        to_create = []
        for item in items:
            values = dict(item)
            if values.get("employee") not in employees:
                values["employee"] = None
            score = existing.get(item["rep_id"])
            if score is None:
                to_create.append(values)
            else:
                cls.write([score], values)
        if to_create:
            cls.create(to_create)
        return len(items)
