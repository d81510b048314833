"""Data-sharing term validation: errors name the field and list what would be valid."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from agencies.choices import RecordType
from agencies.vocabulary import SHAREABLE_FIELDS
from mou import services
from mou.choices import TermScope
from mou.models import MOU, DataSharingTerm

pytestmark = pytest.mark.django_db


@pytest.fixture
def mou(parties) -> MOU:
    return services.create_mou(
        parties.doc_admin.user,
        title="Prairie MOU",
        purpose="Share data.",
        effective_date=dt.date.today(),
        parties=[(parties.csa, None)],
    )


def add(parties: Any, mou: MOU, **overrides: Any) -> DataSharingTerm:
    spec: dict[str, Any] = {
        "provider": parties.doc,
        "recipient": parties.csa,
        "record_type": RecordType.POLYGRAPH,
        "fields": ["exam_date", "result"],
        "actions": ["view"],
        "scope": TermScope.ASSIGNED,
    }
    spec.update(overrides)
    return services.add_term(parties.doc_admin.user, mou, **spec)


def test_a_valid_term_is_added_to_the_draft_version(parties, mou) -> None:
    term = add(parties, mou)
    assert (term.version, term.fields, term.actions) == (1, ["exam_date", "result"], ["view"])


def test_a_field_outside_the_vocabulary_is_named_with_the_valid_ones(parties, mou) -> None:
    with pytest.raises(ValidationError) as error:
        add(parties, mou, fields=["result", "social_security_number"])
    message = error.value.message_dict["fields"][0]
    assert "social_security_number is not a field of polygraph" in message
    assert ", ".join(SHAREABLE_FIELDS[RecordType.POLYGRAPH]) in message


def test_a_field_of_another_record_type_is_refused(parties, mou) -> None:
    # `disclosures` is a polygraph field, not a victim-safety one
    with pytest.raises(ValidationError) as error:
        add(parties, mou, record_type=RecordType.VICTIM_SAFETY, fields=["disclosures"])
    assert "disclosures is not a field of victim_safety" in error.value.message_dict["fields"][0]


def test_every_term_must_allow_view(parties, mou) -> None:
    with pytest.raises(ValidationError) as error:
        add(parties, mou, actions=["add"])
    assert error.value.message_dict["actions"] == ["Every term must allow view."]


def test_unknown_actions_and_scopes_are_named(parties, mou) -> None:
    with pytest.raises(ValidationError) as error:
        add(parties, mou, actions=["view", "delete"], scope="everything")
    errors = error.value.message_dict
    assert "Unknown action delete; valid: view, add, change." in errors["actions"]
    assert "valid: assigned, all" in errors["scope"][0]


def test_provider_and_recipient_must_be_parties_and_differ(parties, mou) -> None:
    with pytest.raises(ValidationError) as error:
        add(parties, mou, recipient=parties.outsider)
    assert error.value.message_dict["recipient"] == ["The recipient must be a party to the MOU."]
    with pytest.raises(ValidationError) as error:
        add(parties, mou, provider=parties.outsider)
    assert "provider" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        add(parties, mou, recipient=parties.doc)
    assert "different agencies" in error.value.message_dict["recipient"][0]


def test_one_term_per_provider_recipient_and_record_type(parties, mou) -> None:
    add(parties, mou)
    with pytest.raises(ValidationError) as error:
        add(parties, mou, fields=["notes"])
    assert "edit that term instead" in error.value.message_dict["record_type"][0]


def test_terms_are_edited_by_party_administrators_only(parties, mou) -> None:
    with pytest.raises(PermissionDenied):
        services.add_term(
            parties.outsider_admin.user,
            mou,
            provider=parties.doc,
            recipient=parties.csa,
            record_type=RecordType.STATUS,
            fields=["status"],
        )
    with pytest.raises(PermissionDenied):
        services.add_term(
            parties.csa_officer.user,
            mou,
            provider=parties.doc,
            recipient=parties.csa,
            record_type=RecordType.STATUS,
            fields=["status"],
        )


def test_a_term_is_changed_and_removed_while_the_mou_is_a_draft(parties, mou) -> None:
    term = add(parties, mou)
    services.update_term(parties.csa_admin.user, term, fields=["result"], actions=["view", "add"])
    term.refresh_from_db()
    assert (term.fields, term.actions) == (["result"], ["view", "add"])
    services.remove_term(parties.doc_admin.user, term)
    assert not DataSharingTerm.objects.filter(pk=term.pk).exists()


def test_terms_of_a_mou_awaiting_signatures_are_frozen(parties, mou) -> None:
    term = add(parties, mou)
    services.send_for_signature(parties.doc_admin.user, mou)
    with pytest.raises(ValidationError):
        services.update_term(parties.doc_admin.user, term, fields=["result"])
    with pytest.raises(ValidationError):
        services.remove_term(parties.doc_admin.user, term)
