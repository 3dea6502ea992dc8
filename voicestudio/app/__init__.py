"""The desktop application: Qt widgets only.

Pages are thin: they wire widgets to the library and services below ``app/`` and run long
jobs through :class:`voicestudio.app.job_runner.JobRunner`, so everything they show can also
be driven from the CLI and tested without a screen.
"""
