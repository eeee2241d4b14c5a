"""Evaluation cases: read a case folder (nvBench 1.0 or 2.0 layout, or a team's own), sample them."""

from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from shared.errors import BadRequest

CASES_FILE = "cases.jsonl"


@dataclass(frozen=True)
class Case:
    """One request and the gold chart(s) any of which is a right answer."""

    id: str
    question: str
    table: str
    golds: tuple[dict[str, Any], ...]
    db: str | None = None
    chart: str = ""
    hardness: str = ""
    group: str = ""  # cases that paraphrase one chart (nvBench 1.0's VIS); one per group with --per-vis

    @classmethod
    def from_json(cls, raw: dict[str, Any], where: str) -> Case:
        try:
            golds = tuple(raw["accept"]) if "accept" in raw else (raw["expect"],)
            return cls(
                id=str(raw["id"]),
                question=str(raw["question"]),
                table=str(raw["table"]),
                golds=golds,
                db=str(raw["db"]) if raw.get("db") else None,
                chart=str(raw.get("chart") or golds[0].get("mark") or ""),
                hardness=str(raw.get("hardness") or ""),
                group=str(raw.get("vis_id") if raw.get("vis_id") is not None else raw["id"]),
            )
        except (KeyError, TypeError, IndexError, AttributeError) as e:
            raise BadRequest(f"{where}: not a case line ({type(e).__name__}: {e})") from None


@dataclass
class CaseSet:
    """The cases of one ``cases.jsonl`` and the folder holding its ``tables/`` (if any)."""

    name: str
    folder: Path
    cases: list[Case] = field(default_factory=list)

    @property
    def tables_dir(self) -> Path:
        return self.folder / "tables"

    @property
    def layout(self) -> str:
        """``nvbench1`` (tables/<db>/schema.json), ``nvbench2`` (tables/schema.json) or ``none``."""
        if (self.tables_dir / "schema.json").is_file():
            return "nvbench2"
        if any(self.tables_dir.glob("*/schema.json")):
            return "nvbench1"
        return "none"


def read_cases(path: Path) -> CaseSet:
    """One case file (or a folder holding ``cases.jsonl``)."""
    file = path / CASES_FILE if path.is_dir() else path
    if not file.is_file():
        raise BadRequest(f"no case file at {file}")
    cases = []
    with file.open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if line.strip():
                try:
                    raw = json.loads(line)
                except json.JSONDecodeError as e:
                    raise BadRequest(f"{file}:{n}: not JSON ({e.msg})") from None
                cases.append(Case.from_json(raw, f"{file}:{n}"))
    name = file.parent.name if file.name == CASES_FILE else file.stem
    return CaseSet(name, file.parent, cases)


def discover(path: Path) -> list[CaseSet]:
    """A case file, a folder with ``cases.jsonl``, or a folder of such folders (each one set)."""
    if not path.exists():
        raise BadRequest(f"case folder {path} does not exist")
    if path.is_file() or (path / CASES_FILE).is_file():
        return [read_cases(path)]
    sets = [read_cases(d) for d in sorted(path.iterdir()) if (d / CASES_FILE).is_file()]
    if not sets:
        raise BadRequest(f"no {CASES_FILE} in {path} or its sub-folders")
    return sets


def stratified_sample(cases: list[Case], n: int, seed: int) -> list[Case]:
    """``n`` cases spread over chart types in proportion (at least one each while n allows), seeded."""
    if n >= len(cases):
        return list(cases)
    rng = random.Random(seed)
    by_chart: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        by_chart[case.chart].append(case)
    charts = sorted(by_chart)
    quota = {c: (1 if n >= len(charts) else 0) for c in charts}
    left = n - sum(quota.values())
    total = len(cases)
    shares = sorted(((len(by_chart[c]) * left / total, c) for c in charts), key=lambda p: (-(p[0] % 1), p[1]))
    for share, c in shares:
        quota[c] += int(share)
    for _, c in shares[: n - sum(quota.values())]:
        quota[c] += 1
    picked: list[Case] = []
    for c in charts:
        pool = list(by_chart[c])
        rng.shuffle(pool)
        picked.extend(pool[: min(quota[c], len(pool))])
    order = {case.id: i for i, case in enumerate(cases)}
    return sorted(picked, key=lambda case: order[case.id])


def per_group(cases: list[Case], seed: int) -> list[Case]:
    """One request per chart (nvBench 1.0 VIS), picked with ``seed``."""
    rng = random.Random(seed)
    groups: dict[str, list[Case]] = defaultdict(list)
    for case in cases:
        groups[case.group].append(case)
    return [rng.choice(members) for members in groups.values()]
