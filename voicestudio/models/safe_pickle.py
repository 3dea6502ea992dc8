"""Open and write PyTorch pickles (GPT-SoVITS `.pth` / `.ckpt`) without running their code.

Voice models are shared between people, and a pickle can name any Python function to call
while it loads. Reading therefore goes through `torch.load(weights_only=True)`, whose
unpickler only builds tensors, storages, containers and primitives, plus one class we
allow-list: `HParams`, a plain stand-in for GPT-SoVITS's `utils.HParams` that S2 files
pickle their hyper-parameters as. Anything else in the file is refused before it runs.

Writing has the opposite need: upstream must be able to read our files, so the stand-in is
pickled under upstream's global name `utils.HParams` (a custom pickler writes that name; we
never put a module called `utils` into `sys.modules`).
"""

from __future__ import annotations

import io
import pickle
import pickletools
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import torch

from voicestudio.errors import CorruptFileError, NotFoundError

UPSTREAM_HPARAMS_GLOBAL = "utils.HParams"
ZIP_MAGIC = b"PK"


class UnsafeModelFileError(CorruptFileError):
    """The file asks to run code while loading; it is refused, not opened."""


class HParams:
    """Attribute- and item-access bag of settings, shaped like upstream `utils.HParams`.

    Only `__dict__` holds data, so pickling it gives exactly upstream's NEWOBJ + BUILD form.
    """

    def __init__(self, **kwargs: Any) -> None:
        for key, value in kwargs.items():
            self[key] = HParams(**value) if isinstance(value, dict) else value

    @classmethod
    def from_mapping(cls, tree: Mapping[str, Any]) -> HParams:
        return cls(**plain_tree(tree))

    def to_dict(self) -> dict[str, Any]:
        return plain_tree(self)

    def keys(self) -> Iterable[str]:
        return self.__dict__.keys()

    def items(self) -> Iterable[tuple[str, Any]]:
        return self.__dict__.items()

    def values(self) -> Iterable[Any]:
        return self.__dict__.values()

    def __len__(self) -> int:
        return len(self.__dict__)

    def __getitem__(self, key: str) -> Any:
        return getattr(self, key)

    def __setitem__(self, key: str, value: Any) -> None:
        setattr(self, key, value)

    def __contains__(self, key: object) -> bool:
        return key in self.__dict__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, HParams) and self.to_dict() == other.to_dict()

    def __repr__(self) -> str:
        return f"HParams({self.__dict__!r})"


def plain_tree(value: Any) -> Any:
    """A dict/HParams tree as fresh plain dicts and lists (tuples become lists, as in JSON)."""
    if hasattr(value, "items"):
        return {str(k): plain_tree(v) for k, v in value.items()}
    if isinstance(value, tuple | list):
        return [plain_tree(v) for v in value]
    return value


def restore_zip_magic(data: bytes) -> bytes:
    """Undo a 2-byte version tag (b"05" ...) that upstream writes over a zip's "PK".

    The rest of the zip signature (PK\x03\x04) is still there, which is how a tag is told
    apart from a file that is not a zip at all.
    """
    if data[:2] != ZIP_MAGIC and data[2:4] == b"\x03\x04":
        return ZIP_MAGIC + data[2:]
    return data


def read_model_bytes(path: str | Path, limit: int | None = None) -> bytes:
    """A model file's bytes (only the first `limit`, if given), with errors a person can act on."""
    path = Path(path)
    try:
        with open(path, "rb") as f:
            return f.read(-1 if limit is None else limit)
    except FileNotFoundError as exc:
        raise NotFoundError(f"Model file not found: {path}") from exc
    except OSError as exc:
        raise CorruptFileError(f"Could not read '{path.name}': {exc.strerror or exc}.") from exc


