"""Reading a book into chapters: plain text, Markdown, EPUB (or pasted text).

* Plain text: a chapter starts at a heading line ("Chapter 3", "CHAPTER III. The Storm",
  "Prologue", "第三章", a lone Roman numeral). Lines wrapped inside a paragraph (as in
  Project Gutenberg files) are joined, since a line break means a paragraph to the reader.
* Markdown: headings start chapters (a lone top heading over several second-level ones is
  the book's title); links, emphasis, images and code marks are dropped, their words kept.
* EPUB: a zip of XHTML files. The package file's spine gives the reading order, the EPUB 3
  navigation document or the EPUB 2 NCX gives the chapter titles, its metadata the title,
  author and cover image.

Front matter (title page, copyright, contents, dedication, foreword...) and back matter
(acknowledgements, about the author) are recognised by the EPUB's own marks or by their
titles, so a narrator can leave them out or keep them.
"""

from __future__ import annotations

import posixpath
import re
import zipfile
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote
from xml.etree import ElementTree

from voicestudio.errors import UserInputError
from voicestudio.project.narration import NarrationProject

SUPPORTED_SUFFIXES = (".txt", ".md", ".markdown", ".epub")
MAX_BOOK_BYTES = 200 * 1024 * 1024
_FRONT = re.compile(
    r"^(title ?page|half ?title|copyright|contents|table of contents|dedication|epigraph|"
    r"foreword|preface|front ?matter|also by|praise for|cover|目录|版权|序言?|前言)\b",
    re.IGNORECASE)
_BACK = re.compile(r"^(acknowledge?ments?|about the author|afterword|notes|endnotes|"
                   r"bibliography|index|glossary|colophon|后记|致谢)\b", re.IGNORECASE)
_TEXT_HEADING = re.compile(
    r"^\s*(?:(?:chapter|part|book)\s+(?:[0-9]+|[ivxlcdm]+|[a-z]+)\b.*|"
    r"(?:prologue|epilogue|preface|foreword|introduction|afterword|interlude)\b.*|"
    r"[IVXLC]+\.?|第[0-9一二三四五六七八九十百千零〇两]+[章节回卷部].*)\s*$",
    re.IGNORECASE)
_EPUB_FRONT_TYPES = {"frontmatter", "titlepage", "halftitlepage", "copyright-page", "toc",
                     "dedication", "epigraph", "foreword", "preface", "cover", "imprint"}
_EPUB_BACK_TYPES = {"backmatter", "acknowledgments", "afterword", "appendix", "colophon",
                    "index", "glossary", "bibliography", "endnotes", "rearnotes"}
_CJK_END = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]$")


@dataclass
class ImportedChapter:
    title: str
    text: str
    kind: str = "chapter"  # "front", "chapter" or "back"


@dataclass
class ImportedBook:
    title: str
    author: str = ""
    chapters: list[ImportedChapter] = field(default_factory=list)
    cover: bytes | None = None
    cover_suffix: str = ".jpg"


def kind_for_title(title: str) -> str:
    if _FRONT.match(title.strip()):
        return "front"
    if _BACK.match(title.strip()):
        return "back"
    return "chapter"


def _join_lines(lines: list[str]) -> str:
    """One paragraph from its wrapped lines (no space after Chinese characters)."""
    out = ""
    for line in (line.strip() for line in lines):
        if not line:
            continue
        out = line if not out else out + ("" if _CJK_END.search(out) else " ") + line
    return out


def _paragraphs(text: str) -> str:
    """Text with wrapped lines joined; paragraphs separated by one blank line."""
    blocks = re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n"))
    joined = (_join_lines(block.split("\n")) for block in blocks)
    return "\n\n".join(block for block in joined if block)


