"""Receivers that keep derived access state in step with MOUs and case teams."""
