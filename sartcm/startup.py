"""What a serving process does once Django is set up, before its first request."""

from __future__ import annotations

import gc


def prepare_to_serve() -> None:
    """Load the URL configuration (and with it every view, serializer and form module), then
    take everything loaded so far out of the cyclic garbage collector's passes (gc.freeze).

    Those objects live as long as the process; without the freeze every full collection walks
    all of them again: pauses of ≈120 ms every ≈100 API list requests on the statewide bench,
    which were most of the lists' p99 (docs/performance.md, 11). After it, ≈30 ms. Called by
    the WSGI entry point, and by the bench, which measures the same start-up in process."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports the views behind every URL
    gc.freeze()
