"""Bounded mutation-testing gate for CI: a fixed sample of the decision core must stay killed.

Two parts, both configured in ``tests/mutation/gate.yaml``:

1. the hand-written mutants of ``tests/mutation/manual.yaml`` (rules inside properties, which mutmut never
   mutates): each is applied to a copy of the package and the tests it names must fail;
2. mutmut on a fixed sample (name patterns, e.g. every fifth mutant of each function plus every mutant of
   the verdict rule) of the gate's modules, run in a scratch copy of the repository so that nothing lands
   in the checkout; the mutation score of the sample (equivalent mutants excluded) must reach
   ``min_score``.

Runs under ``nice`` with at most two workers. Usage: ``python scripts/mutation_gate.py [--skip-mutmut]``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

sys.path.insert(0, str(Path(__file__).resolve().parent))
import mutation_score

REPO = Path(__file__).resolve().parents[1]
GATE = REPO / "tests" / "mutation" / "gate.yaml"
MANUAL = REPO / "tests" / "mutation" / "manual.yaml"
BIN = Path(sys.executable).parent


def _env(examples: int, pythonpath: Path | None = None) -> dict[str, str]:
    env = {**os.environ, "LSS_PROPERTY_EXAMPLES": str(examples)}
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    return env


def _try_manual(mutant: dict[str, Any], examples: int) -> tuple[str, int]:
    """Apply one hand-written mutant to a scratch copy of the package and run its tests against it."""
    with tempfile.TemporaryDirectory(prefix="lss-manual-mutant-") as tmp:
        src = Path(tmp) / "src"
        shutil.copytree(REPO / "src", src, ignore=shutil.ignore_patterns("__pycache__"))
        target = Path(tmp) / mutant["file"]
        text = target.read_text(encoding="utf-8")
        if text.count(mutant["find"]) != 1:
            raise SystemExit(f"manual mutant {mutant['id']}: 'find' must occur once in {mutant['file']}")
        target.write_text(text.replace(mutant["find"], mutant["replace"]), encoding="utf-8")
        command = [
            str(BIN / "python"),
            "-m",
            "pytest",
            "-x",
            "-q",
            "-p",
            "no:cacheprovider",
            *mutant["tests"],
        ]
        done = subprocess.run(
            ["nice", "-n", "10", *command],
            cwd=REPO,
            env=_env(examples, src),
            capture_output=True,
            text=True,
            check=False,
        )
    return mutant["id"], done.returncode


def run_manual(examples: int) -> list[str]:
    """Each hand-written mutant, two at a time; return the ids that survived (their tests passed)."""
    mutants = yaml.safe_load(MANUAL.read_text(encoding="utf-8"))
    survivors = []
    with ThreadPoolExecutor(max_workers=2) as pool:
        for mutant_id, code in pool.map(lambda m: _try_manual(m, examples), mutants):
            killed = code == 1
            print(f"  {'killed' if killed else 'SURVIVED':8} {mutant_id} (pytest exit {code})", flush=True)
            if not killed:
                survivors.append(mutant_id)
    return survivors


def _mutmut_section(gate: dict[str, Any]) -> str:
    """The [tool.mutmut] table for the scratch copy: the gate's modules and tests only."""
    base = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mutmut"]
    lines = ["[tool.mutmut]"]
    values = {
        **base,
        "only_mutate": [f"src/{m.replace('.', '/')}.py" for m in gate["modules"]],
        "pytest_add_cli_args_test_selection": gate["tests"],
    }
    for key, value in values.items():
        items = ", ".join(f'"{v}"' for v in value) if isinstance(value, list) else None
        lines.append(f"{key} = [{items}]" if items is not None else f'{key} = "{value}"')
    return "\n".join(lines) + "\n"


def run_mutmut(gate: dict[str, Any]) -> int:
    with tempfile.TemporaryDirectory(prefix="lss-mutation-gate-") as tmp:
        root = Path(tmp)
        for name in ("src", "tests", "examples"):
            shutil.copytree(REPO / name, root / name, ignore=shutil.ignore_patterns("__pycache__"))
        pyproject = (REPO / "pyproject.toml").read_text(encoding="utf-8")
        head = pyproject.split("[tool.mutmut]")[0]
        (root / "pyproject.toml").write_text(head + _mutmut_section(gate), encoding="utf-8")
        command = ["nice", "-n", "10", str(BIN / "mutmut"), "run", "--max-children", "2", *gate["sample"]]
        done = subprocess.run(
            command,
            cwd=root,
            env=_env(gate["property_examples"]),
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            print(done.stdout[-2000:], done.stderr[-4000:], file=sys.stderr)
            return done.returncode
        sampled = mutation_score.statuses(root)
        return mutation_score.report(sampled, gate["sample"], gate["min_score"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-mutmut", action="store_true", help="only the hand-written mutants")
    args = parser.parse_args(argv)
    gate = yaml.safe_load(GATE.read_text(encoding="utf-8"))
    started = time.monotonic()
    print("hand-written mutants of the decision rules (tests/mutation/manual.yaml):")
    survivors = run_manual(gate["property_examples"])
    status = 1 if survivors else 0
    if not args.skip_mutmut:
        print(f"mutmut on the sample of tests/mutation/gate.yaml ({', '.join(gate['modules'])}):")
        status = run_mutmut(gate) or status
    print(f"mutation gate: {'FAILED' if status else 'passed'} in {time.monotonic() - started:.0f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
