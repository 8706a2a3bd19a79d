# Two commands do all the set-up: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
DEMO   ?= demo-room

.PHONY: demo test test-fast model soak bench lint clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -c 'import sys; sys.exit("Synaq needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $@

demo: $(VENV)/.installed
	$(PY) -m room_tools.demo --data $(DEMO)
	@echo ""
	@echo "At the centre: export the demo day's two streams onto a 'stick' sorted by region, then"
	@echo "ingest, analyse and report (groups of 3 shown, the demo room is small):"
	@echo "  mkdir -p demo-sticks/KZ-ALA && for s in 1 2; do $(VENV)/bin/room-server export --data $(DEMO) --stream \$$s --to demo-sticks/KZ-ALA; done"
	@echo "  $(VENV)/bin/synaq-centre ingest demo-sticks --dataset demo-centre --key $(DEMO)/demo-centre/centre.key"
	@echo "  $(VENV)/bin/synaq-centre stats --dataset demo-centre"
	@echo "  $(VENV)/bin/synaq-centre report --dataset demo-centre --out demo-reports --min-group 3"

test: $(VENV)/.installed
	$(VENV)/bin/lint-imports
	$(PY) -m pytest -q

test-fast: $(VENV)/.installed      # the inner loop: unit tests only, under a minute
	$(PY) -m pytest -q -m unit

MODEL_EXAMPLES ?= 200
model: $(VENV)/.installed          # the model-based test, longer and random: MODEL_EXAMPLES=500 make model
	MODEL_EXAMPLES=$(MODEL_EXAMPLES) $(PY) -m pytest -q -s tests/test_room_model.py -k under_any_sequence

soak: $(VENV)/.installed
	$(PY) -m pytest -q -m soak --run-soak tests/

bench: $(VENV)/.installed
	$(PY) bench/load.py

clean:
	rm -rf $(VENV) $(DEMO) demo-sticks demo-centre demo-reports build *.egg-info
