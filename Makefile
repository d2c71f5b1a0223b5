# Two commands on a fresh machine: `make demo` (the main job) and `make test`.
# Both create .venv on first use. torch is pinned to the local CPU build and installed first,
# so pip never pulls the multi-GB CUDA packages.
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cksum pyproject.toml | cut -d' ' -f1)
export QT_QPA_PLATFORM ?= offscreen

.PHONY: demo test install clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[test]'
	rm -f $(VENV)/.installed-*; touch $@

demo: $(STAMP)
	$(VENV)/bin/neuralos play assets/tour.yaml --out tour --gif
	@echo "The tour's video is in tour/video.mp4 (and tour/video.gif); its trace in tour/trace.json."

test: $(STAMP)
	$(PY) -m pytest -q

clean:
	rm -rf $(VENV) tour .pytest_cache
