"""What ``kb index`` prints: the plan of a dry run and the report of a run, in French or as
one line of JSON (the contracts scripts rely on)."""

from __future__ import annotations

from typing import Any

import click

from indexer.ingest import Report
from indexer.plan import Plan
from kb.cli.render import print_json, print_reasons, safe

# Paths listed under each heading of a dry run, at most: the counts say the rest.
SHOWN_PATHS = 50


def plan_json(plan: Plan, prune: bool) -> dict[str, Any]:
    """The JSON contract of ``kb index --dry-run --json``: what a run would do."""
    return {
        "add": [i.file.path for i in plan.work if i.action == "add"],
        "update": [i.file.path for i in plan.work if i.action == "update"],
        "move": [i.file.path for i in plan.work if i.action == "move"],
        "relabel": [i.file.path for i in plan.work if i.action == "relabel"],
        "unchanged": len(plan.unchanged),
        "remove": ([e.path for e in plan.gone] if prune else []) + [e.path for e in plan.refused],
        "gone": [e.path for e in plan.gone],
        "skipped": [{"path": str(p), "reason": r} for p, r in plan.skipped],
        "failed": [{"path": str(p), "reason": r} for p, r in plan.failed + plan.failed_before],
    }


def print_plan(plan: Plan, prune: bool, as_json: bool) -> None:
    """A dry run's plan: counts and paths by action, then the files skipped or failing."""
    data = plan_json(plan, prune)
    if as_json:
        print_json(data)
        return
    click.echo("Simulation (rien n'est écrit) :")
    for key, label in (("add", "à ajouter"), ("update", "à mettre à jour"), ("move", "déplacés"),
                       ("relabel", "changés de collection"), ("remove", "à retirer")):
        click.echo(f"  {len(data[key])} {label}")
        for path in data[key][:SHOWN_PATHS]:
            click.echo(f"    {safe(path)}")
    click.echo(f"  {data['unchanged']} inchangés")
    if data["gone"] and not prune:
        click.echo(f"  {len(data['gone'])} disparus (ajoutez --prune pour les retirer)")
    print_reasons("ignorés", data["skipped"])
    print_reasons("en échec", data["failed"])


def print_report(report: Report, as_json: bool = False) -> None:
    """A run's report: the counts, then each file skipped, failed or warned about."""
    data = report.to_dict()
    if as_json:
        print_json(data)
        return
    click.echo(f"{data['indexed']} indexés, {data['unchanged']} inchangés, {data['removed']} retirés, "
               f"{len(data['skipped'])} ignorés, {len(data['failed'])} en échec.")
    print_reasons("ignorés", data["skipped"])
    print_reasons("en échec", data["failed"])
    print_reasons("avertissements", data["warnings"])
