"""The documented deployment: compose file structure, and the site staying up under slow clients.

The slow-client test runs deploy/nginx.conf (rendered with test ports and a temporary prefix)
in front of gunicorn with deploy/gunicorn.conf.py (two sync workers, as the Docker image),
on SQLite, and keeps a dozen clients sending their headers one byte a second. It first shows
the same clients starving gunicorn when it faces them directly (issue 12: ten slow clients,
no request served for 100 s). It needs /usr/sbin/nginx: skipped without it, unless
REQUIRE_NGINX=1 (CI), when it fails.
"""

from __future__ import annotations

import http.client
import ipaddress
import os
import re
import signal
import socket
import ssl
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import yaml
from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent
NGINX = "/usr/sbin/nginx"
SLOW_CLIENTS = 12


def _compose() -> dict:
    return yaml.safe_load((ROOT / "docker-compose.yml").read_text())


def test_only_the_proxy_publishes_ports_and_web_only_exposes_its_own():
    services = _compose()["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    assert "ports" not in services["web"] and services["web"]["expose"] == ["8000"]
    assert "gunicorn -c deploy/gunicorn.conf.py" in services["web"]["command"]


def test_trusted_proxies_is_the_proxy_network():
    compose = _compose()
    (subnet,) = [entry["subnet"] for entry in compose["networks"]["backend"]["ipam"]["config"]]
    for name in ("web", "worker", "beat", "proxy"):
        assert compose["services"][name]["networks"] == ["backend"], name
    trusted = compose["services"]["web"]["environment"]["TRUSTED_PROXIES"]
    assert [ipaddress.ip_network(entry.strip()) for entry in trusted.split(",")] == [ipaddress.ip_network(subnet)]


def test_the_proxy_runs_the_repository_config_and_the_cap_agrees_with_settings():
    proxy = _compose()["services"]["proxy"]
    assert "./deploy/nginx.conf:/etc/nginx/nginx.conf:ro" in proxy["volumes"]
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    (size,) = re.findall(r"^\s*client_max_body_size (\d+)m;", config, re.MULTILINE)
    assert int(size) * 1024 * 1024 == settings.REQUEST_MAX_BYTES
    assert int(_compose()["services"]["web"]["environment"]["REQUEST_MAX_BYTES"]) == settings.REQUEST_MAX_BYTES
    for directive in ("proxy_buffering on;", "proxy_request_buffering on;", "client_header_timeout 10s;"):
        assert directive in config
    assert "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;" in config
    assert "proxy_set_header X-Forwarded-Proto $scheme;" in config


def test_web_and_worker_scale_to_two_replicas_behind_the_proxy_with_one_beat():
    """README "Deployment": two web replicas, two workers, one beat, one PostgreSQL, one Redis."""
    services = _compose()["services"]
    for name in ("web", "worker"):
        service = services[name]
        # A fixed container name or a host port would stop a second replica from starting.
        assert "container_name" not in service, name
        assert "ports" not in service, name
        assert service["deploy"]["replicas"] == 2, name
    for name in ("beat", "db", "redis", "proxy"):
        assert "replicas" not in services[name].get("deploy", {}) or services[name]["deploy"]["replicas"] == 1, name
    # Periodic tasks are scheduled once: one beat service with one replica, and no worker embeds one.
    beats = [name for name, service in services.items() if " beat" in str(service.get("command", ""))]
    assert beats == ["beat"]
    assert services["beat"]["deploy"]["replicas"] == 1
    assert not re.search(r"(\s-B\b|--beat\b)", services["worker"]["command"])
    # The proxy balances over the service name, which Docker's DNS answers with every replica.
    config = (ROOT / "deploy" / "nginx.conf").read_text()
    (upstream,) = re.findall(r"upstream gunicorn \{(.*?)\}", config, re.DOTALL)
    assert re.findall(r"^\s*server (\S+);", upstream, re.MULTILINE) == ["web:8000"]


def test_every_replica_shares_the_database_redis_and_uploads():
    compose = _compose()
    services = compose["services"]
    for name in ("web", "worker", "beat"):
        environment = services[name]["environment"]
        assert environment["DATABASE_URL"].endswith("@db:5432/cme"), name
        assert environment["REDIS_URL"] == "redis://redis:6379/0", name
        # Uploads: the one named volume at PRIVATE_MEDIA_ROOT, or the S3 bucket from the environment.
        assert f"private-media:{environment['PRIVATE_MEDIA_ROOT']}" in services[name]["volumes"], name
        assert environment["STORAGE_BACKEND"] == "${STORAGE_BACKEND:-local}", name
        for variable in (
            "AWS_STORAGE_BUCKET_NAME",
            "AWS_S3_ENDPOINT_URL",
            "AWS_ACCESS_KEY_ID",
            "AWS_SECRET_ACCESS_KEY",
        ):
            assert environment[variable] == f"${{{variable}:-}}", (name, variable)
    assert "private-media" in compose["volumes"]
    # One PostgreSQL and one Redis, each on its own volume.
    assert [name for name, s in services.items() if str(s.get("image", "")).startswith("postgres")] == ["db"]
    assert [name for name, s in services.items() if str(s.get("image", "")).startswith("redis")] == ["redis"]


def test_the_image_runs_the_same_gunicorn_config():
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'CMD ["gunicorn", "-c", "deploy/gunicorn.conf.py", "cme_portal.wsgi:application"]' in dockerfile
    gunicorn_config = (ROOT / "deploy" / "gunicorn.conf.py").read_text()
    assert 'worker_class = "sync"' in gunicorn_config and '"GUNICORN_WORKERS", "2"' in gunicorn_config


# --- The slow-client test -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _replace(text: str, old: str, new: str) -> str:
    assert old in text, f"deploy/nginx.conf no longer contains {old!r}; update the test's rendering"
    return text.replace(old, new)


def render_nginx_config(prefix: Path, *, http_port: int, https_port: int, gunicorn_port: int) -> str:
    """deploy/nginx.conf with test ports, a temporary prefix and the current user (nothing else changed)."""
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    text = _replace(text, "user nginx;\n", "")
    text = _replace(text, "pid /var/run/nginx.pid;", f"pid {prefix}/nginx.pid;")
    text = _replace(text, "error_log /dev/stderr warn;", f"error_log {prefix}/error.log warn;")
    text = _replace(text, "access_log /dev/stdout;", f"access_log {prefix}/access.log;")
    temp_paths = "".join(
        f"    {kind}_temp_path {prefix}/{kind};\n" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    text = _replace(text, "http {\n", "http {\n" + temp_paths)
    text = _replace(text, "server web:8000;", f"server 127.0.0.1:{gunicorn_port};")
    text = _replace(text, "listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;")
    text = _replace(text, "listen 80 default_server;", f"listen 127.0.0.1:{http_port} default_server;")
    return _replace(text, "/etc/nginx/certs/", f"{prefix}/certs/")


def _wait_until_up(port: int, process: subprocess.Popen[bytes], log: Path, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"process exited ({process.returncode}):\n{log.read_text()[-3000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    pytest.fail(f"nothing listening on {port} after {seconds}s:\n{log.read_text()[-3000:]}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGINT)  # quick shutdown for gunicorn and nginx alike
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@dataclass
class SlowClients:
    """Clients that send a request's headers one byte a second, reconnecting whenever they are cut off."""

    port: int
    count: int
    stop: threading.Event = field(default_factory=threading.Event)
    bytes_sent: int = 0
    connections: int = 0
    threads: list[threading.Thread] = field(default_factory=list)

    def _run(self) -> None:
        request = b"GET /accounts/login/ HTTP/1.1\r\nHost: localhost\r\nX-Slow: " + b"a" * 10_000
        while not self.stop.is_set():
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=5) as sock:
                    self.connections += 1
                    for byte in request:
                        if self.stop.wait(1.0):
                            return
                        sock.sendall(bytes([byte]))
                        self.bytes_sent += 1
            except OSError:
                self.stop.wait(0.2)

    def __enter__(self) -> SlowClients:
        self.threads = [threading.Thread(target=self._run, daemon=True) for _ in range(self.count)]
        for thread in self.threads:
            thread.start()
        time.sleep(1.5)  # every client connected and sending
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        for thread in self.threads:
            thread.join(timeout=5)


@dataclass
class Probe:
    latencies: list[float] = field(default_factory=list)
    statuses: list[int | str] = field(default_factory=list)

    def served(self) -> int:
        return sum(1 for status in self.statuses if status == 200)

    def summary(self) -> str:
        if not self.latencies:
            return "no request sent"
        served = self.served()
        slowest = max(self.latencies)
        median = statistics.median(self.latencies)
        return f"{served}/{len(self.statuses)} served, median {median * 1000:.0f} ms, slowest {slowest * 1000:.0f} ms"


def _get(port: int, path: str, *, tls: bool, timeout: float) -> int | str:
    if tls:
        context = ssl.create_default_context()
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, timeout=timeout, context=context
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers={"Host": "localhost"})
        response = connection.getresponse()
        response.read()
        return response.status
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        connection.close()


