"""Run the emulator: in a thread of this process (tests), in a child process (benchmarks), or
in the foreground (`tenantry emulator serve`)."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

import httpx
import uvicorn

from .app import MAX_BODY, Emulator, Quirks
from .faults import FaultSpec, parse_duration
from .limits import parse_rate
from .seeds import build


@dataclass
class Options:
    seed: str = "demo"
    host: str = "127.0.0.1"
    port: int = 0
    rate_limit: str = "300/60s"
    token_rate_limit: str = "120/60s"
    faults: str | None = None
    fault_seed: int = 0
    consistency_delay: float = 0.0
    state_file: str | None = None
    org_rate_limit: str | None = None  # an org-wide ceiling over all tokens, e.g. "600/60s"
    quirks: Quirks = field(default_factory=Quirks)
    directory_restricted: bool = False  # the org setting: directory search restricted by division
    max_body: int = MAX_BODY

    def validate(self) -> None:
        """Fail on bad options before anything listens."""
        parse_rate(self.rate_limit)
        parse_rate(self.token_rate_limit)
        if self.org_rate_limit:
            parse_rate(self.org_rate_limit)
        self.quirks.validate()
        if self.max_body < 1024:
            raise ValueError("the request body limit must be at least 1024 bytes")
        FaultSpec.parse(self.faults)
        if not 0 <= self.port <= 65535:
            raise ValueError(f"port {self.port} is not between 0 and 65535")
        if self.consistency_delay < 0:
            raise ValueError("the consistency delay cannot be negative")
        if self.state_file:
            folder = os.path.dirname(os.path.abspath(self.state_file))
            if os.path.isdir(self.state_file) or not os.path.isdir(folder):
                raise ValueError(
                    f"state file {self.state_file!r}: a folder, or in no such folder to keep it in"
                )


def make_emulator(opts: Options) -> Emulator:
    opts.validate()
    if opts.state_file and os.path.exists(opts.state_file):
        org, cid, secret = build(opts.state_file)
    else:
        org, cid, secret = build(opts.seed)
    org.consistency_delay = opts.consistency_delay
    return Emulator(
        org,
        rate_limit=opts.rate_limit,
        token_rate_limit=opts.token_rate_limit,
        org_rate_limit=opts.org_rate_limit,
        faults=opts.faults,
        fault_seed=opts.fault_seed,
        state_file=opts.state_file,
        admin=(cid, secret),
        quirks=opts.quirks,
        directory_restricted=opts.directory_restricted or None,
        max_body=opts.max_body,
    )


LOOPBACK = ("127.0.0.1", "::1", "localhost")


def warn_if_exposed(host: str) -> str | None:
    """The admin surface (/_emulator/) resets and reconfigures the org without credentials: say so
    loudly when the emulator listens beyond this machine."""
    if host in LOOPBACK or host.startswith("127."):
        return None
    text = (
        f"WARNING: the emulator listens on {host}, not on loopback: anyone who can reach it can reset "
        "the org and read its secrets through /_emulator/ (no authentication). Bind to 127.0.0.1."
    )
    logging.getLogger("genesys_emulator").warning(text)
    print(text, file=sys.stderr, flush=True)
    return text


def _quiet() -> None:
    """Injected resets make uvicorn log tracebacks; they are expected, not news."""
    for name in ("uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.CRITICAL)


def _config(app: Emulator) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level="critical",
        access_log=False,
        timeout_keep_alive=30,
        http="httptools",
        loop="uvloop" if _has_uvloop() else "asyncio",
    )


def _has_uvloop() -> bool:
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def _bind(host: str, port: int) -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except (OSError, OverflowError) as exc:  # a port in use, a host that is not ours: bad options
        sock.close()
        raise ValueError(f"cannot listen on {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from None
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


@dataclass
class RunningEmulator:
    """What a test needs: where it is and who may call it."""

    base_url: str
    client_id: str
    client_secret: str
    emulator: Emulator | None = None  # only in thread mode
    _admin: httpx.Client | None = field(default=None, repr=False)

    @property
    def admin(self) -> httpx.Client:
        """An HTTP client for the /_emulator/ surface."""
        if self._admin is None:
            self._admin = httpx.Client(base_url=self.base_url, timeout=30)
        return self._admin

    def reset(self, seed: str = "demo") -> None:
        self.admin.post("/_emulator/reset", json={"seed": seed}).raise_for_status()

    def stats(self) -> dict:
        return self.admin.get("/_emulator/stats").json()

    def summary(self) -> dict:
        return self.admin.get("/_emulator/summary").json()

    def timeline(self, subject_id: str | None = None) -> list[dict]:
        params = {"subjectId": subject_id} if subject_id else {}
        return self.admin.get("/_emulator/timeline", params=params).json()["events"]

    def set_faults(self, spec: str | None, seed: int = 0) -> None:
        if spec:
            self.admin.put("/_emulator/faults", json={"spec": spec, "seed": seed}).raise_for_status()
        else:
            self.admin.delete("/_emulator/faults").raise_for_status()

    def set_rate_limit(self, rate: str) -> None:
        self.admin.put("/_emulator/ratelimit", json={"rate": rate}).raise_for_status()

    def set_org_rate_limit(self, rate: str | None) -> None:
        """An org-wide ceiling over every token's calls; None removes it."""
        self.admin.put("/_emulator/org-ratelimit", json={"rate": rate}).raise_for_status()

    def set_quirks(self, **quirks: float | int | str) -> None:
        """staleVersion400, indexLag ("200ms" or seconds), indexLagShare, seed; a reset restores
        the values the emulator was started with."""
        self.admin.put("/_emulator/quirks", json=quirks).raise_for_status()

    def set_directory_restricted(self, restricted: bool) -> None:
        """The org setting that restricts directory search (users, divisions) by division."""
        self.admin.put("/_emulator/settings", json={"directoryRestricted": restricted}).raise_for_status()

    def token(self, client_id: str | None = None, secret: str | None = None) -> str:
        r = httpx.post(
            f"{self.base_url}/oauth/token",
            data={"grant_type": "client_credentials"},
            auth=(client_id or self.client_id, secret or self.client_secret),
            timeout=30,
        )
        r.raise_for_status()
        return r.json()["access_token"]

    def new_admin_client(self, name: str) -> tuple[str, str]:
        """Another OAuth client with the admin's rights (its roles on `*`), through the real API:
        a pool member or a worker, with its own token and rate budget. Returns (id, secret)."""
        h = {"Authorization": f"Bearer {self.token()}"}
        me = self.admin.get(f"/api/v2/oauth/clients/{self.client_id}", headers=h)
        me.raise_for_status()
        body = {
            "name": name,
            "authorizedGrantType": "CLIENT-CREDENTIALS",
            "roleDivisions": me.json()["roleDivisions"],
        }
        made = self.admin.post("/api/v2/oauth/clients", json=body, headers=h)
        made.raise_for_status()
        return made.json()["id"], made.json()["secret"]

    def close(self) -> None:
        if self._admin is not None:
            self._admin.close()


