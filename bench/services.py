"""What the benchmarks need from this machine's PostgreSQL and Redis: whether they answer, and a fresh database."""


def services_reachable(postgres: str, redis_url: str) -> str | None:
    """None when PostgreSQL and Redis answer, else why not."""
    try:
        import psycopg

        psycopg.connect(f"{postgres}/postgres", connect_timeout=3).close()
    except Exception as error:
        return f"PostgreSQL at {postgres} is unreachable ({error.__class__.__name__})"
    try:
        import redis

        redis.Redis.from_url(redis_url, socket_connect_timeout=3).ping()
    except Exception as error:
        return f"Redis at {redis_url} is unreachable ({error.__class__.__name__})"
    return None


def recreate_database(postgres: str, name: str, *, drop_only: bool = False) -> None:
    """Drop the benchmark's database (closing its connections) and, unless `drop_only`, create it empty."""
    import psycopg

    with psycopg.connect(f"{postgres}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        if not drop_only:
            conn.execute(f"CREATE DATABASE {name}")
