"""Importing books into narration projects: EPUB (spine + nav or NCX), Markdown, plain text."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from voicestudio.errors import CorruptFileError, UserInputError
from voicestudio.project.book_import import add_book, read_book
from voicestudio.project.library import VoiceLibrary
from voicestudio.project.narration import NarrationProject, create_narration

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 32

CONTAINER = """<?xml version="1.0"?>
<container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">
  <rootfiles><rootfile full-path="OEBPS/content.opf"
    media-type="application/oebps-package+xml"/></rootfiles></container>"""


def xhtml(body: str, epub_type: str = "") -> str:
    kind = f' epub:type="{epub_type}"' if epub_type else ""
    return ('<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml" '
            'xmlns:epub="http://www.idpf.org/2007/ops"><head><title>x</title>'
            f'<style>p {{ color: red }}</style></head><body{kind}>{body}</body></html>')


def write_epub(path: Path, version: int) -> Path:
    """A small EPUB: cover page (image only), copyright page, two chapters."""
    docs = {
        "cover.xhtml": xhtml('<img src="cover.png"/>'),
        "copyright.xhtml": xhtml("<p>Copyright 1900. All rights reserved.</p>",
                                 "frontmatter copyright-page" if version == 3 else ""),
        "ch1.xhtml": xhtml("<h1>The Harbour</h1><p>The boats came in at dawn.\nThe gulls "
                           "cried.</p><p>Nobody was <em>awake</em> yet.</p>"),
        "ch2.xhtml": xhtml("<section><h2>II</h2><p>Later the market opened.</p></section>"),
    }
    titles = {"copyright.xhtml": "Copyright", "ch1.xhtml": "Chapter 1: The Harbour",
              "ch2.xhtml": "Chapter 2: The Market"}
    manifest = "".join(f'<item id="{n[:-6]}" href="text/{n}" media-type="application/xhtml+xml"/>'
                       for n in docs)
    spine = "".join(f'<itemref idref="{n[:-6]}"/>' for n in docs)
    if version == 3:
        nav = "".join(f'<li><a href="{n}">{t}</a></li>' for n, t in titles.items())
        extra = ('<item id="nav" href="text/nav.xhtml" media-type="application/xhtml+xml" '
                 'properties="nav"/><item id="img" href="images/cover.png" '
                 'media-type="image/png" properties="cover-image"/>')
        nav_doc = xhtml(f'<nav epub:type="toc"><ol>{nav}</ol></nav>')
        spine_attr, meta = "", ""
    else:
        points = "".join(
            f'<navPoint id="p{i}"><navLabel><text>{t}</text></navLabel>'
            f'<content src="text/{n}"/></navPoint>' for i, (n, t) in enumerate(titles.items()))
        extra = ('<item id="ncx" href="toc.ncx" media-type="application/x-dtbncx+xml"/>'
                 '<item id="img" href="images/cover.png" media-type="image/png"/>')
        nav_doc = ('<?xml version="1.0"?><ncx xmlns="http://www.daisy.org/z3986/2005/ncx/">'
                   f'<navMap>{points}</navMap></ncx>')
        spine_attr, meta = ' toc="ncx"', '<meta name="cover" content="img"/>'
    opf = ('<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0">'
           '<metadata xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>Harbour Tales'
           f'</dc:title><dc:creator>Jane Doe</dc:creator>{meta}</metadata>'
           f'<manifest>{manifest}{extra}</manifest><spine{spine_attr}>{spine}</spine></package>')
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("mimetype", "application/epub+zip")
        archive.writestr("META-INF/container.xml", CONTAINER)
        archive.writestr("OEBPS/content.opf", opf)
        archive.writestr("OEBPS/images/cover.png", PNG)
        for name, body in docs.items():
            archive.writestr(f"OEBPS/text/{name}", body)
        archive.writestr("OEBPS/text/nav.xhtml" if version == 3 else "OEBPS/toc.ncx", nav_doc)
    return path


@pytest.mark.parametrize("version", [2, 3])
def test_epub_chapters_come_from_the_spine_and_table_of_contents(tmp_path, version):
    book = read_book(write_epub(tmp_path / "tales.epub", version))
    assert (book.title, book.author) == ("Harbour Tales", "Jane Doe")
    assert book.cover == PNG and book.cover_suffix == ".png"
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("Copyright", "front"), ("Chapter 1: The Harbour", "chapter"),
        ("Chapter 2: The Market", "chapter")]
    harbour = book.chapters[1].text
    assert harbour == "The boats came in at dawn. The gulls cried.\n\nNobody was awake yet."
    assert "color" not in harbour and "The Harbour" not in harbour


def test_markdown_headings_become_chapters_and_marks_are_dropped(tmp_path):
    path = tmp_path / "notes.md"
    path.write_text(
        "---\ntitle: \"Field Notes\"\nauthor: Sam Lee\n---\n# Field Notes\n\n"
        "## Preface\n\nWritten in the *field*.\n\n"
        "## Spring\n\nThe [river](http://x) rose.\nIt was **fast**.\n\n### Birds\n\n"
        "- Swallows came back.\n\n```\ncode()\n```\n\n## Summer\n\n![map](m.png)Hot days.\n",
        encoding="utf-8")
    book = read_book(path)
    assert (book.title, book.author) == ("Field Notes", "Sam Lee")
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("Preface", "front"), ("Spring", "chapter"), ("Summer", "chapter")]
    assert book.chapters[1].text == "The river rose. It was fast.\n\nBirds\n\nSwallows came back."
    assert book.chapters[2].text == "Hot days."


def test_plain_text_chapters_at_heading_lines_with_wrapped_lines_joined(tmp_path):
    path = tmp_path / "story.txt"
    path.write_text("A Story\nby Somebody\n\nCHAPTER I. The Start\n\nIt began on a\nrainy day.\n\n"
                    "Nobody came.\n\nChapter 2\n\nThen the sun.\n\n第三章 雨\n\n下雨了，\n很冷。\n",
                    encoding="utf-8")
    book = read_book(path)
    assert [(c.title, c.kind) for c in book.chapters] == [
        ("Opening", "front"), ("CHAPTER I. The Start", "chapter"), ("Chapter 2", "chapter"),
        ("第三章 雨", "chapter")]
    assert book.chapters[1].text == "It began on a rainy day.\n\nNobody came."
    assert book.chapters[3].text == "下雨了，很冷。"


def test_bad_files_get_clear_messages(tmp_path):
    for name, data, message in (("a.pdf", b"%PDF", "plain text"),
                                ("b.epub", b"not a zip", "not a readable EPUB"),
                                ("c.txt", b"\xff\xfe\x00bad", "not UTF-8"),
                                ("d.txt", b"  \n\n", "no text")):
        (tmp_path / name).write_bytes(data)
        with pytest.raises(UserInputError, match=message):
            read_book(tmp_path / name)


def test_a_book_fills_a_project_that_saves_reorders_and_reopens(tmp_path):
    voice = VoiceLibrary(tmp_path / "data").create("Reader", ["en"])
    project = create_narration(voice, "Harbour Tales")
    assert project.folder.parent == voice.folder / "narrations"
    assert project.narrator == "Reader"
    book = read_book(write_epub(tmp_path / "t.epub", 3))
    assert add_book(project, book, front_matter=False) == 2
    project.move_chapter(project.chapters[1].id, 0)
    project.save()
    reopened = NarrationProject.open(project.folder)
    assert [c.title for c in reopened.chapters] == ["Chapter 2: The Market",
                                                    "Chapter 1: The Harbour"]
    assert reopened.author == "Jane Doe" and reopened.cover_path.read_bytes() == PNG
    assert create_narration(voice, "Harbour Tales").folder.name == "Harbour Tales (2)"
    project.path.write_text("{broken", encoding="utf-8")
    with pytest.raises(CorruptFileError, match="left untouched"):
        NarrationProject.open(project.folder)
    assert project.path.read_text(encoding="utf-8") == "{broken"
