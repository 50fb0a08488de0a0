"""lpmsync benchmarks: `make bench` writes benchmarks/results.md and results.json."""
