"""Mutation score per module from mutmut's results, with the equivalent mutants kept as data.

Reads the ``*.meta`` files mutmut writes under ``<dir>/mutants/src`` and ``tests/mutation/equivalent.yaml``
(mutants that cannot change behaviour, each with the reason). Prints, per module: mutants generated,
killed (a test failed or the run timed out), survived (including "no tests"), equivalent, not checked,
and the score = killed / (killed + survived). With ``--min-score`` it exits non-zero when the total
falls below it or when a mutant it must count was not run.

Usage: python scripts/mutation_score.py [--root DIR] [--pattern 'lss_pathway.criteria.*' ...] [--min-score 95]
"""

from __future__ import annotations

import argparse
import fnmatch
import json
import sys
from collections import Counter
from pathlib import Path

import yaml

KILLED = {"killed", "timeout", "caught by type check", "segfault"}
SURVIVED = {"survived", "no tests", "suspicious"}
# mutmut's exit codes (mutmut.stats.status_by_exit_code, copied so that reading results needs no import).
_STATUS: dict[int | None, str] = {1: "killed", 3: "killed", 0: "survived", 5: "no tests", 33: "no tests"}
_STATUS |= {34: "skipped"}
_STATUS |= {35: "suspicious", 36: "timeout", 37: "caught by type check", -24: "timeout", 24: "timeout"}
_STATUS |= {152: "timeout", 255: "timeout", -11: "segfault", -9: "segfault", None: "not checked"}

REPO = Path(__file__).resolve().parents[1]
EQUIVALENT = REPO / "tests" / "mutation" / "equivalent.yaml"


def equivalent_names(path: Path = EQUIVALENT) -> dict[str, str]:
    """Mutant name -> why it cannot change behaviour."""
    entries = yaml.safe_load(path.read_text(encoding="utf-8")) or []
    return {e["mutant"]: e["why"] for e in entries}


def statuses(root: Path) -> dict[str, dict[str, str]]:
    """Module -> mutant name -> status, from every ``.meta`` file mutmut wrote."""
    out: dict[str, dict[str, str]] = {}
    for meta in sorted((root / "mutants" / "src").rglob("*.py.meta")):
        data = json.loads(meta.read_text(encoding="utf-8"))
        relative = meta.relative_to(root / "mutants" / "src").with_suffix("").with_suffix("")
        module = ".".join(relative.parts)
        codes = data.get("exit_code_by_key", {})
        if codes:
            out[module] = {name: _STATUS.get(code, "suspicious") for name, code in codes.items()}
    return out


def table(by_module: dict[str, dict[str, str]], equivalent: dict[str, str]) -> list[dict[str, object]]:
    rows = []
    for module, mutants in sorted(by_module.items()):
        counts: Counter[str] = Counter()
        for name, status in mutants.items():
            if name in equivalent:
                counts["equivalent"] += 1
            elif status in KILLED:
                counts["killed"] += 1
            elif status in SURVIVED:
                counts["survived"] += 1
            else:
                counts["not checked"] += 1
            counts["timeout"] += status == "timeout"
        judged = counts["killed"] + counts["survived"]
        score = 100.0 * counts["killed"] / judged if judged else 100.0
        rows.append({"module": module, "generated": len(mutants), **counts, "score": score})
    return rows


def select(by_module: dict[str, dict[str, str]], patterns: list[str]) -> dict[str, dict[str, str]]:
    """Only the mutants whose names match one of the (fnmatch) patterns; all when there are none."""
    if not patterns:
        return by_module
    out = {}
    for module, mutants in by_module.items():
        chosen = {n: s for n, s in mutants.items() if any(fnmatch.fnmatch(n, p) for p in patterns)}
        if chosen:
            out[module] = chosen
    return out


def report(
    by_module: dict[str, dict[str, str]],
    patterns: list[str] | None = None,
    min_score: float | None = None,
    survivors: bool = True,
) -> int:
    """Print the per-module table (and the survivors); non-zero when the score is below ``min_score``."""
    equivalent = equivalent_names()
    by_module = select(by_module, patterns or [])
    rows = table(by_module, equivalent)
    head = ("module", "generated", "killed", "timeout", "survived", "equivalent", "not checked", "score")
    print(f"{head[0]:34} " + " ".join(f"{h:>11}" for h in head[1:]))
    for row in rows:
        cells = [f"{row.get(h, 0):>11}" for h in head[1:-1]]
        print(f"{row['module']:34} " + " ".join(cells) + f" {row['score']:>10.1f}%")
    killed = sum(int(str(r.get("killed", 0))) for r in rows)
    survived = sum(int(str(r.get("survived", 0))) for r in rows)
    unchecked = sum(int(str(r.get("not checked", 0))) for r in rows)
    total = 100.0 * killed / (killed + survived) if killed + survived else 100.0
    print(f"total: killed {killed}, survived {survived}, not checked {unchecked}: score {total:.1f}%")
    if survivors:
        for mutants in by_module.values():
            for name, status in sorted(mutants.items()):
                if status in SURVIVED and name not in equivalent:
                    print(f"  {status:10} {name}")
    if min_score is None:
        return 0
    failed = False
    if unchecked:
        print(f"FAIL: {unchecked} sampled mutants were not run", file=sys.stderr)
        failed = True
    if total < min_score:
        print(f"FAIL: mutation score {total:.1f}% < {min_score}%", file=sys.stderr)
        failed = True
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--root", type=Path, default=REPO, help="directory holding mutmut's mutants/")
    parser.add_argument("--pattern", action="append", default=[], help="count only mutants matching these")
    parser.add_argument("--min-score", type=float, default=None)
    args = parser.parse_args(argv)
    return report(statuses(args.root), args.pattern, args.min_score)


if __name__ == "__main__":
    sys.exit(main())
