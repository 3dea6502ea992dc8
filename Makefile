# Two commands do all the set-up: `make run` and `make test` (each creates .venv on first use).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# The tests install the real speaker-check weights from the resemblyzer wheel (a file, not a
# package: only its pretrained.pt is used), fetched from PyPI once.
TEST_WHEELS ?= $(or $(VOICESTUDIO_TEST_WHEELS),$(HOME)/.cache/voicestudio/test-wheels)
SPEAKER_WHEEL := $(TEST_WHEELS)/Resemblyzer-0.1.4-py3-none-any.whl

.PHONY: run test test-slow lint venv installer

run: $(STAMP)
	$(PY) -m voicestudio

test: $(STAMP) $(SPEAKER_WHEEL)
	QT_QPA_PLATFORM=offscreen VOICESTUDIO_TEST_WHEELS=$(TEST_WHEELS) $(PY) -m pytest -q

test-slow: $(STAMP) $(SPEAKER_WHEEL)
	QT_QPA_PLATFORM=offscreen VOICESTUDIO_TEST_WHEELS=$(TEST_WHEELS) $(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check voicestudio tests benchmarks

venv: $(STAMP)

# dist/VoiceStudio/: the PyInstaller folder app (see installer/README.md).
installer: $(STAMP)
	bash installer/build.sh

# torch is installed first and pinned through constraints.txt so that no other requirement
# can pull a second (multi-gigabyte CUDA) build.
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[test,build]'
	touch $(STAMP)

# (The weights inside are checked against their pinned sha256 when a test installs them.)
$(SPEAKER_WHEEL): | $(STAMP)
	$(PY) -m pip download -q --no-deps resemblyzer==0.1.4 -d $(TEST_WHEELS)
