.PHONY: serve test ci lint
serve:  ## the platform on embedded defaults with demo data, http://127.0.0.1:8000
	bin/serve
test:   ## the whole test suite (DATABASE_URL/REDIS_URL when set)
	bin/test
ci:     ## what CI runs: PostgreSQL + Redis, ruff, migrations check, tests
	bash .ci/run
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check .
