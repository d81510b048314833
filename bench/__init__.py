"""SARTCM's performance suite (issue 11): `python -m bench`, see bench/README.md."""
