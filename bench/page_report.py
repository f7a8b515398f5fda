"""What bench/pages.py prints: the table of pages, and each target of issue 11 as met or NOT met."""

from dataclasses import dataclass

from bench.page_load import Measurement

ROLES = ("anonymous", "member")


@dataclass
class Row:
    page: "Page"  # bench.pages.Page
    role: str
    queries: int = 0
    size: int = 0
    alone_ms: float = 0.0  # the fastest of a few requests in this process, the site otherwise idle
    measurement: Measurement | None = None


SHARE_TARGETS = [  # page, role, the least share of hello-world's requests per second, in per cent
    ("thread-200", "anonymous", 20), ("thread-200", "member", 4),
    ("topic-50", "anonymous", 8), ("topic-50", "member", 3),
]
MAX_QUERIES = {"anonymous": 6, "member": 10}  # on the thread and topic pages, whatever their length
SAME_QUERIES = [("thread-20", "thread-200"), ("topic-25", "topic-50")]  # queries must not grow with posts or threads
MAX_THREAD_BYTES = 250_000  # the HTML of the long thread on one page
ROUGH_BELOW = 20  # requests answered in a page's run
ALONE_REQUESTS = 3  # timed in one process after a warm-up; the fastest is the least disturbed by the machine


def share(row: Row, hello_rate: float) -> float:
    return 100 * row.measurement.per_second / hello_rate if hello_rate else 0.0


def evaluate(rows: dict, hello_rate: float) -> list[tuple[str, bool, str]]:
    """Each target whose pages were measured: what it asks, whether it is met, and the figure."""
    results = []
    for key, role, least in SHARE_TARGETS:
        if (row := rows.get((key, role))) and row.measurement:
            figure = share(row, hello_rate)
            results.append((f"{row.page.label}, {role}: at least {least} % of hello-world", figure >= least,
                            f"{figure:.2f} %"))
    for role, most in MAX_QUERIES.items():
        counted = {key: rows[key, role].queries for key in ("thread-20", "thread-200", "topic-25", "topic-50")
                   if (key, role) in rows}
        if counted:
            figure = ", ".join(f"{key} {count}" for key, count in counted.items())
            results.append((f"SQL queries, {role}, thread and topic pages: at most {most}",
                            max(counted.values()) <= most, figure))
    for short, long in SAME_QUERIES:
        for role in ROLES:
            if (short, role) in rows and (long, role) in rows:
                few, many = rows[short, role].queries, rows[long, role].queries
                results.append((f"SQL queries, {role}: the same on {short} and {long}", few == many,
                                f"{few} and {many}"))
    for role in ROLES:
        if row := rows.get(("thread-200", role)):
            results.append((f"{row.page.label}, {role}: HTML under {MAX_THREAD_BYTES // 1000} KB",
                            row.size < MAX_THREAD_BYTES, f"{row.size / 1000:,.0f} KB"))
    return results


def print_report(*, title: str, rows: dict, hello: list[Measurement], targets) -> None:
    hello_rate = sum(run.per_second for run in hello) / len(hello)
    print()
    print(title)
    runs = " and ".join(f"{run.per_second:,.0f}" for run in hello)
    print(f"hello-world: {runs} req/s (before and after the pages), mean {hello_rate:,.0f}; "
          f"p50 {hello[0].p50_ms:.1f} ms, p99 {hello[0].p99_ms:.1f} ms")
    print(f"{'page':<28} {'role':<10} {'req/s':>8} {'% hello':>8} {'p50 ms':>8} {'p99 ms':>8} {'alone ms':>9} "
          f"{'queries':>8} {'KB':>6} {'requests':>9} {'failed':>7}")
    for row in rows.values():
        run = row.measurement
        print(f"{row.page.label:<28} {row.role:<10} {run.per_second:>8,.1f} {share(row, hello_rate):>7.2f}% "
              f"{run.p50_ms:>8.1f} {run.p99_ms:>8.1f} {row.alone_ms:>9.0f} {row.queries:>8} {row.size / 1000:>6.0f} "
              f"{run.requests:>9} {run.failures:>7}")
    print(f"(alone ms: the fastest of {ALONE_REQUESTS} requests in the benchmark's own process, with Django's test "
          "client, while gunicorn is stopped)")
    if any(row.measurement.requests < ROUGH_BELOW for row in rows.values()):
        print(f"(fewer than {ROUGH_BELOW} requests answered in a run: its figures are rough; a longer --seconds "
              "steadies them)")
    for text, met, figure in targets:
        print(f"target  {text}: {'met' if met else 'NOT met'} ({figure})")
