"""Entry point of the frozen app: no arguments start the window, arguments run the CLI.

PyInstaller needs a script, not a ``module:function`` reference, so this file stands in
for the ``voicestudio`` console script that pip generates.
"""

import multiprocessing
import sys

from voicestudio.cli import main

if __name__ == "__main__":
    # A frozen child process started by multiprocessing re-runs this binary; freeze_support
    # turns it into the worker instead of a second copy of the app.
    multiprocessing.freeze_support()
    sys.exit(main())
