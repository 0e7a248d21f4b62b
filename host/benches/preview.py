#!/usr/bin/env python3
"""How live `helmwasm preview --serve` feels: from a saved values file to the page's new state.

    cargo build --release -p helmwasm
    python3 host/benches/preview.py [--chart PATH/airflow-1.21.0.tgz] [--runs 20]

Each round edits `values/prod.yaml` of a copy of the example (`scheduler.replicas`), then waits
for the render's server-sent event and fetches `/api/state`, as the page does: the time from
the write to the state in hand. Two setups:

- the values stage: offline with an empty chart cache (no chart, no helm), as on a laptop
  without network;
- with `--chart`: the full render (the example's `chart:` set to that package, helm from
  --helm, else target/tools/bin, else PATH), against bare `helm template` of the same chart
  with the same final values (`write-values`).

The debounce (50 ms by default) is part of the time a user waits, so it is included. Prints
medians and 90th percentiles; docs/benchmarks.md holds the figures. Nothing is asserted, and
CI does not run it.
"""

import argparse
import shutil
import socket
import statistics
import subprocess
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def tool(name, given):
    for c in [given, ROOT / "target/tools/bin" / name, shutil.which(name)]:
        if c and Path(c).exists():
            return str(c)
    raise SystemExit(f"error: {name} not found: pass --{name} PATH or run `bash tests/setup`")


def example(chart=None):
    d = Path(tempfile.mkdtemp(prefix="helmwasm-preview-bench-"))
    shutil.copytree(ROOT / "examples/airflow-eks", d, dirs_exist_ok=True)
    if chart:
        p = d / "helmwasm.yaml"
        p.write_text(p.read_text().replace("    chart: apache-airflow/airflow\n", f"    chart: {chart}\n"))
    return d


def rounds(hw, d, runs, env):
    cache = tempfile.mkdtemp(prefix="helmwasm-preview-cache-")
    proc = subprocess.Popen(
        [hw, "--cache-dir", cache, "preview", "-f", "helmwasm.yaml", "-e", "prod", "--serve"],
        cwd=d, env=env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True,
    )
    try:
        url = None
        for line in proc.stdout:
            if line.startswith("preview: serving "):
                url = line.split()[2]
                break
        addr, token = url[len("http://"):].split("/?token=")
        host, port = addr.rsplit(":", 1)
        events = socket.create_connection((host, int(port)))
        events.sendall(f"GET /api/events?token={token} HTTP/1.1\r\nHost: {addr}\r\n\r\n".encode())
        buf = b""

        def wait_render(n):
            nonlocal buf
            want = f"data: {n}\n".encode()
            while want not in buf:
                buf += events.recv(65536)

        wait_render(1)
        prod = d / "values/prod.yaml"
        original = prod.read_text()
        times = []
        for i in range(runs):
            time.sleep(0.3)  # the previous render settled
            t0 = time.perf_counter()
            prod.write_text(original.replace("replicas: 2", f"replicas: {3 + i % 2}"))
            wait_render(i + 2)
            urllib.request.urlopen(f"http://{addr}/api/state?token={token}").read()
            times.append(time.perf_counter() - t0)
        return times
    finally:
        proc.terminate()
        proc.wait()


def show(label, times):
    times = sorted(times)
    p90 = times[int(len(times) * 0.9) - 1]
    print(f"| {label} | {statistics.median(times) * 1000:.0f} ms | {p90 * 1000:.0f} ms |")
    return statistics.median(times)


def main():
    a = argparse.ArgumentParser()
    a.add_argument("--chart")
    a.add_argument("--helm")
    a.add_argument("--runs", type=int, default=20)
    a = a.parse_args()
    hw = str(ROOT / "target/release/helmwasm")
    base_env = {"PATH": "/usr/bin:/bin", "HELMWASM_OFFLINE": "1", "HOME": tempfile.mkdtemp()}
    print("| saved file → page state | median | p90 |\n| --- | --- | --- |")
    show("values stage (offline, no chart, no helm)", rounds(hw, example(), a.runs, base_env))
    if not a.chart:
        return
    helm = tool("helm", a.helm)
    env = dict(base_env, HELMWASM_HELM=helm)
    full = show("full render (helm template inside)", rounds(hw, example(a.chart), a.runs, env))
    d = example(a.chart)
    values = d / "final-values.yaml"
    subprocess.run([hw, "write-values", "-f", str(d / "helmwasm.yaml"), "-e", "prod",
                    "--output-file-template", str(values)], env=env, check=True, capture_output=True)
    bare = []
    for _ in range(a.runs):
        t0 = time.perf_counter()
        subprocess.run([helm, "template", "airflow", a.chart, "-n", "airflow", "-f", str(values)],
                       check=True, capture_output=True)
        bare.append(time.perf_counter() - t0)
    helm_median = show("bare `helm template`, same chart and final values", bare)
    print(f"\nfull render through preview / bare helm: {full / helm_median:.2f}x")


if __name__ == "__main__":
    main()
