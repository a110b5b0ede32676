"""r9s_stream.ray.complete against Ray Data LLM's HTTP processor, with a server taking 200 ms per reply.

    python benchmarks/ray_bench.py                       # 1 and 2 workers, both contenders
    python benchmarks/ray_bench.py --requests 4000 --streams 256 --llm-requests 256

Both run on one local Ray (``ray.init(num_cpus=2)``) against ``_slow_server.py`` (raw
asyncio, its own process), each with the same actors: ``--workers`` actors of a quarter CPU
each (Ray Data LLM's default of a whole CPU per actor deadlocks two actors on 2 CPUs).

- ``r9s_stream.ray.complete`` — streaming requests, ``--streams`` at once per worker;
- ``Ray Data LLM HttpRequestProcessor`` — ``HttpRequestProcessorConfig`` + ``build_processor``,
  non-streaming (it cannot read a stream), ``batch_size`` 64, no ``qps`` (as it documents:
  sequential), so each actor has one request in flight. It needs pydantic (the ``bench``
  extra). It gets fewer requests (``--llm-requests``): its rate is the same on any count.

Reported: requests/s from the server's side (requests received over the time from the first
request to the last reply, so the actors' start-up is left out), the whole job's wall time
(start-up included), and each rate as a ratio to Ray Data LLM's with the same actors.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

import msgspec
import ray
import ray.data
from _common import machine, stop_process

import r9s_stream.ray

HERE = Path(__file__).resolve().parent
LLM_LABEL = "Ray Data LLM HttpRequestProcessor"


def request_rows(count: int) -> list[dict[str, Any]]:
    return [
        {
            "custom_id": f"r{n}",
            "body": {"model": "m", "max_tokens": 16, "messages": [{"role": "user", "content": f"hi {n}"}]},
        }
        for n in range(count)
    ]


def server_stats(base: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{base}/stats") as reply:
        stats: dict[str, Any] = msgspec.json.decode(reply.read())
    return stats


def run_r9s(base: str, rows: list[dict[str, Any]], workers: int, streams: int) -> list[dict[str, Any]]:
    dataset = ray.data.from_items(rows)
    out = r9s_stream.ray.complete(
        dataset, base_url=f"{base}/v1", api_key="k", workers=workers, streams_per_worker=streams
    )
    return out.take_all()


def run_ray_llm(base: str, rows: list[dict[str, Any]], workers: int) -> list[dict[str, Any]]:
    from ray.data.llm import HttpRequestProcessorConfig, build_processor

    config = HttpRequestProcessorConfig(
        url=f"{base}/v1/chat/completions",
        headers={"Authorization": "Bearer k"},
        batch_size=64,
        concurrency=workers,
        http_request_stage={"num_cpus": 0.25},
    )
    processor = build_processor(
        config,
        preprocess=lambda row: {"payload": row["body"]},
        postprocess=lambda row: {"custom_id": row["custom_id"], "answer": str(row["http_response"])},
    )
    result: list[dict[str, Any]] = processor(ray.data.from_items(rows)).take_all()
    return result


def measure(base: str, label: str, workers: int, run: Callable[[], list[dict[str, Any]]]) -> dict[str, Any]:
    server_stats(base)  # count afresh
    start = time.perf_counter()
    out = run()
    wall = time.perf_counter() - start
    stats = server_stats(base)
    rate = stats["count"] / (stats["last"] - stats["first"])
    return {
        "label": label,
        "workers": workers,
        "rows": len(out),
        "requests": stats["count"],
        "rate": rate,
        "wall": wall,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--requests", type=int, default=2000, help="requests for r9s_stream.ray")
    parser.add_argument("--llm-requests", type=int, default=128, help="requests for Ray Data LLM")
    parser.add_argument("--streams", type=int, default=64, help="streams_per_worker")
    parser.add_argument("--workers", default="1,2", help="actor counts to measure")
    parser.add_argument("--delay", type=float, default=0.2, help="seconds the server takes per reply")
    parser.add_argument("--skip-llm", action="store_true", help="leave Ray Data LLM out")
    arguments = parser.parse_args()

    server = subprocess.Popen(
        [sys.executable, str(HERE / "_slow_server.py"), "--delay", str(arguments.delay)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        port = int(server.stdout.readline().split()[1])
        base = f"http://127.0.0.1:{port}"
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
        ray.data.DataContext.get_current().enable_progress_bars = False
        results = []
        for workers in (int(part) for part in arguments.workers.split(",")):
            if not arguments.skip_llm:
                run = partial(run_ray_llm, base, request_rows(arguments.llm_requests), workers)
                results.append(measure(base, LLM_LABEL, workers, run))
            run = partial(run_r9s, base, request_rows(arguments.requests), workers, arguments.streams)
            label = f"r9s_stream.ray.complete, {arguments.streams} streams/worker"
            results.append(measure(base, label, workers, run))
        ray.shutdown()
    finally:
        stop_process(server)

    print(f"## r9s_stream.ray vs Ray Data LLM — server {arguments.delay * 1000:.0f} ms per reply\n")
    print(machine() + "\n")
    print("| contender | workers | requests | requests/s | wall s (start-up incl.) | × Ray Data LLM |")
    print("|---|---|---|---|---|---|")
    for result in results:
        same_actors = [r for r in results if r["workers"] == result["workers"] and r["label"] == LLM_LABEL]
        baseline = same_actors[0]["rate"] if same_actors else None
        ratio = f"{result['rate'] / baseline:.1f}×" if baseline else "–"
        print(
            f"| {result['label']} | {result['workers']} | {result['requests']} | {result['rate']:.1f} "
            f"| {result['wall']:.1f} | {ratio} |"
        )
        if result["rows"] != result["requests"]:
            print(f"\n(!) {result['label']}: {result['rows']} rows for {result['requests']} requests")


if __name__ == "__main__":
    main()
