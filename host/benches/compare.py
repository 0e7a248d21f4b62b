#!/usr/bin/env python3
"""Whole-process comparisons, side by side in one run: medians of N runs, ratios, peak RSS.

    cargo build --release -p helmwasm
    python3 host/benches/compare.py --chart PATH/airflow-1.21.0.tgz [--runs 10]

The chart is Apache Airflow's package of the version the example pins, 1.21.0 (e.g. `helm pull
airflow --repo https://airflow.apache.org --version 1.21.0`; the figures in docs/benchmarks.md
before the example moved to 1.21.0 were measured with 1.19.0). helm and kubectl come from --helm/--kubectl,
else target/tools/bin (what `bash tests/setup` installs), else PATH. Prints a Markdown table;
docs/benchmarks.md holds the figures measured with it. Nothing here is a test: CI does not
run it, and nothing is asserted.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# The targets' ratios are medians of per-round ratios, and a single round on a shared VM
# ranges over ±30 %: they get more rounds than the plain rows (× `--runs`).
PAIRED_ROUNDS = 3  # warm example vs kubectl, full render vs bare helm
SCALING_ROUNDS = 2  # 500 releases, 1 vs 2 threads (three processes a round)


def tool(name, given):
    for c in [given, ROOT / "target/tools/bin" / name, shutil.which(name)]:
        if c and Path(c).exists():
            return str(c)
    sys.exit(f"error: {name} not found: pass --{name} PATH or run `bash tests/setup`")


def measure(cmd, runs, env=None, before=None, cwd=None):
    """Median wall seconds and the largest peak RSS (MiB) over `runs` runs of `cmd`."""
    walls, rss = [], 0
    for _ in range(runs):
        if before:
            before()
        # stderr to a file, not a pipe: nobody reads a pipe while waiting for the process.
        with tempfile.TemporaryFile() as errf:
            start = time.perf_counter()
            p = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, env=env, cwd=cwd)
            _, status, usage = os.wait4(p.pid, 0)
            walls.append(time.perf_counter() - start)
            errf.seek(0)
            err = errf.read().decode(errors="replace")
        if os.waitstatus_to_exitcode(status) != 0:
            sys.exit(f"error: {' '.join(map(str, cmd))} failed:\n{err}")
        rss = max(rss, usage.ru_maxrss / 1024)
    return statistics.median(walls), rss


def scaling(one, two, runs, env):
    """2 vs 1 thread measured in alternation (one round: `one`, `two`, then two copies of
    `one` at once), so a slow spell of a shared machine hits both sides of each ratio.
    Returns the median per-round speed-up of `two` over `one`, its range, and the machine's
    own ceiling for two independent processes (2 × t(one) / t(two copies at once))."""
    speedups, ceilings = [], []
    for _ in range(runs):
        walls = []
        for cmds in ([one], [two], [one, one]):
            start = time.perf_counter()
            procs = [subprocess.Popen(c, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env)
                     for c in cmds]
            if any(p.wait() != 0 for p in procs):
                sys.exit(f"error: {' '.join(map(str, cmds[0]))} failed")
            walls.append(time.perf_counter() - start)
        speedups.append(walls[0] / walls[1])
        ceilings.append(2 * walls[0] / walls[2])
    return statistics.median(speedups), min(speedups), max(speedups), statistics.median(ceilings)


def alternated(a, b, runs, env, before=None):
    """`b` against `a`, run one after the other in each round: the median per-round ratio
    t(b) / t(a) and its range. `before` runs, untimed, before each `b`."""
    ratios = []
    for _ in range(runs):
        walls = []
        for cmd in (a, b):
            if before and cmd is b:
                before()
            start = time.perf_counter()
            if subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env).returncode:
                sys.exit(f"error: {' '.join(map(str, cmd))} failed")
            walls.append(time.perf_counter() - start)
        ratios.append(walls[1] / walls[0])
    return statistics.median(ratios), min(ratios), max(ratios)


def pipeline_copy(dest, chart=None, releases=1, steps=True):
    """The example copied to `dest`: with `chart` as its chart, `releases` copies of its
    release (each in its own namespace), and without its steps when `steps` is false."""
    src = ROOT / "examples/airflow-eks"
    if not dest.exists():
        shutil.copytree(src, dest)
    text = (src / "helmwasm.yaml").read_text()
    if chart:
        text = text.replace("    chart: apache-airflow/airflow\n", f"    chart: {chart}\n")
    head, block = text.split("releases:\n", 1)
    if not steps:
        # Keep the release's own keys; drop both step lists.
        kept = []
        skipping = False
        for line in block.splitlines(keepends=True):
            if line.startswith("    steps:") or line.startswith("    postRender:"):
                skipping = True
                continue
            if skipping and (line.startswith("      ") or line.strip() == "" or line.lstrip().startswith("#")):
                continue
            skipping = False
            kept.append(line)
        block = "".join(kept)
    out = head + "releases:\n"
    for i in range(releases):
        name = "airflow" if releases == 1 else f"airflow-{i}"
        ns = "airflow" if releases == 1 else f"team-{i}"
        out += block.replace(
            "  - name: airflow\n    namespace: airflow\n", f"  - name: {name}\n    namespace: {ns}\n", 1
        )
    path = dest / f"p-{releases}-{int(steps)}-{int(bool(chart))}.yaml"
    path.write_text(out)
    return path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--chart", required=True, help="the packaged Airflow chart of the example's version, 1.21.0 (.tgz)")
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--helmwasm", default=str(ROOT / "target/release/helmwasm"))
    ap.add_argument("--helm")
    ap.add_argument("--kubectl")
    a = ap.parse_args()
    hw, helm, kubectl = a.helmwasm, tool("helm", a.helm), tool("kubectl", a.kubectl)
    chart = str(Path(a.chart).resolve())
    work = Path(tempfile.mkdtemp(prefix="helmwasm-bench-"))
    ex = work / "example"
    cache = work / "cache"
    env = dict(os.environ, HELMWASM_CACHE_DIR=str(cache), HELMWASM_OFFLINE="1")
    env.pop("HELMWASM_HELM", None)
    no_helm = dict(env, PATH="/usr/bin:/bin")  # values stage only: no helm on PATH
    rows = []

    def row(name, cmd, runs=a.runs, env=no_helm, before=None, ref=None):
        wall, rss = measure(cmd, runs, env, before)
        rows.append((name, wall, rss, ref))
        return (wall, name)

    values_only = pipeline_copy(ex)
    template = [hw, "template", "-f", str(values_only), "-e", "prod"]
    subprocess.run([hw, "plugins", "precompile"], env=env, check=True, stderr=subprocess.DEVNULL)
    kube_cmd = [kubectl, "create", "secret", "generic", "airflow-metadata-db", "-n", "airflow",
                "--from-literal=connection=postgresql://airflow:pw@db:5432/airflow", "--dry-run=client", "-o", "yaml"]
    kube = row("`kubectl create secret generic … --dry-run=client -o yaml` (reference)", kube_cmd)
    row("example, values stage, warm cache", template, ref=kube)
    warm_vs_kube = alternated(kube_cmd, template, a.runs * PAIRED_ROUNDS, no_helm)
    # The chart cached (here a local archive: read, its defaults and schema used) and no helm.
    with_chart = pipeline_copy(ex, chart=chart)
    chart_cmd = [hw, "template", "-f", str(with_chart), "-e", "prod"]
    row("example with the chart cached, values stage (no helm), warm cache", chart_cmd, ref=kube)
    chart_vs_kube = alternated(kube_cmd, chart_cmd, a.runs * PAIRED_ROUNDS, no_helm)
    zero = pipeline_copy(ex, steps=False)
    row("the same pipeline with zero steps (floor)", [hw, "template", "-f", str(zero), "-e", "prod"], ref=kube)

    def empty_cache():
        shutil.rmtree(cache, ignore_errors=True)

    row("example, values stage, empty cache (cold)", template, runs=max(3, a.runs // 2), before=empty_cache)
    subprocess.run([hw, "plugins", "precompile"], env=env, check=True, stderr=subprocess.DEVNULL)
    many = None
    for n in (1, 50, 500):
        p = pipeline_copy(ex, releases=n)
        base = None
        for threads in (1, 2):
            w = row(
                f"{n} release(s) × the example's steps, --concurrency {threads}",
                [hw, "template", "-f", str(p), "-e", "prod", "--concurrency", str(threads)],
                runs=max(3, a.runs // 2) if n == 500 else a.runs,
                ref=base,
            )
            base = base or w
        if n == 500:
            cmd = [hw, "template", "-f", str(p), "-e", "prod", "-q", "--concurrency"]
            many = scaling(cmd + ["1"], cmd + ["2"], a.runs * SCALING_ROUNDS, no_helm)
    full = pipeline_copy(ex, chart=chart)
    with_helm = dict(env, HELMWASM_HELM=helm)
    values_file = work / "final-values.yaml"
    subprocess.run(
        [hw, "write-values", "-f", str(full), "-e", "prod", "--output-file-template", str(values_file)],
        env=with_helm, check=True, stderr=subprocess.DEVNULL,
    )
    bare = row(
        f"bare `helm template` of chart {Path(chart).name} with the same final values",
        [helm, "template", "airflow", chart, "-n", "airflow", "-f", str(values_file)],
        env=with_helm,
    )
    full_cmd = [hw, "template", "-f", str(full), "-e", "prod", "--strict"]
    bare_cmd = [helm, "template", "airflow", chart, "-n", "airflow", "-f", str(values_file)]

    def prune_renders():
        subprocess.run([hw, "cache", "prune", "--renders"], env=env, check=True, stdout=subprocess.DEVNULL)

    row("example, full render, render cache miss (helm template inside, checks, post-render)",
        full_cmd, env=with_helm, before=prune_renders, ref=bare)
    full_vs_bare = alternated(bare_cmd, full_cmd, a.runs * PAIRED_ROUNDS, with_helm, before=prune_renders)
    subprocess.run(full_cmd, env=with_helm, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    row("example, full render, render cache hit (no helm run; checks, post-render)", full_cmd, env=with_helm, ref=bare)
    hit_vs_bare = alternated(bare_cmd, full_cmd, a.runs * PAIRED_ROUNDS, with_helm)

    # diff --against-rev HEAD on the example in a git repository, after one earlier run: both
    # sides' renders are hits. The reference is what it replaces: two bare helm renders.
    repo = work / "repo"
    shutil.copytree(ex, repo, ignore=shutil.ignore_patterns("p-*.yaml"))
    shutil.copy(full, repo / "helmwasm.yaml")
    git = ["git", "-C", str(repo), "-c", "user.name=b", "-c", "user.email=b@example.invalid"]
    for args in (["init", "-q"], ["add", "."], ["commit", "-qm", "base"]):
        subprocess.run(git + args, check=True)
    diff_cmd = [hw, "diff", "-f", str(repo / "helmwasm.yaml"), "-e", "prod", "--strict", "--against-rev", "HEAD"]
    subprocess.run(diff_cmd, env=with_helm, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    two_bare = ["sh", "-c", '"$0" "$@" >/dev/null && exec "$0" "$@"'] + bare_cmd
    two = row("two bare `helm template` runs (what a diff of two renders costs without the cache)", two_bare, env=with_helm)
    row("example, `diff --against-rev HEAD` after one earlier run", diff_cmd, env=with_helm, ref=two)
    diff_vs_two = alternated(two_bare, diff_cmd, a.runs * PAIRED_ROUNDS, with_helm)

    # 50 releases of the example, full render: the first run (empty render cache: 50 helm
    # runs on --concurrency threads) and the second (50 hits).
    fifty = pipeline_copy(ex, chart=chart, releases=50)
    fifty_cmd = [hw, "template", "-f", str(fifty), "-e", "prod", "--strict", "-q"]
    first = row("50 releases × the example, full render, first run (empty render cache)", fifty_cmd,
                runs=max(2, a.runs // 4), env=with_helm, before=prune_renders)
    subprocess.run(fifty_cmd, env=with_helm, check=True, stdout=subprocess.DEVNULL)
    row("50 releases × the example, full render, second run", fifty_cmd, env=with_helm, ref=first)

    print(f"{a.runs} runs each (cold and 500 releases: {max(3, a.runs // 2)}); medians; RSS is the largest peak.\n")
    print("| measure | median wall | ratio | peak RSS |")
    print("| --- | ---: | ---: | ---: |")
    for name, wall, rss, ref in rows:
        ratio = f"{wall / ref[0]:.2f}× {ref[1].split(' (')[0]}" if ref else ""
        print(f"| {name} | {wall * 1000:.1f} ms | {ratio} | {rss:.0f} MiB |")
    speedup, low, high, ceiling = many
    ratio, rlow, rhigh = warm_vs_kube
    print(
        f"\nWarm example against the kubectl reference, alternated in each of {a.runs * PAIRED_ROUNDS} rounds: "
        f"{ratio:.2f}× (rounds {rlow:.2f}–{rhigh:.2f}×)."
    )
    ratio, rlow, rhigh = chart_vs_kube
    print(
        f"Warm example with the chart cached against the kubectl reference, alternated in each of "
        f"{a.runs * PAIRED_ROUNDS} rounds: {ratio:.2f}× (rounds {rlow:.2f}–{rhigh:.2f}×)."
    )
    for what, (ratio, rlow, rhigh) in (
        ("Full render, render cache miss, against bare `helm template`", full_vs_bare),
        ("Full render, render cache hit, against bare `helm template`", hit_vs_bare),
        ("`diff --against-rev HEAD` against two bare `helm template` runs", diff_vs_two),
    ):
        print(
            f"{what}, alternated in each of {a.runs * PAIRED_ROUNDS} rounds: "
            f"{ratio:.2f}× (rounds {rlow:.2f}–{rhigh:.2f}×)."
        )
    print(
        f"500 releases, 2 vs 1 thread alternated in each of {a.runs * SCALING_ROUNDS} rounds: {speedup:.2f}× faster "
        f"(rounds {low:.2f}–{high:.2f}×); two 1-thread runs at once, the machine's own ceiling "
        f"for two processes: {ceiling:.2f}×."
    )
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
