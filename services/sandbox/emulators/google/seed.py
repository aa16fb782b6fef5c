"""A deterministic demo organisation: reps with customer mail and meetings, internal-only traffic,
the mail capture must skip (draft, spam, trash, chat), private and all-day meetings, recurring
series with a cancelled and a moved occurrence, and a deleted meeting."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from email.utils import format_datetime, formataddr

from services.sandbox.emulators.google.world import GoogleWorld

DOMAIN = "acme.example"
STAFF = (
    ("ana.reyes", "Ana Reyes"),
    ("ben.okafor", "Ben Okafor"),
    ("cora.lindqvist", "Cora Lindqvist"),
    ("dev.patel", "Dev Patel"),
    ("max.muller", "Max Müller"),
)
MANAGER = f"max.muller@{DOMAIN}"
CUSTOMERS = (
    ("globex.example", ("hank.scorpio", "mindy.chen")),
    ("initech.example", ("bill.lumbergh", "joanna.park")),
    ("umbrella.example", ("albert.wesker", "claire.redfield")),
    ("hooli.example", ("gavin.belson", "monica.hall")),
)


@dataclass(frozen=True)
class SeedShape:
    """How much to seed: `extra_reps` adds generated reps (rep0001@...) for load tests."""

    extra_reps: int = 0
    customer_threads_per_rep: int = 4
    days_back: int = 21


def seed_organisation(world: GoogleWorld, shape: SeedShape = SeedShape()) -> list[str]:
    """Fill `world` (which must be empty) and return the reps' addresses."""
    for local, name in STAFF:
        world.add_user(f"{local}@{DOMAIN}", name)
    world.add_user(f"eve.ops@{DOMAIN}", "Eve Ops")
    reps = [f"{local}@{DOMAIN}" for local, _ in STAFF if f"{local}@{DOMAIN}" != MANAGER]
    for n in range(1, shape.extra_reps + 1):
        address = f"rep{n:04d}@{DOMAIN}"
        world.add_user(address, f"Rep {n:04d}")
        reps.append(address)
    for index, rep in enumerate(reps):
        _seed_mail(world, rep, index, shape)
        _seed_calendar(world, rep, index, shape)
    return reps


def _customer(world: GoogleWorld, index: int) -> str:
    domain, people = CUSTOMERS[index % len(CUSTOMERS)]
    return f"{people[world.rng.randrange(len(people))]}@{domain}"


def _moment(world: GoogleWorld, shape: SeedShape) -> datetime:
    day = world.rng.randrange(1, shape.days_back)
    return (
        world.anchor
        - timedelta(days=day)
        + timedelta(hours=world.rng.randint(8, 17), minutes=world.rng.choice((0, 15, 30, 45)))
    )


def _seed_mail(world: GoogleWorld, rep: str, index: int, shape: SeedShape) -> None:
    for n in range(shape.customer_threads_per_rep):
        customer = _customer(world, index + n)
        when = _moment(world, shape)
        thread = f"{rep}/customer/{n}"
        cc = [MANAGER] if n == 0 else []
        world.send_mail(
            sender=customer, to=[rep], cc=cc, subject=f"Quote request #{n}", sent_at=when, thread=thread
        )
        world.send_mail(
            sender=rep,
            to=[customer],
            cc=cc,
            subject=f"Re: Quote request #{n}",
            sent_at=when + timedelta(hours=2),
            thread=thread,
        )
    outreach = _customer(world, index + 1)
    world.send_mail(sender=rep, to=[outreach], subject="Following up", sent_at=_moment(world, shape))
    world.send_mail(sender=rep, to=[MANAGER], subject="Pipeline review", sent_at=_moment(world, shape))
    world.send_mail(
        sender=MANAGER, to=[rep], cc=[f"eve.ops@{DOMAIN}"], subject="Forecast", sent_at=_moment(world, shape)
    )
    _seed_unwanted_mail(world, rep, index, shape)


