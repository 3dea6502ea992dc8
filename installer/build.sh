#!/usr/bin/env bash
# Build the VoiceStudio folder app with PyInstaller: work files in build/, the result in
# dist/VoiceStudio/ (both gitignored). Run from anywhere; uses the repository's .venv
# (`make venv` creates it). Prints the build time and the size of the result.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo"
python="${VOICESTUDIO_PYTHON:-$repo/.venv/bin/python}"
if [[ ! -x "$python" ]]; then
    echo "error: $python not found; run 'make venv' first" >&2
    exit 1
fi

started=$SECONDS
"$python" -m PyInstaller --noconfirm --clean --log-level WARN \
    --workpath build/pyinstaller --distpath dist installer/voicestudio.spec

app="dist/VoiceStudio"
binary="$app/VoiceStudio"
[[ -e "$binary" || -e "$binary.exe" ]] || { echo "error: $binary was not produced" >&2; exit 1; }
echo "Built $app in $((SECONDS - started)) s"
echo "dist size: $(du -sh "$app" | cut -f1)"