def parse_text(text: str, title: str) -> ImportedBook:
    """Plain text: chapters at heading lines; the text before the first one is an opening."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    book = ImportedBook(title)
    current_title = ""
    current: list[str] = []

    def close() -> None:
        body = _paragraphs("\n".join(current))
        if body or current_title:
            name = current_title or ("Opening" if book.chapters or headings else title)
            kind = kind_for_title(name) if current_title else ("front" if headings else
                                                               "chapter")
            book.chapters.append(ImportedChapter(name, body, kind))

    headings = [i for i, line in enumerate(lines)
                if _TEXT_HEADING.match(line) and len(line.strip()) <= 80
                and (i == 0 or not lines[i - 1].strip())]
    for number, line in enumerate(lines):
        if number in headings:
            close()
            current_title, current = " ".join(line.split()), []
        else:
            current.append(line)
    close()
    book.chapters = [c for c in book.chapters if c.text or c.kind == "chapter"]
    return book


_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\([^)]*\)")
_MD_MARKS = re.compile(r"(\*\*|__|\*|`|~~)")
_MD_LINE_MARK = re.compile(r"^\s*(?:>\s?|[-*+]\s+|\d+[.)]\s+)")
_MD_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


def _markdown_inline(line: str) -> str:
    line = _MD_IMAGE.sub("", line)
    line = _MD_LINK.sub(r"\1", line)
    line = re.sub(r"<[^>]+>", "", line)
    line = re.sub(r"(?<!\w)_(\S[^_]*\S|\S)_(?!\w)", r"\1", line)
    return _MD_MARKS.sub("", _MD_LINE_MARK.sub("", line))


def parse_markdown(text: str, title: str) -> ImportedBook:
    """Markdown: headings start chapters; a YAML header may give title and author."""
    text = text.replace("\r\n", "\n")
    author = ""
    header = re.match(r"^---\n(.*?)\n---\n", text, re.DOTALL)
    if header:
        for line in header.group(1).split("\n"):
            key, _, value = line.partition(":")
            value = value.strip().strip("\"'")
            if key.strip().lower() == "title" and value:
                title = value
            elif key.strip().lower() in ("author", "creator") and value:
                author = value
        text = text[header.end():]
    lines, in_code = [], False
    for line in text.split("\n"):
        if line.strip().startswith(("```", "~~~")):
            in_code = not in_code
            continue
        if in_code or re.fullmatch(r"\s*([-*_]\s*){3,}", line):
            continue
        lines.append(line)
    headings = [(i, len(m.group(1)), m.group(2)) for i, line in enumerate(lines)
                if (m := _MD_HEADING.match(line))]
    levels = [level for _, level, _ in headings]
    chapter_level = min(levels) if levels else 1
    if levels.count(chapter_level) == 1 and any(lv > chapter_level for lv in levels):
        title = next(name for _, lv, name in headings if lv == chapter_level)
        chapter_level = min(lv for lv in levels if lv > chapter_level)
    book = ImportedBook(_markdown_inline(title).strip() or title, author)
    current_title, body = "", []

    def close() -> None:
        text_body = _paragraphs("\n".join(_markdown_inline(b) for b in body))
        if text_body or current_title:
            name = current_title or "Opening"
            book.chapters.append(ImportedChapter(
                name, text_body, kind_for_title(name) if current_title else "front"))

    by_line = {i: (level, name) for i, level, name in headings}
    for number, line in enumerate(lines):
        heading = by_line.get(number)
        if heading is not None and heading[0] < chapter_level:
            continue  # the book title
        if heading is not None and heading[0] == chapter_level:
            close()
            current_title, body = _markdown_inline(heading[1]).strip(), []
        elif heading is not None:
            body.extend(["", _markdown_inline(heading[1]), ""])  # a section title is read
        else:
            body.append(line)
    close()
    if not headings and book.chapters:
        book.chapters[0].title, book.chapters[0].kind = book.title, "chapter"
    return book


class _XhtmlText(HTMLParser):
    """The readable text of one XHTML document, a paragraph per block element."""

    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "blockquote", "br",
              "section", "tr", "dd", "dt", "figcaption"}
    SKIP = {"script", "style", "head", "title", "nav"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.heading = ""
        self.types: set[str] = set()
        self._skip = 0
        self._in_heading = False
        self._heading_parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        found = dict(attrs).get("epub:type") or ""
        if tag in ("body", "section"):
            self.types.update(found.split())
        if tag in self.SKIP:
            self._skip += 1
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag in ("h1", "h2", "h3") and not self.heading:
            self._in_heading = True

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        if tag in ("h1", "h2", "h3") and self._in_heading:
            self._in_heading = False
            self.heading = " ".join("".join(self._heading_parts).split())

    def handle_data(self, data):
        if self._skip:
            return
        self.parts.append(data.replace("\n", " "))
        if self._in_heading:
            self._heading_parts.append(data)

    def text(self) -> str:
        return _paragraphs("".join(self.parts))


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _xml(archive: zipfile.ZipFile, name: str) -> ElementTree.Element:
    try:
        return ElementTree.fromstring(archive.read(name))
    except KeyError as exc:
        raise UserInputError(f"This EPUB is incomplete: it lacks {name}.") from exc
    except ElementTree.ParseError as exc:
        raise UserInputError(f"This EPUB is damaged: {name} is not valid XML ({exc}).") from exc


def _toc_titles(archive: zipfile.ZipFile, opf_dir: str, items: dict, spine_toc: str | None
                ) -> dict[str, str]:
    """Document path -> title from the EPUB 3 nav document, else the EPUB 2 NCX."""
    titles: dict[str, str] = {}

    def add(base: str, href: str, title: str) -> None:
        path = posixpath.normpath(posixpath.join(base, unquote(href.split("#")[0])))
        title = " ".join(title.split())
        if title and path not in titles:
            titles[path] = title

    nav = next((i for i in items.values() if "nav" in i["properties"]), None)
    if nav is not None:
        root = _xml(archive, nav["path"])
        for element in root.iter():
            if _local(element.tag) == "nav" and "toc" in (
                    element.get("{http://www.idpf.org/2007/ops}type") or "toc"):
                for link in element.iter():
                    if _local(link.tag) == "a" and link.get("href"):
                        add(posixpath.dirname(nav["path"]), link.get("href"),
                            "".join(link.itertext()))
                break
    if not titles and spine_toc in items:
        ncx = items[spine_toc]
        root = _xml(archive, ncx["path"])
        for point in root.iter():
            if _local(point.tag) != "navPoint":
                continue
            label = next((e for e in point.iter() if _local(e.tag) == "text"), None)
            content = next((e for e in point if _local(e.tag) == "content"), None)
            if label is not None and content is not None and content.get("src"):
                add(posixpath.dirname(ncx["path"]), content.get("src"),
                    "".join(label.itertext()))
    return titles


def parse_epub(path: Path) -> ImportedBook:
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise UserInputError(f"{Path(path).name} is not a readable EPUB (not a zip file).") \
            from exc
    with archive:
        container = _xml(archive, "META-INF/container.xml")
        rootfile = next((e.get("full-path") for e in container.iter()
                         if _local(e.tag) == "rootfile" and e.get("full-path")), None)
        if rootfile is None:
            raise UserInputError("This EPUB is damaged: its container names no package file.")
        opf = _xml(archive, rootfile)
        opf_dir = posixpath.dirname(rootfile)
        meta = {_local(e.tag): " ".join("".join(e.itertext()).split())
                for e in opf.iter() if e.tag.startswith("{http://purl.org/dc/")}
        items = {}
        cover_id = None
        spine_ids, spine_toc = [], None
        for element in opf.iter():
            name = _local(element.tag)
            if name == "item":
                items[element.get("id")] = {
                    "path": posixpath.normpath(posixpath.join(opf_dir,
                                                              unquote(element.get("href", "")))),
                    "type": element.get("media-type", ""),
                    "properties": (element.get("properties") or "").split(),
                }
            elif name == "meta" and element.get("name") == "cover":
                cover_id = element.get("content")
            elif name == "spine":
                spine_toc = element.get("toc")
            elif name == "itemref" and element.get("linear", "yes") != "no":
                spine_ids.append(element.get("idref"))
        book = ImportedBook(meta.get("title") or Path(path).stem, meta.get("creator", ""))
        cover = next((i for i in items.values() if "cover-image" in i["properties"]),
                     items.get(cover_id))
        if cover is not None and cover["type"] in ("image/jpeg", "image/png"):
            try:
                book.cover = archive.read(cover["path"])
                book.cover_suffix = ".png" if cover["type"] == "image/png" else ".jpg"
            except KeyError:
                book.cover = None
        titles = _toc_titles(archive, opf_dir, items, spine_toc)
        for number, item_id in enumerate(spine_ids, start=1):
            item = items.get(item_id)
            if item is None or "html" not in item["type"]:
                continue
            try:
                raw = archive.read(item["path"]).decode("utf-8", errors="replace")
            except KeyError:
                continue
            parser = _XhtmlText()
            parser.feed(raw)
            text = parser.text()
            if not text:
                continue  # a cover picture or an empty page
            title = titles.get(item["path"]) or parser.heading or f"Section {number}"
            if parser.heading and text.startswith(parser.heading):
                text = text[len(parser.heading):].lstrip()  # the title is read as the title
            kind = ("front" if parser.types & _EPUB_FRONT_TYPES else
                    "back" if parser.types & _EPUB_BACK_TYPES else kind_for_title(title))
            book.chapters.append(ImportedChapter(title, text, kind))
    if not book.chapters:
        raise UserInputError(f"{Path(path).name} holds no readable text.")
    return book


def read_book(path: Path | str) -> ImportedBook:
    """A .txt, .md or .epub file as a book; anything else is a clear UserInputError."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise UserInputError(f"{path.name}: import a plain text (.txt), Markdown (.md) or "
                             "EPUB (.epub) file.")
    try:
        if path.stat().st_size > MAX_BOOK_BYTES:
            raise UserInputError(f"{path.name} is larger than 200 MB; that is not a book.")
    except FileNotFoundError as exc:
        raise UserInputError(f"There is no file {path}.") from exc
    if suffix == ".epub":
        return parse_epub(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UserInputError(f"{path.name} is not UTF-8 text. Save it as UTF-8 and import it "
                             "again.") from exc
    except OSError as exc:
        raise UserInputError(f"Cannot read {path}: {exc.strerror}.") from exc
    title = path.stem.replace("_", " ")
    book = parse_markdown(text, title) if suffix in (".md", ".markdown") else \
        parse_text(text, title)
    if not any(chapter.text.strip() for chapter in book.chapters):
        raise UserInputError(f"{path.name} has no text to read.")
    return book


def add_book(project: NarrationProject, book: ImportedBook, front_matter: bool = True) -> int:
    """Append the book's chapters (front and back matter too, unless told not to) and take
    its title, author and cover where the project has none; returns chapters added."""
    added = 0
    for chapter in book.chapters:
        if chapter.kind != "chapter" and not front_matter:
            continue
        project.add_chapter(chapter.title, chapter.text, chapter.kind)
        added += 1
    if book.author and not project.author:
        project.author = book.author
    if book.cover and not project.cover:
        project.set_cover(book.cover, book.cover_suffix)
    return added


def pasted_book(text: str, title: str) -> ImportedBook:
    """Pasted text, read like a plain text file."""
    if not text.strip():
        raise UserInputError("There is no text to import. Paste some first.")
    return parse_text(text, title or "Pasted text")

