# Headscope: `make run` serves the app on the bundled model; `make test` runs every test.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Optional extra package index for torch, e.g. the PyTorch CPU wheels on a machine without a GPU.
TORCH_INDEX ?=
PIP_TORCH := $(if $(TORCH_INDEX),--extra-index-url $(TORCH_INDEX),)
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
PORT ?= 8501

.PHONY: setup setup-dev run test lint format chromium nginx postgresql deploy bench screenshot atlas-data importance-data clean

setup: $(VENV)/.installed

$(VENV)/.installed: requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_TORCH) -r requirements.txt
	touch $@

setup-dev: $(VENV)/.installed-dev

$(VENV)/.installed-dev: $(VENV)/.installed requirements-dev.txt
	$(BIN)/python -m pip install -r requirements-dev.txt
	touch $@

run: setup
	$(BIN)/python -m streamlit run app.py --server.port $(PORT)

# Debian's Chromium for the browser tests (never `playwright install`: it downloads a browser).
chromium:
	@test -x /usr/bin/chromium || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends chromium; }

# Debian's nginx for deploy/start.sh and its tests (run with -p/-c: /etc/nginx is not used).
nginx:
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends nginx; }

# Debian's PostgreSQL server for the class store's tests (tests/support.py starts a throwaway server in a temp folder;
# Debian's own cluster is not used).
postgresql:
	@ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || { $(SUDO) apt-get update && $(SUDO) apt-get install -y --no-install-recommends postgresql; }

# N replicas of the app behind nginx with sticky sessions, on loopback (deploy/README.md).
REPLICAS ?= 2
deploy: setup nginx
	deploy/start.sh $(REPLICAS)

test: lint chromium nginx postgresql
	$(BIN)/python -m pytest

# ruff's lint and format checks (settings in pyproject.toml); `make format` rewrites the code.
lint: setup-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: setup-dev
	$(BIN)/ruff format .

bench: setup-dev chromium nginx
	@$(BIN)/python -m bench.run

# data/atlas/: the bundled model's atlas over each shipped corpus and weighting (run after a change of method,
# corpus or model; tests/test_atlas.py says when they are stale).
atlas-data: setup
	$(BIN)/python scripts/ship_atlas.py

importance-data: setup
	OMP_NUM_THREADS=1 $(BIN)/python scripts/ship_importance.py

screenshot: setup-dev chromium
	$(BIN)/python tests/support.py screenshot docs/heads.png

clean:
	rm -rf $(VENV) .pytest_cache
