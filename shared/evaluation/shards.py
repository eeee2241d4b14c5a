"""Shards of an eval run: ``--shard K/N`` runs every N-th case, ``--merge`` joins the shards' reports.

Shards run as separate processes (one per core, each with its own ``--work`` folder); the merged
report gives the figures of the whole selection, as one run would, from the shards' per-case rows.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from shared.errors import BadRequest
from shared.evaluation.cases import Case, CaseSet
from shared.evaluation.report import SetReport
from shared.evaluation.runner import CaseResult
from shared.evaluation.scoring import VERDICTS, Verdict


def parse_shard(spec: str) -> tuple[int, int]:
    """``"K/N"`` → (K, N) with 0 ≤ K < N."""
    try:
        k, n = (int(part) for part in spec.split("/"))
    except ValueError:
        raise BadRequest(f"--shard {spec!r}: expected K/N, e.g. 0/2") from None
    if n < 1 or not 0 <= k < n:
        raise BadRequest(f"--shard {spec!r}: K must be in 0..N-1")
    return k, n


def shard_of(cases: Sequence[Case], spec: str) -> list[Case]:
    """Every N-th case of the selection, starting at the K-th."""
    k, n = parse_shard(spec)
    return list(cases[k::n])


def _result(case: Case, row: dict[str, Any], failure: dict[str, Any] | None) -> CaseResult:
    failure = failure or {}
    return CaseResult(
        case=case,
        outcome=str(row["outcome"]),
        seconds=float(row["seconds"]),
        reply=str(failure.get("reply") or ""),
        views=list(row.get("views") or []),
        verdict=Verdict(**{k: bool(row[k]) for k in VERDICTS}),
        error=failure.get("error"),
        tool_calls=list(failure.get("tool_calls") or []),
        agent_seconds=float(row.get("agent_seconds") or 0.0),
    )


def merge_reports(paths: Sequence[Path], sets: Sequence[CaseSet]) -> list[SetReport]:
    """One report per set name over every shard's cases (each case once); cases come from ``sets``."""
    by_name: dict[str, list[dict[str, Any]]] = {}
    for path in paths:
        try:
            doc = json.loads(path.read_text())
        except (OSError, ValueError) as e:
            raise BadRequest(f"--merge {path}: not a readable report ({e})") from None
        for one in doc.get("sets", []):
            by_name.setdefault(str(one["set"]), []).append(one)
    cases = {(s.name, c.id): c for s in sets for c in s.cases}
    reports = []
    for name, parts in by_name.items():
        base = name.split(" + ", 1)[0]  # "<set> + knowledge" runs the set's own cases
        failures = {f["id"]: f for part in parts for f in part.get("worst_failures", [])}
        seen: set[str] = set()
        results = []
        for part in parts:
            for row in part["cases"]:
                case = cases.get((base, str(row["id"])))
                if case is None:
                    raise BadRequest(f"--merge: case {row['id']} of {name!r} is not in --cases")
                if case.id in seen:
                    raise BadRequest(f"--merge: case {case.id} of {name!r} is in two reports")
                seen.add(case.id)
                results.append(_result(case, row, failures.get(case.id)))
        selections = sorted({str(part.get("selection", "")) for part in parts})
        reports.append(
            SetReport(
                name,
                str(parts[0].get("model", "")),
                f"{len(parts)} shards merged: " + "; ".join(selections),
                results,
                sum(float(part.get("setup_s") or 0.0) for part in parts),
                max(float(part.get("wall_s") or 0.0) for part in parts),  # the shards ran side by side
            )
        )
    return reports
