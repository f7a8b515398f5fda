#!/usr/bin/env python3
"""Set up and run Roundtable, or run its tests, on a machine that has only Python.

    python3 groupsite/dev.py up     # install, migrate, load the demo, run web + Celery worker + beat
    python3 groupsite/dev.py test   # install, then run every test (see README for what CI adds)

Standard library only: it creates .venv and installs requirements.txt before anything imports Django.
"""

import argparse
import hashlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
REQUIREMENTS = ROOT / "requirements.txt"
STAMP = VENV / ".requirements.sha256"
CHROMIUM = Path("/usr/bin/chromium")

CI_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
CI_REDIS_CACHE_URL = "redis://127.0.0.1:6379/14"
CI_REDIS_BROKER_URL = "redis://127.0.0.1:6379/15"


def say(message: str) -> None:
    print(f"\033[1m[roundtable]\033[0m {message}", flush=True)


def in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() == "true"


def run(*args, env=None, check=True) -> int:
    result = subprocess.run([str(a) for a in args], cwd=ROOT, env=env)
    if check and result.returncode != 0:
        raise SystemExit(result.returncode)
    return result.returncode


def ensure_virtualenv() -> None:
    """Create .venv and install the pinned requirements, again only when requirements.txt changes."""
    if not PYTHON.exists():
        say("Creating the virtual environment in .venv")
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text().strip() == wanted:
        return
    say("Installing requirements.txt")
    run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "--upgrade", "pip")
    run(PYTHON, "-m", "pip", "install", "--disable-pip-version-check", "-q", "-r", REQUIREMENTS)
    STAMP.write_text(wanted)


def apt_install(packages: list[str], why: str) -> None:
    """Install Debian packages when this is a Debian machine and we are root (as in CI); otherwise do nothing."""
    apt = shutil.which("apt-get")
    if not apt or os.geteuid() != 0:
        return
    say(f"Installing Debian's {' '.join(packages)} {why}")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run([apt, "update", "-qq"], env=env, stdout=subprocess.DEVNULL)
    subprocess.run([apt, "install", "-y", "-qq", *packages], env=env, stdout=subprocess.DEVNULL)


# Without them Chinese and the reaction emoji are empty boxes in the browser tests' screenshots.
BROWSER_FONTS = {
    "fonts-noto-cjk": Path("/usr/share/fonts/opentype/noto"),
    "fonts-noto-color-emoji": Path("/usr/share/fonts/truetype/noto/NotoColorEmoji.ttf"),
}


def ensure_chromium() -> bool:
    """Install Debian's chromium (and fonts for Chinese and emoji) for the browser tests when possible; Playwright's
    own browser download never works here."""
    missing = [package for package, path in BROWSER_FONTS.items() if not path.exists()]
    if not CHROMIUM.exists():
        missing.insert(0, "chromium")
    if missing:
        apt_install(missing, "for the browser tests")
    if not CHROMIUM.exists():
        say("chromium is not installed: the browser tests will be SKIPPED (install Debian's chromium package)")
        return False
    return True


# What `manage.py makemessages` and the translation tests (tests/test_translations.py) run: Debian's gettext package.
GETTEXT_TOOLS = ("xgettext", "msgmerge", "msguniq", "msgfmt")


def ensure_gettext() -> bool:
    """Install Debian's gettext for the translation tests when possible, as ensure_chromium does for the browser."""
    if all(shutil.which(tool) for tool in GETTEXT_TOOLS):
        return True
    apt_install(["gettext"], "for the translation tests")
    if not all(shutil.which(tool) for tool in GETTEXT_TOOLS):
        say("gettext is not installed: the translation tests will be SKIPPED (install Debian's gettext package)")
        return False
    return True


def reachable(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=2):
            return True
    except OSError:
        return False


def prepare_local_state(env: dict) -> Path:
    """Create var/ (or ROUNDTABLE_VAR_DIR): beat keeps its schedule file there whatever the database is."""
    var_dir = Path(env.get("ROUNDTABLE_VAR_DIR") or ROOT / "var")
    var_dir.mkdir(parents=True, exist_ok=True)
    return var_dir


def manage(*args, env=None, check=True) -> int:
    return run(PYTHON, ROOT / "manage.py", *args, env=env, check=check)


