"""Run the benchmarks and print their figures: `python -m bench` runs them all, `python -m bench finder` one.

Each benchmark is a module in this package with a `main()` that prints its figures and returns a non-zero
exit status (or raises) when it could not measure. With several benchmarks to run, each runs in its own
Python process, so one benchmark's Django settings and scratch database never leak into the next and a
crash stops only that benchmark; the exit status is non-zero if any of them failed.
"""

import importlib
import subprocess
import sys
import time
import traceback
from pathlib import Path

# Add a benchmark here: the name of a module in this package that has a main().
BENCHMARKS = ["finder", "page_weight", "load", "front", "memory", "soak", "fault_drill"]

REPO_ROOT = Path(__file__).resolve().parent.parent


def run_in_this_process(name):
    """Import bench.<name> and call its main(); the exit status, with any traceback printed."""
    try:
        status = importlib.import_module(f"bench.{name}").main()
    except SystemExit as exit_:
        status = exit_.code
    except Exception:
        traceback.print_exc()
        return 1
    if status in (None, 0):
        return 0
    return status if isinstance(status, int) else 1


def run_each_in_own_process(names):
    """Run `python -m bench <name>` for each name in turn; {name: (exit status, seconds)}."""
    outcomes = {}
    for name in names:
        started = time.perf_counter()
        status = subprocess.run([sys.executable, "-m", "bench", name], cwd=REPO_ROOT).returncode
        outcomes[name] = (status, time.perf_counter() - started)
        print(flush=True)
    return outcomes


def main(argv):
    names = argv or BENCHMARKS
    unknown = [name for name in names if name not in BENCHMARKS]
    if unknown:
        print(f"Unknown benchmark: {', '.join(unknown)}. Choose from: {', '.join(BENCHMARKS)}.", file=sys.stderr)
        return 2
    if len(names) == 1:
        return run_in_this_process(names[0])
    outcomes = run_each_in_own_process(names)
    print(
        "bench: "
        + ", ".join(
            f"{name} {'ok' if status == 0 else f'FAILED (exit {status})'} in {seconds:.0f} s"
            for name, (status, seconds) in outcomes.items()
        )
    )
    return 0 if all(status == 0 for status, _seconds in outcomes.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
