"""Security hardening to the CJIS Security Policy: MFA, lockout, sessions, passwords, accounts.

A Django app of its own (label `security`) so its tables, signals, management commands and
Celery tasks are found the usual way. See docs/security.md for the rules and why.
"""