# Django's own list when DEBUG is on and ALLOWED_HOSTS is not set (groupsite/settings.py).
DEFAULT_DEBUG_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]


def site_url(host: str, port) -> str:
    """The address people (and links in emails) reach the development server at."""
    if host in {"", "0.0.0.0", "::"}:  # every interface: this machine's own name still reaches it
        host = "localhost"
    elif ":" in host and not host.startswith("["):
        host = f"[{host}]"  # an IPv6 address
    return f"http://{host}:{port}"


def serve_environment(base: dict, host: str, port) -> dict:
    """The environment of the web server, worker and beat: links in emails point at this host and port.

    SITE_URL (and so every invitation, notification and digest link and List-Unsubscribe) follows --host and
    --port unless SITE_URL is set; a host given by name is allowed too, unless ALLOWED_HOSTS is set.
    """
    env = dict(base)
    env.setdefault("SITE_URL", site_url(host, port))
    bracketed = f"[{host}]" if ":" in host and not host.startswith("[") else host
    if "ALLOWED_HOSTS" not in env and host not in {"", "0.0.0.0", "::"} and bracketed not in DEFAULT_DEBUG_HOSTS:
        env["ALLOWED_HOSTS"] = ",".join([*DEFAULT_DEBUG_HOSTS, host])
    return env


def web_command(host: str, port) -> list:
    address = f"[{host}]:{port}" if ":" in host and not host.startswith("[") else f"{host}:{port}"
    return [PYTHON, ROOT / "manage.py", "runserver", address]


def command_up(args) -> None:
    ensure_virtualenv()
    env = serve_environment(os.environ, args.host, args.port)
    prepare_local_state(env)
    manage("migrate", "--noinput", env=env)
    manage("load_demo", env=env)
    processes = {
        # One worker on all three queues (groupsite/queues.py); production runs one per queue.
        "worker": [BIN / "celery", "-A", "groupsite", "worker", "-Q", "default,email,digest", "--loglevel=INFO",
                   "--concurrency=2"],
        "beat": [BIN / "celery", "-A", "groupsite", "beat", "--loglevel=INFO"],
        "web": web_command(args.host, args.port),
    }
    say(f"Starting the web server on {site_url(args.host, args.port)}/ with a Celery worker and beat.")
    say("Emails (sign-up verification links too) are printed below by the worker. Stop with Ctrl-C.")
    children = {name: subprocess.Popen([str(a) for a in cmd], cwd=ROOT, env=env) for name, cmd in processes.items()}

    def stop(*_):
        for child in children.values():
            if child.poll() is None:
                child.terminate()
        for child in children.values():
            try:
                child.wait(timeout=10)
            except subprocess.TimeoutExpired:
                child.kill()

    signal.signal(signal.SIGTERM, lambda *_: (stop(), sys.exit(0)))
    try:
        while True:
            for name, child in children.items():
                if child.poll() is not None:
                    say(f"The {name} process stopped (exit code {child.returncode}); stopping the others.")
                    stop()
                    raise SystemExit(child.returncode or 1)
            time.sleep(1)
    except KeyboardInterrupt:
        stop()


# Spread over every core (pytest-xdist). Arguments given to the test command come after these, so they can override
# them. With pytest 9, xdist 3.8's loadgroup no longer keeps a marked group on one worker, so nothing relies on
# that (the fault proofs take redis-server ports from their own worker's range). Its scheduler is what the suite has
# run green with; under the default `load` one, two runs here ended warning that a test database was still in use
# when it was dropped. With no xdist_group marks, loadgroup makes each test a unit of its own and hands them out two
# at a time as workers free up, so the longest tests, sorted first (tests/conftest.py), spread over the workers;
# `load` would send each worker a quarter of the collection at once, and so every slow test to the first worker.
PARALLEL = ["-n", "auto", "--dist", "loadgroup"]
# Proofs about pages and rendering, not the database, run in one pass: the PostgreSQL one when it runs.
NOT_ONE_PASS = ["-m", "not one_pass"]


