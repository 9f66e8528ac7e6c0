.PHONY: run test setup
# Set up, ingest seeds/ and serve on the embedded default.
run:
	bash scripts/demo.sh
# Set up and run every test (embedded store and a chroma server).
test:
	bash scripts/test.sh
setup:
	bash scripts/setup.sh --dev
