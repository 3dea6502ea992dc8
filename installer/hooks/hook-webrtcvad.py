# Replaces pyinstaller-hooks-contrib's hook-webrtcvad, which copies the metadata of the
# `webrtcvad` distribution and fails the build when it is absent. We install the same
# module from `webrtcvad-wheels` (the webrtcvad sdist no longer builds), and its
# webrtcvad.py reads version("webrtcvad-wheels").
from PyInstaller.utils.hooks import copy_metadata

datas = copy_metadata("webrtcvad-wheels")
