"""What the fault proofs (test_faults.py) run for real: a Redis server of their own, Celery workers they can kill,
a slow mail folder, and a mail server that refuses before it accepts."""

import email
import email.policy
import os
import shutil
import socket
import socketserver
import subprocess
import sys
import threading
import time
from collections import Counter
from pathlib import Path

from django.core.mail.backends.filebased import EmailBackend as FileBackend

from groupsite.queues import LONE_WORKER_OPTIONS
from tests import subprocesses

ROOT = Path(__file__).resolve().parent.parent.parent
REDIS_SERVER = shutil.which("redis-server")
# Ports for a Redis of the tests' own, clear of the shared one on 6379: ten per pytest-xdist worker, so that proofs
# running at once in two workers never take (and stop, or publish to) each other's server. FAULT_REDIS_PORT_BASE
# moves the range, for two test runs at once on one machine.
_WORKER_NUMBER = int(os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw") or 0)
_PORT_BASE = int(os.environ.get("FAULT_REDIS_PORT_BASE", "6390"))
REDIS_PORTS = range(_PORT_BASE + 10 * _WORKER_NUMBER, _PORT_BASE + 10 + 10 * _WORKER_NUMBER)
MESSAGE_SEPARATOR = "\n" + "-" * 79 + "\n"


def wait_until(condition, *, timeout: float = 20, what: str = "the condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} did not happen within {timeout} s")


def _free(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) != 0


class RedisServer:
    """A redis-server process on a port of its own, without persistence; stop() and start() again at will."""

    def __init__(self, folder: Path):
        self.port = next(port for port in REDIS_PORTS if _free(port))
        self.folder = folder
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(
            [REDIS_SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_until(lambda: not _free(self.port), timeout=10, what=f"redis-server on port {self.port}")
        # The port answering is not proof enough: another process may hold it, and this redis-server have exited.
        if self.process.poll() is not None:
            raise AssertionError(f"redis-server could not listen on port {self.port}: another process holds it")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        wait_until(lambda: _free(self.port), timeout=10, what=f"redis-server on port {self.port} stopping")


class Worker:
    """A `celery worker` process (solo pool) on `queue`, with this test's database; kill() is a SIGKILL."""

    def __init__(self, queue: str, log_path: Path, **env):
        self.log_path = log_path
        self.log = log_path.open("a")
        environment = dict(os.environ, CELERY_QUEUE=queue, DATABASE_URL=subprocesses.database_url(), **env)
        self.process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "groupsite", "worker", "--pool=solo", "-Q", queue, "-l", "INFO",
             *LONE_WORKER_OPTIONS],
            cwd=ROOT,
            env=environment,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def kill(self) -> None:
        self.process.kill()
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.log.close()

    def log_text(self) -> str:
        return self.log_path.read_text()


def delivered(folder: Path) -> list[email.message.EmailMessage]:
    """The messages the file backend wrote into `folder`, each file holding one or more."""
    messages = []
    for path in sorted(folder.iterdir()):
        for text in path.read_text().split(MESSAGE_SEPARATOR):
            if text.strip():
                messages.append(email.message_from_string(text, policy=email.policy.default))
    return messages


def recipients(folder: Path) -> Counter:
    return Counter(str(message["To"]) for message in delivered(folder))


class SlowFileBackend(FileBackend):
    """The file backend of a slow mail server: each message takes half a second, so a worker can be killed mid-run."""

    def send_messages(self, email_messages):
        time.sleep(0.5)
        return super().send_messages(email_messages)


class _FlakySMTPHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str) -> None:
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 localhost flaky test server")
        while line := self.rfile.readline():
            command = line.decode("ascii", "replace").strip().upper()
            if command.startswith(("EHLO", "HELO")):
                self.reply("250 localhost")
            elif command.startswith(("MAIL", "RCPT", "RSET", "NOOP")):
                self.reply("250 OK")
            elif command == "DATA":
                self.reply("354 End data with <CR><LF>.<CR><LF>")
                data = b""
                while not data.endswith(b"\r\n.\r\n"):
                    chunk = self.rfile.readline()
                    if not chunk:
                        return
                    data += chunk
                self.reply(self.server.judge(data[:-5]))
            elif command == "QUIT":
                self.reply("221 Bye")
                return
            else:
                self.reply("502 Command not implemented")


class FlakySMTPServer(socketserver.ThreadingTCPServer):
    """A mail server that answers "451 try again later" to each message's first `refusals` attempts, then takes it."""

    daemon_threads = True

    def __init__(self, refusals: int):
        super().__init__(("127.0.0.1", 0), _FlakySMTPHandler)
        self.refusals = refusals
        self.attempts = Counter()  # subject: attempts
        self.accepted = []  # subjects, in the order taken
        self.lock = threading.Lock()
        threading.Thread(target=self.serve_forever, daemon=True).start()

    @property
    def port(self) -> int:
        return self.server_address[1]

    def judge(self, data: bytes) -> str:
        subject = str(email.message_from_bytes(data, policy=email.policy.default)["Subject"])
        with self.lock:
            self.attempts[subject] += 1
            if self.attempts[subject] <= self.refusals:
                return "451 4.3.0 Mailbox busy, try again later"
            self.accepted.append(subject)
            return "250 2.0.0 Accepted"
