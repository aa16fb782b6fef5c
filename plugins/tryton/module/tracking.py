"""What Tryton does not keep and the connector needs: deletions, logins, and its own watermarks."""

import datetime

from trytond.model import Index, ModelSQL, ModelView, Unique, fields
from trytond.pool import Pool, PoolMeta
from trytond.rpc import RPC
from trytond.transaction import Transaction, without_check_access


class Deletion(ModelSQL, ModelView):
    """A row deleted from a model the connector mirrors (written by the module's `delete` hooks).
    Its `id` only grows, so the connector reads them after the last id it sent."""

    __name__ = "groundtruth.deletion"

    model = fields.Char("Model", required=True, readonly=True)
    record_id = fields.Integer("Record ID", required=True, readonly=True)
    party = fields.Integer(
        "Party ID", readonly=True, help="The party a deleted contact mechanism belonged to."
    )

    @classmethod
    def __setup__(cls):
        super().__setup__()
        cls._order = [("id", "ASC")]


class Login(ModelSQL, ModelView):
    """A user opened a session (the web client, the desktop client or any RPC login). Tryton deletes
    its sessions when they expire or end; this keeps each login for the connector."""

    __name__ = "groundtruth.login"

    user = fields.Many2One("res.user", "User", required=True, ondelete="CASCADE", readonly=True)
    login_at = fields.DateTime("Login At", required=True, readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_indexes.add(Index(t, (t.login_at, Index.Range())))
        cls._order = [("id", "ASC")]


class Session(metaclass=PoolMeta):
    __name__ = "ir.session"

    @classmethod
    def new(cls, values=None):
        key = super().new(values)
        user = Transaction().user
        if user:
            Login = Pool().get("groundtruth.login")
            with without_check_access():
                Login.create([{"user": user, "login_at": cls._gt_now()}])
        return key

    @staticmethod
    def _gt_now():
        return datetime.datetime.now()


class SyncState(ModelSQL, ModelView):
    """The connector's resume points, one per stream, stored next to the data they describe and
    written only after Groundtruth acknowledged what they cover."""

    __name__ = "groundtruth.sync_state"

    name = fields.Char("Stream", required=True, readonly=True)
    value = fields.Char("Resume Point", readonly=True)

    @classmethod
    def __setup__(cls):
        super().__setup__()
        t = cls.__table__()
        cls._sql_constraints += [("name_unique", Unique(t, t.name), "groundtruth.msg_stream_unique")]
        cls.__rpc__.update({"get_points": RPC(readonly=True), "set_points": RPC(readonly=False)})

    @classmethod
    def get_points(cls):
        return {s.name: s.value for s in cls.search([])}

    @classmethod
    def set_points(cls, points):
        existing = {s.name: s for s in cls.search([("name", "in", list(points))])}
        for name, value in points.items():
            if name in existing:
                cls.write([existing[name]], {"value": value})
            else:
                cls.create([{"name": name, "value": value}])
        return True
