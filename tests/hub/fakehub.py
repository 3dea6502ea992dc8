"""A loopback stand-in for the Hugging Face hub, so download tests never touch the internet.

It answers ``/<repo>/resolve/<revision>/<path>`` like the hub does for what our download code
uses: HEAD with ``X-Repo-Commit``, ``ETag`` (git blob sha1) and, for LFS files,
``X-Linked-Etag`` (sha256) and ``X-Linked-Size``; GET with Range support. Faults are injected
per file: drop the connection after N bytes on the first GET, or serve bytes that do not
match the advertised digest.
"""

from __future__ import annotations

import hashlib
import json
import re
import socket
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote

from voicestudio.hub.catalogue import SPECS

COMMIT = "0123456789abcdef0123456789abcdef01234567"


@dataclass
class HostedFile:
    data: bytes  # what GET serves
    lfs: bool = True
    advertised: bytes | None = None  # what HEAD describes, when it should differ from data
    drop_after: int | None = None  # first GET stops after this many bytes
    gets: int = 0

    @property
    def described(self) -> bytes:
        return self.data if self.advertised is None else self.advertised


@dataclass
class FakeHub:
    url: str = ""
    files: dict[tuple[str, str], HostedFile] = field(default_factory=dict)
    log: list[tuple[str, str, str | None]] = field(default_factory=list)  # method, path, Range
    # Like huggingface.co: LFS files answer 302 to a storage host (another origin) that
    # serves the bytes; the hub's redirect carries the X-Linked-* metadata.
    cdn_url: str | None = None

    def add_plain(self, path: str, data: bytes, **kwargs) -> HostedFile:
        """Serve ``data`` at ``/<path>`` like a plain file server (PyPI's files host)."""
        return self.add("", path, data, lfs=False, **kwargs)

    def add(self, repo: str, path: str, data: bytes, **kwargs) -> HostedFile:
        hosted = HostedFile(data, **kwargs)
        self.files[(repo, path)] = hosted
        return hosted

    def ranges(self, path_suffix: str) -> list[str | None]:
        return [r for m, p, r in self.log if m == "GET" and p.endswith(path_suffix)]


def git_blob_sha1(data: bytes) -> str:
    return hashlib.sha1(b"blob %d\0" % len(data) + data).hexdigest()


def _handler(hub: FakeHub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args) -> None:  # keep test output clean
            pass

        def _lookup(self) -> HostedFile | None:
            m = re.match(r"^/([^/]+/[^/]+)/resolve/([^/]+)/(.+)$", self.path)
            if m:
                return hub.files.get((m.group(1), unquote(m.group(3))))
            m = re.match(r"^/cdn/([^/]+/[^/]+)/(.+)\?signature=\w+$", self.path)
            if m:
                return hub.files.get((m.group(1), unquote(m.group(2))))
            return hub.files.get(("", unquote(self.path.lstrip("/"))))

        def _redirected(self, f: HostedFile) -> bool:
            if not (hub.cdn_url and f.lfs and "/resolve/" in self.path):
                return False
            repo, path = next(k for k, v in hub.files.items() if v is f)
            self.send_response(302)
            self.send_header("Location", f"{hub.cdn_url}/cdn/{repo}/{path}?signature=abc")
            self._meta_headers(f)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return True

        def _meta_headers(self, f: HostedFile) -> None:
            described = f.described
            self.send_header("X-Repo-Commit", COMMIT)
            self.send_header("Accept-Ranges", "bytes")
            if f.lfs:
                self.send_header("ETag", f'"{git_blob_sha1(b"pointer")}"')
                self.send_header("X-Linked-Etag", f'"{hashlib.sha256(described).hexdigest()}"')
                self.send_header("X-Linked-Size", str(len(described)))
            else:
                self.send_header("ETag", f'"{git_blob_sha1(described)}"')

        def do_HEAD(self) -> None:
            hub.log.append(("HEAD", self.path, None))
            f = self._lookup()
            if f is None:
                self.send_response(404)
                self.send_header("X-Error-Code", "EntryNotFound")
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self._redirected(f):
                return
            self.send_response(200)
            self._meta_headers(f)
            self.send_header("Content-Length", str(len(f.described)))
            self.end_headers()

        def do_GET(self) -> None:
            rng = self.headers.get("Range")
            hub.log.append(("GET", self.path, rng))
            f = self._lookup()
            if f is None:
                self.send_response(404)
                self.send_header("Content-Length", "0")
                self.end_headers()
                return
            if self._redirected(f):
                return
            f.gets += 1
            start = 0
            if rng:
                start = int(re.match(r"bytes=(\d+)-$", rng).group(1))
                if start >= len(f.data):
                    self.send_response(416)
                    self.send_header("Content-Range", f"bytes */{len(f.data)}")
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                    return
                self.send_response(206)
                self.send_header("Content-Range", f"bytes {start}-{len(f.data) - 1}/{len(f.data)}")
            else:
                self.send_response(200)
            self._meta_headers(f)
            body = f.data[start:]
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if f.drop_after is not None and f.gets == 1:
                self.wfile.write(body[: f.drop_after])
                self.wfile.flush()
                self.connection.shutdown(socket.SHUT_RDWR)
                self.close_connection = True
                return
            self.wfile.write(body)

    return Handler


