"""AUDITOR_HTTP_DEADLINE over TLS: a registry that drips its answer, or its very TLS
handshake, one byte at a time (each byte well within the read timeout) is cut at the
deadline, and the component is `unreachable` with the reason.

The hostile registry of `test_http_limits` is served over TLS with a certificate made here
for 127.0.0.1, which the child process trusts through REQUESTS_CA_BUNDLE; a relay in front
of it drips everything the server sends (the ServerHello and certificate included), so the
handshake itself is slow, as a tarpit's would be.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import json
import socket
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from hypothesis import given
from hypothesis import strategies as st

from tests.bounded import assert_bounded, examples, run_bounded
from tests.bounds.test_http_limits import MiB, _Hostile


def _certificate(folder: Path) -> tuple[Path, Path]:
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False,
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


class _TLSServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__(("127.0.0.1", 0), _Hostile)
        self.context = context

    def finish_request(self, request: socket.socket, client_address: object) -> None:
        # The handshake on the handler's thread, so a slow client holds only itself up.
        try:
            wrapped = self.context.wrap_socket(request, server_side=True)
        except (ssl.SSLError, OSError):
            return
        with wrapped:
            super().finish_request(wrapped, client_address)  # type: ignore[arg-type]

    def handle_error(self, request: object, client_address: object) -> None:
        pass  # a client cut at its deadline mid-answer: the point of the test


def _relay_dripping(upstream_port: int, pace: float) -> tuple[int, threading.Event]:
    """A TCP relay to the TLS server that passes the client's bytes at once and the
    server's one byte every `pace` seconds."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def pump(src: socket.socket, dst: socket.socket, drip: bool) -> None:
        try:
            while not stop.is_set():
                data = src.recv(1 if drip else 65536)
                if not data:
                    break
                dst.sendall(data)
                if drip:
                    time.sleep(pace)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)
                s.close()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                client, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                break
            server = socket.create_connection(("127.0.0.1", upstream_port))
            threading.Thread(target=pump, args=(client, server, False), daemon=True).start()
            threading.Thread(target=pump, args=(server, client, True), daemon=True).start()
        listener.close()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1], stop


@pytest.fixture(scope="module")
def tls(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, Path]]:
    cert, key = _certificate(tmp_path_factory.mktemp("tls"))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    server = _TLSServer(context)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server.server_address[1], cert
    server.shutdown()
    server.server_close()


def _fetch(url: str, cert: Path, deadline: float) -> tuple[str, float]:
    # Both timeouts far past the deadline: CPython bounds a whole TLS handshake by the
    # socket's (connect) timeout, so only a long one shows the deadline doing the cutting.
    config = {"url": url, "max_bytes": 64 * MiB, "deadline": deadline, "read_timeout": 20,
              "connect_timeout": 20}  # fmt: skip
    outcome = run_bounded(
        "tests.bounds.targets:fetch",
        json.dumps(config).encode(),
        cpu_seconds=30,
        wall_seconds=deadline + 30,
        address_space_mb=1024,
        env={"REQUESTS_CA_BUNDLE": str(cert)},
    )
    assert_bounded(outcome, max_rss_mb=256)
    assert outcome.result is not None, outcome.describe()
    return outcome.result, outcome.seconds


def test_an_answer_over_tls_within_the_limits_is_read(tls: tuple[int, Path]) -> None:
    """The certificate is trusted: the deadline cases below fail for the deadline only."""
    port, cert = tls
    result, _ = _fetch(f"https://127.0.0.1:{port}/drip/10/0", cert, 60)
    assert result == "200: 22 bytes", result


@examples(2)
@given(pace=st.integers(100, 600))
def test_a_dripped_body_over_tls_ends_at_the_deadline(tls: tuple[int, Path], pace: int) -> None:
    port, cert = tls
    deadline = 3.0
    result, seconds = _fetch(f"https://127.0.0.1:{port}/drip/4000/{pace}", cert, deadline)
    assert result.startswith("unreachable:") and "AUDITOR_HTTP_DEADLINE" in result, result
    assert seconds < deadline + 5, seconds  # interpreter start included


@examples(2)
@given(pace=st.integers(100, 600))
def test_a_dripped_tls_handshake_ends_at_the_deadline(tls: tuple[int, Path], pace: int) -> None:
    """The server's handshake messages (a KB or more) one byte per `pace` ms would take
    minutes; the watchdog holds the socket from the moment it is connected."""
    port, cert = tls
    relay, stop = _relay_dripping(port, pace / 1000)
    try:
        deadline = 3.0
        result, seconds = _fetch(f"https://127.0.0.1:{relay}/drip/10/0", cert, deadline)
    finally:
        stop.set()
    assert result.startswith("unreachable:") and "AUDITOR_HTTP_DEADLINE" in result, result
    assert seconds < deadline + 5, seconds
