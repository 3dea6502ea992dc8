"""Errors a person can meet.

Every error raised for a person carries a message written for that person (what happened
and what to do next). They are raised low and shown once at the edge: a dialog in the app,
one line on stderr and exit code 2 in the CLI.
"""

from __future__ import annotations


class VoiceStudioError(Exception):
    """Base for errors whose message is meant for the user, not for a developer."""

    exit_code = 2


class UserInputError(VoiceStudioError):
    """The input (a file, a name, some text, an option) cannot be used as given."""


class NotFoundError(VoiceStudioError):
    """Something the user named (a voice, a file, a model) does not exist."""


class CorruptFileError(VoiceStudioError):
    """A file on disk cannot be read; it is left untouched so nothing is lost."""


class MissingModelError(VoiceStudioError):
    """A base model or trained model the job needs is not installed."""


class DiskFullError(VoiceStudioError):
    """The drive holding the data folder cannot take the files of a job; nothing was changed."""


class JobCancelled(VoiceStudioError):
    """The user cancelled a long job; the job left a consistent state behind."""

    exit_code = 130
