"""SARTCM: multi-agency case management for Sexual Assault Response Team partners."""

from .celery import app as celery_app

__all__ = ("celery_app",)
