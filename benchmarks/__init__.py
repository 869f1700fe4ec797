"""Throughput benchmarks of the workflow's own code: ``python -m benchmarks`` (README,
"Performance"). Each module measures one thing; __main__ runs them and prints one table."""
