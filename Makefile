# Two commands do all the set-up: `make run` and `make test` (each creates .venv on first use).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow lint venv installer

run: $(STAMP)
	$(PY) -m voicestudio

test: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q

test-slow: $(STAMP)
	QT_QPA_PLATFORM=offscreen $(PY) -m pytest -q -m slow

lint: $(STAMP)
	$(VENV)/bin/ruff check voicestudio tests benchmarks

venv: $(STAMP)

# dist/VoiceStudio/: the PyInstaller folder app (see installer/README.md).
installer: $(STAMP)
	bash installer/build.sh

# torch is installed first and pinned through constraints.txt so that no other requirement
# can pull a second (multi-gigabyte CUDA) build. resemblyzer goes in without its dependencies:
# it asks for the obsolete `typing` backport and the `webrtcvad` sdist, which is broken on
# current setuptools (webrtcvad-wheels provides the same module).
$(STAMP): pyproject.toml constraints.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c constraints.txt torch==2.13.0
	$(PY) -m pip install -q -c constraints.txt -e '.[test,build]'
	$(PY) -m pip install -q --no-deps resemblyzer
	touch $(STAMP)
