"""Read a text file a person gives us, in whatever common encoding it was saved.

Notepad, Word and older editors save UTF-8 (with or without a BOM), UTF-16 or the
system's legacy code page: Windows-1252/Latin-1 in the West, GB18030 (GBK) in China. A
codec error is not something a person can act on; a file we cannot read gets a message
that says how to save it so that we can.
"""

from __future__ import annotations

import codecs
from pathlib import Path

from voicestudio.errors import NotFoundError, UserInputError

_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))


def _legacy_order(prefer_chinese: bool) -> tuple[str, ...]:
    # cp1252 and gb18030 both decode many byte strings, so the expected language decides
    # which is tried first.
    return ("gb18030", "cp1252") if prefer_chinese else ("cp1252", "gb18030")


def read_text_file(path: Path | str, prefer_chinese: bool = False) -> str:
    """The file's text; tries a BOM, then UTF-8, then the legacy code pages."""
    path = Path(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise NotFoundError(f"The text file {path} was not found.") from None
    except OSError as exc:
        raise UserInputError(f"The text file {path} cannot be read ({exc.strerror}).") from exc
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError:
                break
    for encoding in ("utf-8", *_legacy_order(prefer_chinese)):
        try:
            text = raw.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" not in text:
            return text
    raise UserInputError(
        f"{path.name} is not text we can read. Open it in a text editor and save it again "
        "as “UTF-8” (Notepad: File → Save as → Encoding: UTF-8), then try again.")