@contextmanager
def serving() -> Iterator[FakeHub]:
    """A running loopback hub on a free port, stopped when the block ends."""
    hub = FakeHub()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(hub))
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    hub.url = f"http://127.0.0.1:{server.server_address[1]}"
    try:
        yield hub
    finally:
        server.shutdown()
        server.server_close()


def random_bytes(n: int, seed: int = 0) -> bytes:
    """Deterministic incompressible bytes (so sizes mean what they say)."""
    out = bytearray()
    block = hashlib.sha256(str(seed).encode()).digest()
    while len(out) < n:
        block = hashlib.sha256(block).digest()
        out += block
    return bytes(out[:n])


def tree_files(folder: Path) -> dict[str, int]:
    """Relative path -> size of every file under ``folder`` (to assert what is on disk).

    The empty install lock files under ``.locks`` are left out: they stay by design.
    """
    return {
        str(p.relative_to(folder)): p.stat().st_size
        for p in sorted(folder.rglob("*"))
        if p.is_file() and ".locks" not in p.relative_to(folder).parts
    } if folder.exists() else {}


# ---------------------------------------------------------------------------------------------
# Model files as the hub, a GPT-SoVITS checkout and a faster-whisper folder hold them

PRETRAINED = "GPT_SoVITS/pretrained_models"


def host(hub: FakeHub, spec_id: str, size: int = 200_000, seed: int = 1) -> dict[str, bytes]:
    """Serve every file of a registry model; weights are LFS, JSON files live in git."""
    spec = SPECS[spec_id]
    served = {}
    for i, f in enumerate(spec.files):
        if f.name.endswith(".json"):
            data = json.dumps({"model": spec_id, "i": i}).encode()
            hub.add(spec.repo_id, f.repo_path, data, lfs=False)
        else:
            data = random_bytes(size, seed + i)
            hub.add(spec.repo_id, f.repo_path, data)
        served[f.name] = data
    return served

def torch_like(path: Path, seed: int) -> bytes:
    """A zip laid out like torch.save output (enough for the importer's shallow check)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("archive/data.pkl", b"\x80\x02}q\x00.")
        archive.writestr("archive/data/0", random_bytes(40_000, seed))
    return path.read_bytes()

def fake_gptsovits(root: Path, skip: tuple[str, ...] = ()) -> dict[str, bytes]:
    """A GPT-SoVITS checkout with every v2 base-model file; returns repo path -> bytes."""
    written = {}
    for spec_id in ("s1-v2", "s2g-v2", "s2d-v2", "hubert", "bert"):
        for i, f in enumerate(SPECS[spec_id].files):
            if f.repo_path in skip:
                continue
            path = root / PRETRAINED / f.repo_path
            path.parent.mkdir(parents=True, exist_ok=True)
            if f.name.endswith(".json"):
                path.write_text(json.dumps({"file": f.repo_path}))
                written[f.repo_path] = path.read_bytes()
            else:
                written[f.repo_path] = torch_like(path, i)
    return written

def fake_whisper(folder: Path, vocabulary: str = "vocabulary.txt") -> Path:
    folder.mkdir(parents=True)
    header = b"\x06\x00\x00\x00\x0c\x00WhisperSpec\x00"
    (folder / "model.bin").write_bytes(header + random_bytes(30_000, 7))
    (folder / "config.json").write_text(json.dumps({"lang_ids": [1, 2]}))
    (folder / "tokenizer.json").write_text(json.dumps({"model": {"type": "BPE"}}))
    (folder / vocabulary).write_text('["a", "b"]' if vocabulary.endswith(".json") else "a\nb\n")
    (folder / "README.md").write_text("not copied")
    return folder
