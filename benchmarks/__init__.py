"""Benchmark suite: tether beside raw sqlite3, raw psycopg 3, SQLAlchemy, peewee and Pony.

`benchmarks.run` is the entry point (``python -m benchmarks.run --help``); each measured run
happens in a fresh ``benchmarks.worker`` process. `benchmarks.workloads` owns the shared data,
schema, seeding and verification; `benchmarks.impls` holds one module per implementation.
"""
