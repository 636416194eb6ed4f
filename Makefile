# kaohe — two commands on a fresh machine: `make demo` and `make test`.
PY      ?= python3
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
# The strict editable install links each file of engine/, plugins/, templates/, rulesets/ and
# examples/ into a `kaohe/` tree (mypy sees it); a file added or removed changes its folder's
# time, which re-runs the install.
PACKAGE_DIRS := $(shell find src engine plugins templates rulesets examples -type d \
                  -not -path '*__pycache__*' -not -path 'examples/plugin-template*' 2>/dev/null)

.PHONY: demo test bench lint install clean golden sysdeps

$(STAMP): pyproject.toml $(PACKAGE_DIRS)
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]' --config-settings editable_mode=strict
	touch $(STAMP)

install: $(STAMP)

# Debian packages for PDF reports and the browser tests; a no-op when already present.
SYSDEPS := chromium fonts-noto-cjk poppler-utils postgresql
sysdeps:
	@if command -v chromium >/dev/null && command -v pdftoppm >/dev/null && fc-list 2>/dev/null | grep -q "Noto Sans CJK" \
	  && ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then :; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $(SYSDEPS); fi

demo: $(STAMP) sysdeps
	$(BIN)/kaohe demo
	@echo ""
	@echo "浏览器工作台 / the browser workspace (docs/serve.md):"
	@echo "  $(BIN)/kaohe users add admin --role admin     # 第一次：创建管理员 / once: create an admin"
	@echo "  $(BIN)/kaohe serve                            # 然后打开 / then open http://127.0.0.1:8000/"

test: $(STAMP) sysdeps
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

bench: $(STAMP)
	$(BIN)/python benchmarks/bench_run.py --sizes 100000 1000000
	$(BIN)/python benchmarks/bench_stages.py --sizes 10000 100000
	$(BIN)/python benchmarks/bench_dask.py
	$(BIN)/python benchmarks/bench_report.py
	$(BIN)/python benchmarks/bench_plugins.py
	$(BIN)/python benchmarks/stress_rules.py

lint: $(STAMP)
	$(BIN)/ruff check src engine plugins tests benchmarks examples
	$(BIN)/mypy
	$(BIN)/mypy --strict examples/plugin-template/src   # the template type-checks against the public API

golden: $(STAMP)
	KAOHE_UPDATE_GOLDEN=1 $(BIN)/python -m pytest -q tests -k golden

clean:
	rm -rf $(VENV) build kaohe.db reports