@contextlib.contextmanager
def _in_thread(opts: Options) -> Iterator[RunningEmulator]:
    app = make_emulator(opts)
    _quiet()
    warn_if_exposed(opts.host)
    sock = _bind(opts.host, opts.port)
    server = uvicorn.Server(_config(app))
    server.install_signal_handlers = lambda: None  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the emulator did not start")
        time.sleep(0.01)
    host, port = sock.getsockname()[:2]
    handle = RunningEmulator(f"http://{host}:{port}", app.admin_client_id, app.admin_secret, app)
    try:
        yield handle
    finally:
        handle.close()
        server.should_exit = True
        thread.join(10)
        sock.close()


@contextlib.contextmanager
def _in_process(opts: Options) -> Iterator[RunningEmulator]:
    args = [
        sys.executable,
        "-m",
        "genesys_emulator",
        "--announce-json",
        "--seed",
        opts.seed,
        "--host",
        opts.host,
        "--port",
        str(opts.port),
        "--rate-limit",
        opts.rate_limit,
        "--token-rate-limit",
        opts.token_rate_limit,
        "--fault-seed",
        str(opts.fault_seed),
        "--consistency-delay",
        f"{opts.consistency_delay}s",
    ]
    if opts.faults:
        args += ["--faults", opts.faults]
    if opts.state_file:
        args += ["--state", opts.state_file]
    if opts.org_rate_limit:
        args += ["--org-rate-limit", opts.org_rate_limit]
    if opts.directory_restricted:
        args += ["--restricted-directory"]
    q = opts.quirks
    args += [
        "--stale-version-400", str(q.stale_version_400),
        "--index-lag", f"{q.index_lag}s",
        "--index-lag-share", str(q.index_lag_share),
        "--quirk-seed", str(q.seed),
        "--max-body", str(opts.max_body),
    ]  # fmt: skip
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline() if proc.stdout else ""
        if not line:
            raise RuntimeError(f"the emulator process exited with {proc.wait()}")
        info = json.loads(line)
        handle = RunningEmulator(info["base_url"], info["client_id"], info["client_secret"])
        try:
            yield handle
        finally:
            handle.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextlib.contextmanager
