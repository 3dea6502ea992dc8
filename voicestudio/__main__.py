import sys

from voicestudio.cli import main

sys.exit(main())
