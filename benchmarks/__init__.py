"""`make bench`: courier against the tools a user would pick instead (dlt, DuckDB by hand, aws s3
sync), on real moto S3, pyarrow and DuckDB, with the peers in their own venv.

Entry point: `python -m benchmarks.run` (see docs/benchmarks.md for the figures, targets and results).
Invariants (counts) fail the run; missed targets are reported in the table.
"""