def safe_load(
    source: str | Path | bytes,
    map_location: str | torch.device = "cpu",
    extra_globals: Iterable[Callable[..., Any] | tuple[Callable[..., Any], str]] = (),
) -> Any:
    """Unpickle a torch checkpoint, allowing only tensors, containers and `utils.HParams`.

    `extra_globals` widens the allow-list for a caller that knows another harmless class
    (same form as torch.serialization.safe_globals).

    Raises UnsafeModelFileError for a file that would run code, CorruptFileError for one
    that is not a readable checkpoint, NotFoundError for a missing path.
    """
    if isinstance(source, bytes | bytearray):
        name, data = "the model data", bytes(source)
    else:
        name, data = f"'{Path(source).name}'", read_model_bytes(source)
    data = restore_zip_magic(data)
    allowed = [(HParams, UPSTREAM_HPARAMS_GLOBAL), *extra_globals]
    try:
        with torch.serialization.safe_globals(allowed):
            return torch.load(io.BytesIO(data), map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as exc:
        if refused_globals(data, allowed):
            raise UnsafeModelFileError(
                f"{name} contains instructions that could run code when opened, not just "
                "model weights, so VoiceStudio refused to open it. Only use model files from "
                "people you trust, and ask for a plain GPT-SoVITS weights export."
            ) from exc
        raise CorruptFileError(
            f"{name} is damaged or is not a model file. Download or export it again."
        ) from exc
    except Exception as exc:  # a damaged file can fail anywhere inside torch's reader
        raise CorruptFileError(
            f"{name} is damaged or is not a PyTorch model file. Download or export it again."
        ) from exc


_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*")
_STRING_OPS = {"SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "UNICODE", "SHORT_BINSTRING",
               "BINSTRING", "STRING"}


def refused_globals(data: bytes, allowed: Iterable[Any] = ()) -> list[str]:
    """The well-formed globals the checkpoint's pickle names that the loader would refuse.

    This is what "could run code" means: the weights-only loader stopped at a global that
    is not a tensor, container or allowed class. It is decided from the pickle's own opcodes,
    never from the words of an exception, so a merely damaged file (whose bytes may spell
    anything) is reported as damaged. Damage that breaks the opcode stream ends the scan.
    """
    permitted = set(_allowed_global_names(allowed))
    refused = []
    for stream in _pickle_streams(data):
        try:
            for name in _globals_in(stream):
                module, _, attr = name.rpartition(".")
                if name not in permitted and _NAME.fullmatch(module) and _NAME.fullmatch(attr):
                    refused.append(name)
        except (ValueError, IndexError, KeyError, TypeError, EOFError):
            continue  # damaged opcodes: nothing after this point can be read as a global
    return refused


def _allowed_global_names(extra: Iterable[Any]) -> Iterator[str]:
    from torch import _weights_only_unpickler as loader

    yield from loader._get_allowed_globals()
    for item in [*torch.serialization.get_safe_globals(), *extra]:
        if isinstance(item, tuple):
            yield item[1]
        else:
            yield f"{item.__module__}.{item.__qualname__}"


def _pickle_streams(data: bytes) -> list[bytes]:
    """The pickles of a checkpoint: ``*/data.pkl`` of the zip format, else the legacy file."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return [archive.read(n) for n in archive.namelist() if n.endswith("data.pkl")]
    except (zipfile.BadZipFile, OSError, ValueError, EOFError, KeyError):
        return [data]


def _globals_in(stream: bytes) -> Iterator[str]:
    """``module.name`` of each GLOBAL / STACK_GLOBAL, in order (the legacy format has several
    pickles one after another)."""
    source = io.BytesIO(stream)
    while source.tell() < len(stream):
        strings: list[str] = []
        memo: dict[int, Any] = {}
        last: Any = None
        for opcode, arg, _ in pickletools.genops(source):
            if opcode.name == "GLOBAL":
                yield str(arg).replace(" ", ".", 1)
            elif opcode.name == "STACK_GLOBAL" and len(strings) >= 2:
                yield f"{strings[-2]}.{strings[-1]}"
            if opcode.name in _STRING_OPS:
                last = arg.decode("latin-1") if isinstance(arg, bytes) else str(arg)
                strings.append(last)
            elif opcode.name in ("BINPUT", "LONG_BINPUT", "PUT"):
                memo[int(arg)] = last
            elif opcode.name == "MEMOIZE":
                memo[len(memo)] = last
            elif opcode.name in ("BINGET", "LONG_BINGET", "GET"):
                last = memo.get(int(arg))
                if isinstance(last, str):
                    strings.append(last)
            else:
                last = None  # what a PUT/MEMOIZE now stores is not a string


class _UpstreamNamePickler(pickle._Pickler):  # type: ignore[name-defined]
    """Pure-Python pickler that writes our HParams class as the global `utils.HParams`."""

    def save_global(self, obj: Any, name: str | None = None) -> None:
        if obj is HParams:
            module, _, qualname = UPSTREAM_HPARAMS_GLOBAL.rpartition(".")
            self.write(pickle.GLOBAL + f"{module}\n{qualname}\n".encode("ascii"))
            self.memoize(obj)
            return
        super().save_global(obj, name)


_UPSTREAM_PICKLE_MODULE = SimpleNamespace(__name__="upstream_pickle", Pickler=_UpstreamNamePickler)


def dump_checkpoint_bytes(obj: Any) -> bytes:
    """torch.save `obj` to bytes the way upstream's torch.save would lay it out."""
    buffer = io.BytesIO()
    torch.save(obj, buffer, pickle_module=_UPSTREAM_PICKLE_MODULE)
    return buffer.getvalue()
