"""Drive one URL as hard as a fixed number of connections can for a fixed time: wrk when installed, else Python.

bench/pages.py uses this. Both generators report the same figures: requests answered, requests per second, p50 and
p99 latency and the requests that failed (an answer other than 2xx or 3xx, or none). Nothing here imports Django:
the Python generator's processes start clean.
"""

import multiprocessing
import os
import re
import shutil
import socket
import subprocess
import threading
import time as clock
from dataclasses import dataclass


@dataclass(frozen=True)
class Measurement:
    requests: int
    seconds: float
    p50_ms: float
    p99_ms: float
    failures: int  # non-2xx/3xx answers, refused or cut connections, timeouts

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


def generator_name(choice: str) -> str:
    """"wrk" or "python" for --load auto|wrk|python; "wrk" only when it is installed."""
    if choice == "auto":
        return "wrk" if shutil.which("wrk") else "python"
    if choice == "wrk" and not shutil.which("wrk"):
        raise ValueError("wrk is not installed (Debian: apt-get install wrk); --load python needs nothing")
    return choice


def measure(generator: str, *, port: int, path: str, headers: dict, seconds: float, connections: int) -> Measurement:
    if generator == "wrk":
        return run_wrk(port=port, path=path, headers=headers, seconds=seconds, connections=connections)
    return run_python(port=port, path=path, headers=headers, seconds=seconds, connections=connections)


# wrk ----------------------------------------------------------------------------------------------------------

_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def run_wrk(*, port: int, path: str, headers: dict, seconds: float, connections: int) -> Measurement:
    threads = max(1, min(connections, os.cpu_count() or 1))
    command = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency",
               "--timeout", "30s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    command.append(f"http://127.0.0.1:{port}{path}")
    finished = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    if finished.returncode != 0:
        raise RuntimeError(f"wrk failed ({finished.returncode}): {finished.stderr.strip() or finished.stdout}")
    measurement = parse_wrk(finished.stdout)
    if measurement.failures:  # what kind of failure, for the log
        print("\n".join(line for line in finished.stdout.splitlines() if "errors" in line or "Non-2xx" in line))
    return measurement


def _milliseconds(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * _UNITS_MS[unit]


def parse_wrk(output: str) -> Measurement:
    """The figures in wrk's report (run with --latency)."""
    done = re.search(r"^\s*(\d+) requests in ([\d.]+)(us|ms|s|m),", output, re.MULTILINE)
    if done is None:
        raise ValueError(f"no request count in wrk's output:\n{output}")
    p50 = re.search(r"^\s*50%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99%\s+(\S+)", output, re.MULTILINE)
    failures = 0
    if status := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        failures += int(status.group(1))
    if errors := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        # A read error is the server closing a kept-alive connection (gunicorn's sync workers close every one
        # after its answer), which wrk reopens: not a failed request. Refused connections and timeouts are.
        connect, _, write, timeout = (int(value) for value in errors.groups())
        failures += connect + write + timeout
    return Measurement(
        requests=int(done.group(1)),
        seconds=_milliseconds(done.group(2) + done.group(3)) / 1000,
        p50_ms=_milliseconds(p50.group(1)) if p50 else 0.0,
        p99_ms=_milliseconds(p99.group(1)) if p99 else 0.0,
        failures=failures,
    )


# Python -------------------------------------------------------------------------------------------------------


def percentile(sorted_values: list[float], fraction: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return 0.0
    rank = max(1, round(fraction * len(sorted_values) + 0.5))
    return sorted_values[min(rank, len(sorted_values)) - 1]


def _request_bytes(port: int, path: str, headers: dict) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def _one_request(port: int, request: bytes) -> bool:
    """Send the request on a new connection and read the answer to its end; True for a 2xx or 3xx status."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as connection:
        connection.sendall(request)
        first = connection.recv(65536)
        while connection.recv(65536):  # Connection: close, so the answer ends where the connection does
            pass
    return first[9:10] in (b"2", b"3")  # "HTTP/1.1 200 OK"


def _connection_loop(port: int, request: bytes, until: float, latencies: list, failures: list) -> None:
    while (started := clock.perf_counter()) < until:
        try:
            answered = _one_request(port, request)
        except OSError:
            answered = False
        if answered:
            latencies.append(clock.perf_counter() - started)
        else:
            failures.append(1)
            clock.sleep(0.01)  # a refused connection fails at once: no busy loop


def _process(port: int, request: bytes, seconds: float, connections: int, start_at: float, results) -> None:
    """One process's share of the connections, each a thread; sends back its latencies and failures."""
    clock.sleep(max(0.0, start_at - clock.time()))
    until = clock.perf_counter() + seconds
    latencies, failures = [], []
    threads = [
        threading.Thread(target=_connection_loop, args=(port, request, until, latencies, failures))
        for _ in range(connections)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    results.put((latencies, len(failures)))


def run_python(*, port: int, path: str, headers: dict, seconds: float, connections: int) -> Measurement:
    """Connections spread over a process per core (the interpreter's lock would cap one process's rate)."""
    request = _request_bytes(port, path, headers)
    processes_count = max(1, min(connections, os.cpu_count() or 1))
    shares = [connections // processes_count + (n < connections % processes_count) for n in range(processes_count)]
    context = multiprocessing.get_context("spawn")  # not a fork of a process holding database connections
    results = context.Queue()
    start_at = clock.time() + 1.0  # the processes take a moment to start: all begin together
    processes = [
        context.Process(target=_process, args=(port, request, seconds, share, start_at, results)) for share in shares
    ]
    for process in processes:
        process.start()
    latencies, failures = [], 0
    for _ in processes:
        own_latencies, own_failures = results.get(timeout=seconds + 60)
        latencies += own_latencies
        failures += own_failures
    for process in processes:
        process.join()
    latencies.sort()
    return Measurement(
        requests=len(latencies),
        seconds=seconds,
        p50_ms=1000 * percentile(latencies, 0.50),
        p99_ms=1000 * percentile(latencies, 0.99),
        failures=failures,
    )
