"""`make bench`: measure that cost follows the work, on real moto S3, pyarrow and DuckDB.

Entry point: `python -m benchmarks.run` (see docs/benchmarks.md for the targets and results).
Invariants (counts) fail the run; timing and memory targets only warn.
"""