def _seed_unwanted_mail(world: GoogleWorld, rep: str, index: int, shape: SeedShape) -> None:
    customer = _customer(world, index + 2)

    def headers(sender: str, to: str, subject: str, when: datetime) -> list[tuple[str, str]]:
        return [
            ("From", formataddr(("", sender))),
            ("To", to),
            ("Subject", subject),
            ("Date", format_datetime(when)),
            ("Message-ID", f"<{world.rng.getrandbits(64):016x}@{sender.split('@')[1]}>"),
        ]

    when = _moment(world, shape)
    world.add_message(
        rep, labels=["DRAFT"], headers=headers(rep, customer, "Draft proposal", when), internal_date=when
    )
    when = _moment(world, shape)
    world.add_message(
        rep, labels=["SPAM"], headers=headers("win@prize.example", rep, "You won", when), internal_date=when
    )
    when = _moment(world, shape)
    world.add_message(
        rep, labels=["TRASH"], headers=headers(customer, rep, "Newsletter", when), internal_date=when
    )
    when = _moment(world, shape)
    world.add_message(
        rep, labels=["CHAT"], headers=headers(customer, rep, "Chat with customer", when), internal_date=when
    )


def _seed_calendar(world: GoogleWorld, rep: str, index: int, shape: SeedShape) -> None:
    customer = _customer(world, index)
    start = _moment(world, shape)
    world.create_event(
        organizer=rep,
        summary="Discovery call",
        start=start,
        end=start + timedelta(minutes=45),
        attendees=[(rep, "accepted"), (customer, "accepted"), (MANAGER, "tentative")],
    )
    start = _moment(world, shape)
    other = _customer(world, index + 1)
    world.create_event(
        organizer=other,
        summary="Vendor demo",
        start=start,
        end=start + timedelta(hours=1),
        attendees=[(other, "accepted"), (rep, "needsAction")],
    )
    start = _moment(world, shape).astimezone(timezone(timedelta(hours=-5)))
    world.create_event(
        organizer=rep,
        summary="Contract review",
        start=start,
        end=start + timedelta(minutes=30),
        attendees=[(rep, "accepted"), (customer, "declined")],
    )
    start = _moment(world, shape)
    world.create_event(
        organizer=rep,
        summary="Doctor",
        start=start,
        end=start + timedelta(hours=1),
        attendees=[(rep, "accepted"), ("clinic@health.example", "accepted")],
        visibility="private",
    )
    day = world.anchor - timedelta(days=3 + index % 5)
    world.create_event(
        organizer=rep,
        summary="Trade show",
        start=day,
        end=day + timedelta(days=1),
        all_day=True,
        attendees=[(rep, "accepted"), (customer, "accepted")],
    )
    series_start = world.anchor - timedelta(weeks=4) + timedelta(hours=9 + index % 6)
    series = world.create_event(
        organizer=MANAGER,
        summary="Weekly 1:1",
        start=series_start,
        end=series_start + timedelta(minutes=30),
        attendees=[(MANAGER, "accepted"), (rep, "accepted")],
        recurrence=["RRULE:FREQ=WEEKLY;COUNT=8"],
    )
    world.cancel_occurrence(series, series_start + timedelta(weeks=1))
    world.modify_occurrence(
        series,
        series_start + timedelta(weeks=2),
        start={"dateTime": _z(series_start + timedelta(weeks=2, hours=1)), "timeZone": "UTC"},
        end={"dateTime": _z(series_start + timedelta(weeks=2, hours=1, minutes=30)), "timeZone": "UTC"},
    )
    start = _moment(world, shape)
    dropped = world.create_event(
        organizer=rep,
        summary="Cancelled lunch",
        start=start,
        end=start + timedelta(hours=1),
        attendees=[(rep, "accepted"), (customer, "accepted")],
    )
    world.delete_event(dropped)


def _z(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


def seed_bench(world: GoogleWorld, *, reps: int, items_per_rep: int) -> list[str]:
    """`reps` mailboxes rep0001@... whose every item is customer activity (the benchmark counts
    arrivals): three quarters mail (alternately received and sent), one quarter meetings."""
    addresses = []
    for n in range(1, reps + 1):
        address = f"rep{n:04d}@{DOMAIN}"
        world.add_user(address, f"Rep {n:04d}")
        addresses.append(address)
    meetings = max(1, items_per_rep // 4)
    for index, rep in enumerate(addresses):
        for m in range(items_per_rep - meetings):
            customer = _customer(world, index + m)
            when = _moment(world, SeedShape(days_back=28))
            sender, to = (customer, rep) if m % 2 == 0 else (rep, customer)
            world.send_mail(sender=sender, to=[to], subject=f"Deal {m}", sent_at=when)
        for m in range(meetings):
            customer = _customer(world, index + m)
            start = _moment(world, SeedShape(days_back=28)) + timedelta(days=14)
            world.create_event(
                organizer=rep,
                summary=f"Call {m}",
                start=start,
                end=start + timedelta(minutes=30),
                attendees=[(rep, "accepted"), (customer, "accepted")],
            )
    return addresses
