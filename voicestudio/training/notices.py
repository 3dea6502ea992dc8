"""The kinds of training notice (kept free of torch: the app's pages and the CLI read them)."""

from __future__ import annotations

from enum import StrEnum


class Notice(StrEnum):
    """What a report without losses tells, so a front end that shows only some notices (the
    CLI) or acts on one (the Train page) picks them by kind, not by their wording."""

    NONE = ""  # a step's losses, or a line for the log only
    CHECKS_OFF = "checks_off"  # checkpoint checks are off for this run, and why
    LISTENING = "listening"  # a checkpoint is being listened to
    SCORES = "scores"  # a checkpoint's scores
    EARLY_STOP = "early_stop"  # a stage stops early with its best version