def pytest_pass(label: str, env: dict, pytest_args: list[str], *, may_select_nothing: bool = False) -> None:
    """One pytest run; `may_select_nothing` for a pass whose selection can leave no test (pytest's exit code 5)."""
    say(f"Test pass: {label}")
    code = run(PYTHON, "-m", "pytest", *PARALLEL, *pytest_args, env=env, check=False)
    if code != 0 and not (code == 5 and may_select_nothing):
        raise SystemExit(code)


def command_test(args) -> None:
    ensure_virtualenv()
    ensure_chromium()
    ensure_gettext()
    # PYTHONDONTWRITEBYTECODE is dropped: the suite starts some forty Python processes (pytest's workers, Celery
    # workers, gunicorn, the benchmarks' smoke runs), and without a bytecode cache each compiled the project and
    # pytest rewrote every test module again, about half a second to three seconds of CPU a process.
    dropped = {"DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "PYTHONDONTWRITEBYTECODE"}
    base_env = {k: v for k, v in os.environ.items() if k not in dropped}
    base_env["DEBUG"] = "true"

    say("Checking that every model change has its migration")
    manage("makemigrations", "--check", "--dry-run", env=base_env)

    services_up = reachable("127.0.0.1", 5432) and reachable("127.0.0.1", 6379)
    if not services_up and in_ci():
        say("CI=true but PostgreSQL (127.0.0.1:5432) or Redis (127.0.0.1:6379) is unreachable.")
        raise SystemExit(2)
    if services_up:
        pytest_pass(
            "SQLite, filesystem broker (proofs about pages run in the next pass)",
            base_env,
            [*NOT_ONE_PASS, *args.pytest_args],
            may_select_nothing=True,
        )
    else:
        pytest_pass("SQLite, filesystem broker", base_env, args.pytest_args)
        say("PostgreSQL and Redis are not running here: skipped the PostgreSQL + Redis pass (CI runs it).")
        return
    service_env = dict(
        base_env,
        DATABASE_URL=os.environ.get("TEST_DATABASE_URL", CI_DATABASE_URL),
        REDIS_URL=os.environ.get("TEST_REDIS_URL", CI_REDIS_CACHE_URL),
        CELERY_BROKER_URL=os.environ.get("TEST_BROKER_URL", CI_REDIS_BROKER_URL),
        ROUNDTABLE_REQUIRE_SERVICES="true",
    )
    pytest_pass("PostgreSQL, Redis broker and cache", service_env, args.pytest_args)


# Files that hold no interface text: tests, benchmarks and the virtual environment.
MESSAGE_IGNORES = [".venv", "tests", "bench", "staticfiles", "var", "test-artifacts", "node_modules"]


MESSAGE_LOCALE = "zh_Hans"
MESSAGE_DOMAINS = ("django", "djangojs")


def makemessages_arguments(domain: str) -> list[str]:
    """`manage.py makemessages` as the messages command runs it; tests/test_translations.py runs the same."""
    ignores = [f"--ignore={name}" for name in MESSAGE_IGNORES]
    return ["makemessages", f"--locale={MESSAGE_LOCALE}", f"--domain={domain}", "--no-obsolete",
            "--add-location=file", *ignores]


def command_messages(args) -> None:
    """Gather every translatable string into groupsite/locale, then compile the catalogues the site reads."""
    ensure_virtualenv()
    env = dict(os.environ, DEBUG="true")
    for domain in MESSAGE_DOMAINS:
        manage(*makemessages_arguments(domain), env=env)
    ignores = [f"--ignore={name}" for name in MESSAGE_IGNORES]
    manage("compilemessages", f"--locale={MESSAGE_LOCALE}", *ignores, env=env)


def parse_arguments(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="set up and run the site with its Celery worker and beat")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", default="8000")
    up.set_defaults(func=command_up)
    test = sub.add_parser("test", help="run the whole test suite")
    test.set_defaults(func=command_test)
    messages = sub.add_parser("messages", help="update groupsite/locale from the code and compile it (needs gettext)")
    messages.set_defaults(func=command_messages)
    # Whatever the test command does not know goes to pytest as it is: `dev.py test -k invitation -x`.
    args, rest = parser.parse_known_args(argv)
    if rest and args.command != "test":
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    args.pytest_args = rest
    return args


def main() -> None:
    args = parse_arguments()
    args.func(args)


if __name__ == "__main__":
    main()