def running_emulator(
    seed: str = "demo",
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    rate_limit: str = "300/60s",
    token_rate_limit: str = "120/60s",
    faults: str | None = None,
    fault_seed: int = 0,
    consistency_delay: float | str = 0.0,
    state_file: str | None = None,
    process: bool = False,
    org_rate_limit: str | None = None,
    quirks: Quirks | None = None,
    directory_restricted: bool = False,
    max_body: int = MAX_BODY,
    stale_version_400: float = 0.0,
    index_lag: float | str = 0.0,
    quirk_seed: int = 0,
) -> Iterator[RunningEmulator]:
    """Start an emulator on a free port; yield its base URL and admin credentials; stop it.
    `stale_version_400`, `index_lag` (seconds or "300ms") and `quirk_seed` are shorthands for
    `quirks=Quirks(...)`."""
    delay = parse_duration(consistency_delay) if isinstance(consistency_delay, str) else consistency_delay
    if quirks is None:
        lag = parse_duration(index_lag) if isinstance(index_lag, str) else index_lag
        quirks = Quirks(stale_version_400=stale_version_400, index_lag=lag, seed=quirk_seed)
    opts = Options(
        seed, host, port, rate_limit, token_rate_limit, faults, fault_seed, delay, state_file,
        org_rate_limit, quirks or Quirks(), directory_restricted, max_body,
    )  # fmt: skip
    runner = _in_process if process else _in_thread
    with runner(opts) as handle:
        yield handle


def serve(opts: Options, *, announce_json: bool = False, echo=print) -> None:
    """Foreground server: prints where it listens and the admin credentials, then serves."""
    app = make_emulator(opts)
    _quiet()
    sock = _bind(opts.host, opts.port)
    warn_if_exposed(opts.host)
    host, port = sock.getsockname()[:2]
    base = f"http://{host}:{port}"
    if announce_json:
        sys.stdout.write(
            json.dumps(
                {"base_url": base, "client_id": app.admin_client_id, "client_secret": app.admin_secret}
            )
            + "\n"
        )
        sys.stdout.flush()
    else:
        echo(f"Genesys Cloud emulator listening on {base}")
        echo(f"  GENESYSCLOUD_API_REGION={base}")
        echo(f"  GENESYSCLOUD_OAUTHCLIENT_ID={app.admin_client_id}")
        echo(f"  GENESYSCLOUD_OAUTHCLIENT_SECRET={app.admin_secret}")
        echo(
            f"  seed={opts.seed} rate-limit={opts.rate_limit} faults={opts.faults or 'off'}"
            + (f" org-rate-limit={opts.org_rate_limit}" if opts.org_rate_limit else "")
            + (f" state={opts.state_file}" if opts.state_file else "")
        )
    uvicorn.Server(_config(app)).run(sockets=[sock])
