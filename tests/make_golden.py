"""Rewrite the golden files in ``tests/golden/`` from the code as it is now.

Run it only on purpose, when a change of results is intended, and review the diff
(``git diff tests/golden``) before committing::

    python tests/make_golden.py            # every case
    python tests/make_golden.py run        # one case (run, epstein, explore, analyze)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from golden_cases import CASES, GOLDEN, golden_path, to_golden_text


def main(names: list[str]) -> None:
    unknown = set(names) - set(CASES)
    if unknown:
        raise SystemExit(f"make_golden: unknown case(s) {', '.join(sorted(unknown))}; choose from {', '.join(CASES)}")
    GOLDEN.mkdir(exist_ok=True)
    for name in names or list(CASES):
        with tempfile.TemporaryDirectory() as tmp:
            tables = CASES[name](Path(tmp))
            # A table the case no longer makes (discovery of another strategy) goes, so the
            # folder holds exactly what the case gives.
            for stale in set(GOLDEN.glob(f"{name}_*.csv")) - {golden_path(table) for table in tables}:
                stale.unlink()
                print(f"{stale.relative_to(GOLDEN.parent.parent)}: removed")
            for table, frame in tables.items():
                golden_path(table).write_text(to_golden_text(frame), encoding="utf-8")
                print(f"{golden_path(table).relative_to(GOLDEN.parent.parent)}: {len(frame)} rows")


if __name__ == "__main__":
    main(sys.argv[1:])
