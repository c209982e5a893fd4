# The two set-up commands of README.md are `make run` and `make test`; each installs what it needs.
.PHONY: run test test-odoo lint bench

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
