"""Text in one language with the language set to another: said plainly, before any work.

English phones cannot be made from Chinese characters (and the reverse), so Chinese text
with the language set to English would come out as "nothing to speak". The person should
hear that the text is Chinese and which choices speak it.
"""

from __future__ import annotations

import re

_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN = re.compile(r"[A-Za-z]")


def wrong_language_message(text: str, lang: str) -> str | None:
    """A message when ``text`` cannot be spoken in ``lang`` as chosen, else None.

    Only English is strict: the Chinese choice reads English words too.
    """
    han, latin = len(_HAN.findall(text)), len(_LATIN.findall(text))
    if lang == "en" and han and han >= latin:
        return ("This text is Chinese, but the language is set to English, which cannot read "
                "Chinese characters. Choose Chinese (--lang zh) or Automatic (--lang auto).")
    return None
