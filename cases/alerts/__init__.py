"""The alert engine: rules (rules.py), the sweep (engine.py), people's actions (services.py)
and what they read by screen and email (notify.py)."""
