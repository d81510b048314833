"""Demo data for the fictional Prairie State and the scalable synthetic generator.

- `cases.demo.loader.load_demo()` — `manage.py load_demo`: ~160 offenders with believable
  histories, 13 agencies, one login per role, the demo MOUs. Idempotent.
- `cases.demo.synthetic.generate()` — `manage.py generate_synthetic`: a statewide dataset for
  benchmarks, written with PostgreSQL COPY.
"""
