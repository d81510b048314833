"""Password validators: a length cap, banned words, and no reuse of recent passwords.

`PasswordHistoryValidator.password_changed` is Django's hook after any password is set (forms,
admin, `set_password` + `save`): it records the hash, stamps the change and audits it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path
from typing import Any

from django.contrib.auth.hashers import check_password
from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _

from sartcm.security import policy

BANNED_WORDS_FILE = Path(__file__).with_name("banned_words.txt")
# Undo the swaps people use to "strengthen" a word (p4ssw0rd → password).
_LEET = str.maketrans(
    {"0": "o", "1": "i", "3": "e", "4": "a", "5": "s", "7": "t", "@": "a", "$": "s", "!": "i"}
)


class MaximumLengthValidator:
    """Refuse passwords longer than `max_length` (128: long passphrases fit, hashing stays cheap)."""

    def __init__(self, max_length: int = 128) -> None:
        self.max_length = max_length

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > self.max_length:
            raise ValidationError(
                _("This password is too long. It must contain at most %(max_length)d characters."),
                code="password_too_long",
                params={"max_length": self.max_length},
            )

    def get_help_text(self) -> str:
        return _("Your password can be up to %(max_length)d characters long.") % {
            "max_length": self.max_length
        }


@functools.cache
def _file_words() -> frozenset[str]:
    words = set()
    for line in BANNED_WORDS_FILE.read_text(encoding="utf-8").splitlines():
        line = line.strip().lower()
        if line and not line.startswith("#"):
            words.add(line)
    return frozenset(words)


def banned_words() -> set[str]:
    """The project list plus each agency's short name of 4+ letters (shorter ones are too
    likely to occur inside an innocent passphrase)."""
    from agencies.models import Agency

    words = set(_file_words())
    for short_name in Agency.objects.values_list("short_name", flat=True):
        cleaned = re.sub(r"[^a-z0-9]", "", short_name.lower())
        if len(cleaned) >= 4:
            words.add(cleaned)
    return words


def _normalise(password: str) -> str:
    return re.sub(r"[^a-z]", "", password.lower().translate(_LEET))


class BannedWordsValidator:
    """Refuse passwords containing a banned word (system, agency and guessable words)."""

    def validate(self, password: str, user: Any = None) -> None:
        plain = password.lower()
        normalised = _normalise(password)
        for word in sorted(banned_words()):
            if word in plain or _normalise(word) in normalised:
                raise ValidationError(
                    _("This password contains a word that is not allowed here (“%(word)s”)."),
                    code="password_banned_word",
                    params={"word": word},
                )

    def get_help_text(self) -> str:
        return _(
            "Your password can’t contain the system’s or an agency’s name, or words like “password”."
        )


class PasswordHistoryValidator:
    """Refuse the current password and the last N (default 10) a user has had."""

    def __init__(self, history: int | None = None) -> None:
        self.history = history

    @property
    def size(self) -> int:
        return self.history or policy.password_history()

    def validate(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from sartcm.security.models import PasswordHistory

        hashes = list(
            PasswordHistory.objects.filter(user_id=user.pk).values_list("password", flat=True)[
                : self.size
            ]
        )
        if user.password:
            hashes.append(user.password)
        # hashers.check_password, not user.check_password: no hash upgrade saved as a side effect.
        if any(check_password(password, encoded) for encoded in hashes):
            raise ValidationError(
                _(
                    "You have used this password recently. Choose one you have not used in your last %(count)d passwords."
                ),
                code="password_reused",
                params={"count": self.size},
            )

    def password_changed(self, password: str, user: Any = None) -> None:
        if user is None or user.pk is None:
            return
        from sartcm.security.services import record_password_change

        record_password_change(user, at=timezone.now())

    def get_help_text(self) -> str:
        return _("You can’t reuse any of your last %(count)d passwords.") % {"count": self.size}
