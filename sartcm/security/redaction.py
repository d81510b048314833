"""Keep secrets out of logs and error reports (CJIS 5.4 / ASVS V16: no credentials in logs).

`RedactSensitiveFilter` (on every log handler, settings.LOGGING) masks values whose key looks
sensitive — `password=…`, `"token": "…"`, `{'otp': …}` — and passwords inside URLs, in the
message, its arguments and any `extra` attributes. `SensitiveExceptionReporterFilter` does the
same for error pages and e-mailed reports, beyond Django's own list.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from typing import Any

from django.views.debug import SafeExceptionReporterFilter

MASK = "********"
SENSITIVE_KEY = re.compile(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|otp|api[_-]?key|private[_-]?key|"
    r"authorization|cookie|sessionid|csrf|credential|^code$|^key$",
    re.IGNORECASE,
)
# key=value, key: value, "key": "value", 'key': 'value' — the key containing a sensitive word.
_KEY = (
    r"[\w-]*?(?:pass(?:word|wd|phrase)?|pwd|secret|token|otp|api[_-]?key|authorization|"
    r"cookie|sessionid|csrf\w*|credential)[\w-]*|\bcode|\bkey"
)
_PAIR = re.compile(
    rf"""(?P<key>["']?(?:{_KEY})["']?)(?P<sep>\s*[:=]\s*)"""
    r"""(?P<value>"[^"]*"|'[^']*'|(?:Bearer\s+|Token\s+|Basic\s+)?[^\s"'&,;}\]]+)""",
    re.IGNORECASE,
)
_URL_PASSWORD = re.compile(
    r"(?P<prefix>[a-z][a-z0-9+.-]*://[^:/@\s]*:)(?P<password>[^@/\s]+)(?=@)", re.I
)


def redact_text(text: str) -> str:
    """Mask sensitive values in free text (log lines, reprs of dicts and query strings)."""
    text = _URL_PASSWORD.sub(lambda m: m.group("prefix") + MASK, text)
    return _PAIR.sub(_mask_pair, text)


def _mask_pair(match: re.Match[str]) -> str:
    value = match.group("value")
    quote = value[0] if value[:1] in ("'", '"') else ""
    return f"{match.group('key')}{match.group('sep')}{quote}{MASK}{quote}"


def redact_value(value: Any, key: str = "") -> Any:
    if key and SENSITIVE_KEY.search(key):
        return MASK
    if isinstance(value, Mapping):
        return {k: redact_value(v, str(k)) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return type(value)(redact_value(v) for v in value)
    if isinstance(value, str):
        return redact_text(value)
    return value


_RECORD_FIELDS = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


class RedactSensitiveFilter(logging.Filter):
    """Masks secrets in a record before any handler formats it. Never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record: leave it for logging to report
            return True
        redacted = redact_text(message)
        if isinstance(record.args, Mapping) or record.args:
            # Format once with redacted arguments, so values under sensitive dict keys go too.
            args = redact_value(record.args)
            try:
                formatted = str(record.msg) % args
            except Exception:
                formatted = redacted
            redacted = redact_text(formatted)
        if redacted != message or record.args:
            record.msg = redacted
            record.args = None
        for name, value in list(vars(record).items()):
            if name not in _RECORD_FIELDS:
                setattr(record, name, redact_value(value, name))
        return True


class SensitiveExceptionReporterFilter(SafeExceptionReporterFilter):
    """Django's filter, also hiding OTP codes, URLs with credentials and any sensitive-looking
    POST field even where a view forgot `sensitive_post_parameters`."""

    hidden_settings = re.compile(
        r"API|TOKEN|KEY|SECRET|PASS|SIGNATURE|HTTP_COOKIE|OTP|CREDENTIAL|DATABASE_URL|REDIS_URL|BROKER|DSN",
        flags=re.IGNORECASE,
    )

    def get_post_parameters(self, request: Any) -> Any:
        params = super().get_post_parameters(request)
        if request is None or not hasattr(params, "items"):
            return params
        cleansed = params.copy()
        for name in list(cleansed.keys()):
            if SENSITIVE_KEY.search(name):
                cleansed[name] = self.cleansed_substitute
        return cleansed