def _probe(targets: list[tuple[int, str, bool]], seconds: float, *, timeout: float) -> dict[str, Probe]:
    probes = {path: Probe() for _, path, _ in targets}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        for port, path, tls in targets:
            started = time.monotonic()
            probes[path].statuses.append(_get(port, path, tls=tls, timeout=timeout))
            probes[path].latencies.append(time.monotonic() - started)
        time.sleep(0.2)
    return probes


@pytest.fixture
def nginx_available() -> None:
    if not os.path.exists(NGINX):
        if os.environ.get("REQUIRE_NGINX") == "1":
            pytest.fail(f"{NGINX} not found; the slow-client test is required here (REQUIRE_NGINX=1).")
        pytest.skip(f"{NGINX} not found (apt-get install nginx-light); set REQUIRE_NGINX=1 to make this a failure")


@pytest.fixture
def deployed(tmp_path: Path, nginx_available: None) -> Iterator[dict[str, int]]:
    """gunicorn as the image runs it (deploy/gunicorn.conf.py), behind nginx with deploy/nginx.conf."""
    ports = {"gunicorn": _free_port(), "http": _free_port(), "https": _free_port()}
    env = {
        **os.environ,
        "ENVIRONMENT": "production",
        "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "tests.deploy_settings",
        "SECRET_KEY": "slow-client-test-" + "x" * 50,
        "ALLOWED_HOSTS": "localhost",
        "TRUSTED_PROXIES": "127.0.0.1",
        "DATABASE_URL": f"sqlite:///{tmp_path}/db.sqlite3",
        "PRIVATE_MEDIA_ROOT": str(tmp_path / "private"),
        "LOG_LEVEL": "WARNING",
        "GUNICORN_BIND": f"127.0.0.1:{ports['gunicorn']}",
    }
    env.pop("REDIS_URL", None)
    # No migrate: the pages probed (/healthz, the sign-in page) read no table, and it would take 7-15 s.
    certs = tmp_path / "certs"
    certs.mkdir()
    subprocess.run(
        [
            *("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost"),
            *("-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem")),
        ],
        check=True,
        capture_output=True,
    )
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / kind).mkdir()
    config = tmp_path / "nginx.conf"
    config.write_text(
        render_nginx_config(
            tmp_path, http_port=ports["http"], https_port=ports["https"], gunicorn_port=ports["gunicorn"]
        )
    )
    gunicorn_log = tmp_path / "gunicorn.log"
    nginx_log = tmp_path / "nginx.out"
    with gunicorn_log.open("wb") as glog, nginx_log.open("wb") as nlog:
        gunicorn = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py", "cme_portal.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=glog,
            stderr=subprocess.STDOUT,
        )
        nginx = subprocess.Popen(
            [NGINX, "-p", str(tmp_path), "-e", str(tmp_path / "error.log"), "-c", str(config), "-g", "daemon off;"],
            stdout=nlog,
            stderr=subprocess.STDOUT,
        )
        try:
            _wait_until_up(ports["gunicorn"], gunicorn, gunicorn_log)
            _wait_until_up(ports["https"], nginx, nginx_log)
            # The master listens before its workers have loaded Django, which a loaded machine may take
            # well over 10 s to do: wait for an answer rather than failing on the first slow one.
            deadline = time.monotonic() + 90
            while _get(ports["gunicorn"], "/healthz", tls=False, timeout=10) != 200:
                if time.monotonic() > deadline or gunicorn.poll() is not None:
                    pytest.fail(f"gunicorn never answered /healthz:\n{gunicorn_log.read_text()[-3000:]}")
                time.sleep(0.5)
            yield ports
        finally:
            _stop(nginx)
            _stop(gunicorn)


