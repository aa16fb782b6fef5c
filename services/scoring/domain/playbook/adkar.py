"""Each resister type has its own intervention, grounded in ADKAR (Awareness, Desire, Knowledge,
Ability, Reinforcement):

- skeptic: "an Awareness/Desire problem": "pair them with a peer who has successfully adopted"; "if
  concerns are legitimate, fix the underlying issue";
- workarounder: "an Ability problem": "shadow them for a day", "identify where the CRM creates
  friction", "build integrations that capture data automatically";
- ghost: "a Reinforcement problem": "set clear expectations with deadlines", "make CRM data required
  for pipeline reviews".

The manager sees the stage, the intervention and its handle; the rep sees only `for_rep`: what would
help them, in words addressed to them, never their class.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, timedelta

from services.scoring.domain.classification import Classification
from services.scoring.domain.diagnostics import Diagnostic, Evidence, Playbook
from services.scoring.domain.rep_score import RepScoreResult
from services.scoring.domain.score_inputs import RepInputs
from services.scoring.domain.tenant_settings import TenantSettings
from services.scoring.domain.wording import per_week

AWARENESS, DESIRE, ABILITY, REINFORCEMENT = "awareness", "desire", "ability", "reinforcement"
EXPECTATION_DAYS = 7  # the expectation set for a ghost is due by the next weekly pipeline review
FRICTION_MIN_EMPTY_SHARE = 0.5  # a field the rep leaves empty on at least half their open deals

Gaps = Mapping[str, Sequence[tuple[str, int, int]]]  # rep -> (field, open opportunities, empty)


def interventions(
    settings: TenantSettings, scored: Sequence[tuple[RepInputs, RepScoreResult]], gaps: Gaps, as_of: date
) -> list[Diagnostic]:
    """One intervention per skeptic, workarounder and ghost. Pure."""
    results = [r for _, r in scored]
    found = []
    for inputs, result in scored:
        cls = result.verdict.classification
        if cls is Classification.SKEPTIC:
            found.append(_skeptic(settings, inputs, result, results, as_of))
        elif cls is Classification.WORKAROUNDER:
            found.append(_workarounder(settings, result, gaps.get(result.rep_id, ()), as_of))
        elif cls is Classification.GHOST:
            found.append(_ghost(settings, inputs, result, as_of))
    return found


def _name(settings: TenantSettings, rep_id: str) -> str:
    return settings.person(rep_id).display_name or rep_id


def peer_for(result: RepScoreResult, everyone: Sequence[RepScoreResult]) -> tuple[RepScoreResult | None, str]:
    """The adopter to pair with, and why: the same team and role first (the best adoption, then rep
    id), else the same role anywhere in the tenant; None when nobody of the role has adopted."""
    adopters = [
        r for r in everyone if r.verdict.classification is Classification.ADOPTER and r.role == result.role
    ]
    adopters.sort(key=lambda r: (-r.adoption, r.rep_id))
    same_team = [r for r in adopters if r.team_id == result.team_id]
    if same_team:
        return same_team[0], "same team and role"
    if adopters:
        return adopters[0], "same role, another team (no adopter of this role in the team)"
    return None, ""


def _skeptic(
    settings: TenantSettings,
    inputs: RepInputs,
    result: RepScoreResult,
    everyone: Sequence[RepScoreResult],
    as_of: date,
) -> Diagnostic:
    w = inputs.window
    logs_in = (
        w.login_days * 7.0 / w.days >= settings.threshold("skeptic_min_login_days_per_week")
        if w.days
        else False
    )
    # Logging in without changing anything: they know the CRM, they do not see why to use it (Desire).
    # Barely opening it: they have not been shown why it matters to them (Awareness).
    stage = DESIRE if logs_in else AWARENESS
    name = _name(settings, result.rep_id)
    peer, why = peer_for(result, everyone)
    evidence = [Evidence("reason", r) for r in result.verdict.reasons]
    if peer is None:
        pairing = "No adopter of the same role exists yet to pair them with: "
        for_rep = (
            "Tell your manager what gets in your way in the CRM: if a step is useless, it will be "
            "changed or dropped."
        )
    else:
        peer_name = _name(settings, peer.rep_id)
        pairing = (
            f"Pair {name} with {peer_name} ({why}; adoption {peer.adoption:.0f}, "
            f"{peer.verdict.reasons[0] if peer.verdict.reasons else 'an adopter'}). "
        )
        evidence.append(Evidence("peer to pair with", peer_name, peer.rep_id, "rep"))
        evidence.append(Evidence("why this peer", f"{why}, adoption {peer.adoption:.0f}"))
        for_rep = (
            f"{peer_name} does the same job and keeps the CRM current in a few minutes a day: "
            "half an hour with them shows what it saves you before reviews and hand-overs."
        )
    return Diagnostic(
        settings.tenant_id, result.team_id, result.rep_id, "intervention_skeptic", "info",
        f"{name} does not see why to use the CRM yet ({stage})",
        pairing + "Ask what they object to: if the concern is legitimate (a useless field, a duplicate "
        "step), fix the underlying issue rather than insisting.",
        tuple(evidence),
        Playbook(
            adkar_stage=stage, peer_rep_id=peer.rep_id if peer else "", for_rep=for_rep, applies_from=as_of
        ),
    )  # fmt: skip


def _workarounder(
    settings: TenantSettings, result: RepScoreResult, gaps: Sequence[tuple[str, int, int]], as_of: date
) -> Diagnostic:
    name = _name(settings, result.rep_id)
    fields = tuple(
        sorted(f for f, open_, empty in gaps if open_ and empty / open_ >= FRICTION_MIN_EMPTY_SHARE)
    )
    evidence = [Evidence("reason", r) for r in result.verdict.reasons]
    evidence += [Evidence("field left empty", f) for f in fields]
    integrate = (
        "turn on write-back so captured meetings and e-mails are logged automatically"
        if not settings.uses_write_back
        else "check which activity the plugin does not capture yet"
    )
    where = f" Start with {', '.join(fields)}: ask for them later or make them optional." if fields else ""
    help_fields = (
        f" The fields {', '.join(fields)} ask for what is rarely known yet: say so, they can be asked later."
        if fields
        else ""
    )
    return Diagnostic(
        settings.tenant_id, result.team_id, result.rep_id, "intervention_workarounder", "info",
        f"{name} works around the CRM ({ABILITY})",
        f"Shadow {name} for a day to see where the CRM creates friction, then remove it:{where} Build "
        f"the integration that captures the data automatically ({integrate}).",
        tuple(evidence),
        Playbook(
            adkar_stage=ABILITY,
            for_rep="Logging later costs you more than logging as you go: let the CRM plugin record your "
            "meetings and e-mails for you, and ask your manager to sit with you for a day to remove the "
            "steps that slow you down." + help_fields,
            applies_from=as_of,
            friction_fields=fields,
        ),
    )  # fmt: skip


def _ghost(settings: TenantSettings, inputs: RepInputs, result: RepScoreResult, as_of: date) -> Diagnostic:
    name = _name(settings, result.rep_id)
    due = as_of + timedelta(days=EXPECTATION_DAYS)
    recent = inputs.last_14_days
    return Diagnostic(
        settings.tenant_id, result.team_id, result.rep_id, "intervention_ghost", "warning",
        f"{name} works outside the CRM ({REINFORCEMENT})",
        f"Set a clear expectation with a deadline: {name}'s open deals are current in the CRM by "
        f"{due.isoformat()}, and from then on pipeline reviews use only what the CRM shows.",
        (
            *(Evidence("reason", r) for r in result.verdict.reasons),
            Evidence("external e-mails and meetings in 14 days", str(recent.external_activities)),
            Evidence("CRM logins in 14 days", per_week(recent.login_days, recent.days)),
            Evidence("expectation due", due.isoformat()),
        ),
        Playbook(
            adkar_stage=REINFORCEMENT,
            for_rep=f"From {due.isoformat()} pipeline reviews use what the CRM shows: updating your open "
            "deals once before then is enough to start, and the plugin logs your meetings for you.",
            applies_from=as_of,
            due_on=due,
        ),
    )  # fmt: skip
