#!/usr/bin/env python3
"""Before/after speed of two builds of aha, run interleaved (A, B, A, B, ...) on one machine.

    bench/ab_compare.py --a OLD_BUILD --b NEW_BUILD [--runs 5] [--bench train|generate|grpo ...]

Each run starts one bench binary of build A, then the same of build B, `--runs` times, so that
slow drift of the machine (load, frequency, page cache) falls on both alike. For every figure a
bench prints as "... N tokens/s" it reports the median of each side, the spread (min .. max) of
each, and B/A of the medians; for every bench also the process's wall and CPU time (user + sys
of the bench and its children, from getrusage), whose step counts are the same on both sides, so
their ratio is the ratio of time per step plus the (equal) set-up. The load average is printed
before and after: take figures on an idle machine.
"""
import argparse
import os
import re
import resource
import statistics
import subprocess
import time

BENCHES = {
    # name: arguments after the binary (the same on both sides)
    "train": ["bench/train_bench", "--no-torch", "--steps", "5", "--warmup", "1", "--config", "3m,58m"],
    "generate": ["bench/generate_bench", "--quick"],
    "grpo": ["bench/grpo_bench", "--steps", "3", "--warmup", "1", "--config", "3m"],
}
FIGURE = re.compile(r"^\s*(?P<label>.*?)\s*(?P<value>[0-9]+(?:\.[0-9]+)?) tokens/s")


def run(build, args, threads):
    env = dict(os.environ, AHA_NUM_THREADS=str(threads))
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.monotonic()
    out = subprocess.run([os.path.join(build, args[0])] + args[1:], env=env, check=True,
                         capture_output=True, text=True).stdout
    wall = time.monotonic() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    figures = {"wall s": wall, "cpu s": cpu}
    section = ""
    for line in out.splitlines():
        if line and not line.startswith(" "):
            section = line.split(":")[0][:40]
        m = FIGURE.match(line)
        if m:
            label = f"{section} | {m.group('label')}".strip()
            while label in figures:
                label += "'"
            figures[label] = float(m.group("value"))
    return figures


def summary(values):
    return f"{statistics.median(values):10.2f} ({min(values):.2f} .. {max(values):.2f})"


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--a", required=True, help="build directory before the change")
    p.add_argument("--b", required=True, help="build directory after the change")
    p.add_argument("--runs", type=int, default=5)
    p.add_argument("--threads", type=int, default=os.cpu_count())
    p.add_argument("--bench", nargs="+", default=list(BENCHES), choices=list(BENCHES))
    a = p.parse_args()
    print(f"load average before: {os.getloadavg()}; threads {a.threads}; {a.runs} runs each, interleaved")
    for name in a.bench:
        runs = {"A": [], "B": []}
        for _ in range(a.runs):
            for side, build in (("A", a.a), ("B", a.b)):
                runs[side].append(run(build, BENCHES[name], a.threads))
        print(f"\n{name}: {' '.join(BENCHES[name])}")
        print(f"  {'figure':60} {'A median (min .. max)':>28} {'B median (min .. max)':>28}   B/A")
        for label in runs["A"][0]:
            va = [r[label] for r in runs["A"] if label in r]
            vb = [r[label] for r in runs["B"] if label in r]
            if not va or not vb:
                continue
            ratio = statistics.median(vb) / statistics.median(va)
            print(f"  {label[:60]:60} {summary(va):>28} {summary(vb):>28}  {ratio:5.3f}")
    print(f"\nload average after: {os.getloadavg()}")


if __name__ == "__main__":
    main()