@pytest.mark.deployment
def test_slow_clients_do_not_stop_the_site_behind_the_proxy(deployed: dict[str, int]) -> None:
    direct = [(deployed["gunicorn"], "/healthz", False)]
    with SlowClients(deployed["gunicorn"], SLOW_CLIENTS):
        unprotected = _probe(direct, seconds=3, timeout=1.5)["/healthz"]
    time.sleep(1.5)  # the workers are free again once those clients are gone
    assert _get(deployed["gunicorn"], "/healthz", tls=False, timeout=10) == 200

    targets = [(deployed["http"], "/healthz", False), (deployed["https"], "/accounts/login/", True)]
    with SlowClients(deployed["http"], SLOW_CLIENTS) as attack:
        protected = _probe(targets, seconds=7, timeout=5)
        still_attacking = all(thread.is_alive() for thread in attack.threads)
    print(
        f"\n{SLOW_CLIENTS} slow clients (1 byte/s headers), 2 sync gunicorn workers:"
        f"\n  gunicorn direct, /healthz: {unprotected.summary()}"
        f"\n  through nginx,   /healthz: {protected['/healthz'].summary()}"
        f"\n  through nginx,   /accounts/login/ (TLS): {protected['/accounts/login/'].summary()}"
        f"\n  slow clients: {attack.connections} connections, {attack.bytes_sent} header bytes sent"
    )
    assert unprotected.served() == 0, "the slow clients should have taken gunicorn's workers (the finding)"
    assert still_attacking
    for path, probe in protected.items():
        assert probe.statuses and all(status == 200 for status in probe.statuses), (path, probe.statuses)
        assert max(probe.latencies) < 2.0, (path, probe.summary())


