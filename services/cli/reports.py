"""Score and health reports in the terminal: `scores`, `score`, `health`, `diagnostics`, `friction`,
`opportunities`, `readiness`. Tables by default, the API's JSON with --json (same numbers)."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from rich.console import RenderableType

from services.cli.render import reports as render
from services.cli.terminal import RAW, Handler, Terminal, add_gateway_options, print_json, with_client
from services.client.rest import JsonObject, RestClient

Fetch = Callable[[argparse.Namespace, RestClient], JsonObject]
Render = Callable[[argparse.Namespace, JsonObject], RenderableType]


def _report(fetch: Fetch, draw: Render) -> Handler:
    def handler(args: argparse.Namespace, client: RestClient, terminal: Terminal) -> int:
        answer = fetch(args, client)
        if args.json:
            print_json(terminal, answer)
        else:
            terminal.out.print(draw(args, answer))
        return 0

    return with_client(handler)


def _scores_title(args: argparse.Namespace, answer: JsonObject) -> RenderableType:
    scope = f"team {args.team}" if args.team else "the tenant"
    return render.scores_table(
        answer["scores"], title=f"Rep scores of {scope} ({len(answer['scores'])} reps)"
    )


def _opportunities_view(args: argparse.Namespace, answer: JsonObject) -> RenderableType:
    kind = "Review-ready opportunities" if args.review_ready else "Open opportunities"
    return render.opportunities_table(
        answer["opportunities"], title=f"{kind} ({len(answer['opportunities'])})"
    )


def _add(
    commands: Any, name: str, help_text: str, description: str, fetch: Fetch, draw: Render
) -> argparse.ArgumentParser:
    parser: argparse.ArgumentParser = commands.add_parser(
        name, help=help_text, description=description, formatter_class=RAW
    )
    add_gateway_options(parser)
    parser.set_defaults(handler=_report(fetch, draw))
    return parser


def add_commands(commands: Any) -> None:
    team_help = "only this team (default: the whole tenant; managers see their teams)"
    scores = _add(
        commands,
        "scores",
        "rep scores: adoption, data quality, class and reasons",
        "Every rep's adoption and data-quality score, classification and the reasons behind it,\n"
        "lowest adoption first.\n\n"
        "examples: groundtruth scores\n"
        "          groundtruth scores --team team-east --json",
        lambda a, c: c.rep_scores(team_id=a.team),
        _scores_title,
    )
    scores.add_argument("--team", help=team_help)
    score = _add(
        commands,
        "score",
        "one rep's scores with every input behind them",
        "One rep's scores with each input (value, target, weight, points), the reasons and the\n"
        "weekly trend.\n\n"
        "example: groundtruth score rep-ann",
        lambda a, c: c.rep_score(a.rep_id),
        lambda _a, answer: render.score_detail(answer),
    )
    score.add_argument("rep_id")
    health = _add(
        commands,
        "health",
        "team health against targets, at 30/60/90 days",
        "Weekly active users, DAU/MAU, required-field completeness and pipeline without activity\n"
        "in 7 days, each against its target, then at 30/60/90 days after go-live.\n\n"
        "examples: groundtruth health\n"
        "          groundtruth health --team team-east",
        lambda a, c: c.team_health(team_id=a.team),
        lambda _a, answer: render.health_view(answer),
    )
    health.add_argument("--team", help=team_help)
    diagnostics = _add(
        commands,
        "diagnostics",
        "likely root causes, with evidence and what to change",
        "Diagnostics: the likely root cause (broken capture, a friction field, a manager who does\n"
        "not use the CRM, ...), its evidence and what to change, most severe first.\n\n"
        "examples: groundtruth diagnostics\n"
        "          groundtruth diagnostics --rep rep-ann",
        lambda a, c: c.diagnostics(team_id=a.team, rep_id=a.rep),
        lambda _a, answer: render.diagnostics_table(answer.get("diagnostics") or []),
    )
    diagnostics.add_argument("--team", help=team_help)
    diagnostics.add_argument("--rep", help="only this rep")
    friction = _add(
        commands,
        "friction",
        "required fields left empty on open deals, worst first",
        "Field friction: required fields left empty on open opportunities, worst first.\n\n"
        "example: groundtruth friction --team team-east",
        lambda a, c: c.field_friction(team_id=a.team),
        lambda _a, answer: render.friction_table(answer.get("fields") or []),
    )
    friction.add_argument("--team", help=team_help)
    opportunities = _add(
        commands,
        "opportunities",
        "open opportunities; --review-ready for the pipeline review",
        "Open opportunities. --review-ready lists only deals with a current next step, a future\n"
        "close date and real activity in the last 7 days: the weekly review runs on those.\n\n"
        "examples: groundtruth opportunities --review-ready\n"
        "          groundtruth opportunities --rep rep-ann --json",
        lambda a, c: c.opportunities(team_id=a.team, rep_id=a.rep, review_ready=a.review_ready),
        _opportunities_view,
    )
    opportunities.add_argument("--team", help=team_help)
    opportunities.add_argument("--rep", help="only this rep's deals")
    opportunities.add_argument("--review-ready", action="store_true", help="only review-ready deals")
    _add(
        commands,
        "readiness",
        "go-live readiness of the CRM data",
        "Go-live readiness of the tenant's CRM data: duplicates, required-field completeness,\n"
        "stale deals and past close dates.\n\n"
        "example: groundtruth readiness",
        lambda _a, c: c.readiness(),
        lambda _a, answer: render.readiness_view(answer),
    )
