"""Start-up of the command line: ``offramp --version`` and ``offramp --help`` in fresh processes.

Each command runs ``--repeats`` times in a new interpreter, interleaved with a bare
``python -c pass`` so that the machine's load affects both alike; the script prints the
median wall time of each and its ratio to the bare interpreter. Also printed: what each
command loads (pandas, the analysis), since that is what makes a start-up slow.

    python benchmarks/bench_startup.py               # 15 repeats
    python benchmarks/bench_startup.py --repeats 5
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time

COMMANDS = {
    "python -c pass": "pass",
    "offramp --version": "from offramp.cli import main; main(['--version'])",
    "offramp --help": "from offramp.cli import main; main(['--help'])",
    "offramp run --help": "from offramp.cli import main; main(['run', '--help'])",
}
HEAVY = ("pandas", "pyarrow", "scipy", "matplotlib", "offramp.analyse.analysis")


def _time(code: str) -> float:
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", code], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - began


def _loads(code: str) -> list[str]:
    probe = f"import sys\n{code}\nprint('MODULES', *sorted(sys.modules))"
    shown = subprocess.run([sys.executable, "-c", probe], check=True, capture_output=True, text=True).stdout
    loaded = shown[shown.index("MODULES") :].split()[1:]
    return [h for h in HEAVY if any(m == h or m.startswith(h + ".") for m in loaded)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    repeats = parser.parse_args().repeats
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for code in COMMANDS.values():  # warm the file cache and the bytecode
        _time(code)
    for _ in range(repeats):
        for name, code in COMMANDS.items():
            times[name].append(_time(code))
    bare = statistics.median(times["python -c pass"])
    print(f"{'command':<22}{'median s':>10}{'x bare python':>15}  heavy modules loaded")
    for name, code in COMMANDS.items():
        median = statistics.median(times[name])
        heavy = ", ".join(_loads(code)) or "none"
        print(f"{name:<22}{median:>10.3f}{median / bare:>15.1f}  {heavy}")


if __name__ == "__main__":
    main()
