# The two set-up commands of README.md are `make run` and `make test`; each installs what it needs.
.PHONY: run test test-odoo test-odoo-baseline lint bench bench-recall

run:
	bash scripts/run.sh

test:
	bash scripts/test.sh

test-odoo:
	SUITE=odoo bash scripts/test.sh

lint:
	bash scripts/lint.sh

bench:
	bash bench/run.sh

bench-recall:
	bash bench/recall.sh

test-odoo-baseline:
	SUITE=odoo BASELINE=1 bash scripts/test.sh
