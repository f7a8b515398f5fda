"""The site's own settings for bench/pages.py, with a plain hello-world view beside the site's pages.

Only the benchmark uses this module: the hello-world page runs through the site's whole middleware stack, so the
pages can be measured as a share of it. Cache keys carry a prefix of the run's own (BENCH_CACHE_KEY_PREFIX), so
that a run never reads what an earlier run or a test on the same Redis database cached for the same ids, and can
delete exactly its own keys at the end.
"""

import os

from groupsite.settings import *  # noqa: F403

ROOT_URLCONF = "bench.hello_urls"
for _cache in CACHES.values():  # noqa: F405
    _cache["KEY_PREFIX"] = os.environ.get("BENCH_CACHE_KEY_PREFIX", "")
