"""The pages of the main window, in navigation order.

Adding a page: write ``voicestudio/app/pages/<name>.py`` with a ``BasePage`` subclass, then
point its entry below at it (``page="voicestudio.app.pages.<name>:<Class>"``). An entry with
``page=None`` is a feature that has not landed: the navigation shows it greyed out with its
``summary`` as the tooltip, and it cannot be opened.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass

from PySide6.QtWidgets import QStyle

from voicestudio.app.pages.base import BasePage

SP = QStyle.StandardPixmap


@dataclass(frozen=True)
class PageSpec:
    key: str  # stable id, used by show_page() and to remember the last page
    title: str  # navigation label
    icon: QStyle.StandardPixmap  # from the Qt standard style, so it matches the platform
    summary: str  # one line: what the page lets a person do
    page: str | None  # "module:Class" of a BasePage subclass; None while not landed
    bottom: bool = False  # placed apart at the bottom of the navigation (Settings)

    @property
    def available(self) -> bool:
        return self.page is not None

    def load(self) -> type[BasePage]:
        """Import the page class only when first shown, so start-up stays fast."""
        if self.page is None:
            raise LookupError(f"page {self.key!r} has not landed yet")
        module_name, _, class_name = self.page.partition(":")
        cls = getattr(importlib.import_module(module_name), class_name)
        if not (isinstance(cls, type) and issubclass(cls, BasePage)):
            raise TypeError(f"{self.page} is not a BasePage subclass")
        return cls


PAGES: list[PageSpec] = [
    PageSpec(
        "voices", "Voices", SP.SP_DirHomeIcon,
        "Your voices: create, open, rename, copy or delete them.",
        "voicestudio.app.pages.voices:VoicesPage",
    ),
    PageSpec(
        "record", "Record", SP.SP_MediaPlay,
        "Record about a minute of your voice (or much more), guided sentence by sentence.",
        "voicestudio.app.pages.record:RecordPage",
    ),
    PageSpec(
        "edit", "Edit", SP.SP_FileDialogDetailedView,
        "Import old recordings and fix each clip and its transcript.",
        "voicestudio.app.pages.edit:EditPage",
    ),
    PageSpec(
        "train", "Train", SP.SP_ComputerIcon,
        "Teach VoiceStudio the voice in the background, with progress; then hear it.",
        "voicestudio.app.pages.train:TrainPage",
    ),
    PageSpec(
        "narrate", "Narrate", SP.SP_FileIcon,
        "Read books aloud in the voice, fix sentences, export audiobook files.",
        "voicestudio.app.pages.narrate:NarratePage",
    ),
    PageSpec(
        "base_models", "Base models", SP.SP_DriveHDIcon,
        "Install the shared models every voice is built on: download or import them.",
        "voicestudio.app.pages.base_models:BaseModelsPage",
        bottom=True,
    ),
    PageSpec(
        "settings", "Settings", SP.SP_FileDialogInfoView,
        "Choose the compute device, the data folder and the default language.",
        "voicestudio.app.pages.settings:SettingsPage",
        bottom=True,
    ),
]


def page_spec(key: str) -> PageSpec:
    for spec in PAGES:
        if spec.key == key:
            return spec
    raise KeyError(key)