def test_health_probes_name_an_allowed_host():
    compose = _compose()
    assert compose["services"]["web"]["healthcheck"]["test"] == ["CMD", "python", "deploy/healthcheck.py", "/readyz"]
    assert 'CMD ["python", "deploy/healthcheck.py", "/healthz"]' in (ROOT / "Dockerfile").read_text()
    sys.path.insert(0, str(ROOT / "deploy"))
    try:
        from healthcheck import probe_host
    finally:
        sys.path.remove(str(ROOT / "deploy"))
    assert probe_host("cme.example.org,www.example.org") == "cme.example.org"
    assert probe_host(" .example.org") == "example.org"
    assert probe_host("*") == "localhost"
    assert probe_host("") == "localhost"


def test_the_health_probe_passes_against_production_settings_where_a_bare_probe_is_refused(tmp_path):
    """The probe's natural Host (127.0.0.1:8000) is not an allowed host in production: refused."""
    from tests.faults.servers import AppServer, app_env, wait_until

    env = app_env(
        ENVIRONMENT="production",
        SECRET_KEY="probe-test-" + "k" * 60,
        ALLOWED_HOSTS="cme.example.org",
        DATABASE_URL=f"sqlite:///{tmp_path / 'probe.sqlite3'}",
    )
    server = AppServer(env, tmp_path / "server.log")
    server.start(wait=False)
    try:
        probe = [sys.executable, str(ROOT / "deploy" / "healthcheck.py"), "/healthz"]
        probe_env = {**env, "HEALTHCHECK_PORT": str(server.port)}
        wait_until(lambda: subprocess.run(probe, env=probe_env, check=False).returncode == 0, 60, "the probe")
        # Refused (400 in the image; here the error page has no collected static files to name).
        assert server.get("/healthz")[0] not in (0, 200)
    finally:
        server.stop()
