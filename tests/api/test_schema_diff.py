"""The breaking-change checker behind `make schema-check`."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from sartcm.management.commands.schema_diff import breaking_changes

COMMITTED = Path(__file__).resolve().parents[2] / "openapi" / "schema.yml"

BASE = {
    "openapi": "3.0.3",
    "paths": {
        "/things/": {
            "get": {
                "parameters": [{"in": "query", "name": "page", "schema": {"type": "integer"}}],
                "responses": {
                    "200": {
                        "content": {
                            "application/json": {
                                "schema": {
                                    "type": "array",
                                    "items": {"$ref": "#/components/schemas/Thing"},
                                }
                            }
                        }
                    }
                },
            },
            "post": {
                "requestBody": {
                    "content": {
                        "application/json": {
                            "schema": {"$ref": "#/components/schemas/ThingRequest"}
                        }
                    }
                },
                "responses": {
                    "201": {
                        "content": {
                            "application/json": {"schema": {"$ref": "#/components/schemas/Thing"}}
                        }
                    },
                    "400": {
                        "content": {"application/problem+json": {"schema": {"type": "object"}}}
                    },
                },
            },
        },
        "/things/{id}/": {"delete": {"responses": {"204": {"description": "gone"}}}},
    },
    "components": {
        "schemas": {
            "Thing": {
                "type": "object",
                "required": ["id"],
                "properties": {
                    "id": {"type": "integer"},
                    "when": {"type": "string", "format": "date-time"},
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "child": {"$ref": "#/components/schemas/Thing"},
                },
            },
            "ThingRequest": {
                "type": "object",
                "required": ["kind"],
                "properties": {
                    "kind": {"type": "string", "enum": ["a", "b"]},
                    "note": {"type": "string"},
                },
            },
        }
    },
}


def changed(mutate) -> list[str]:  # noqa: ANN001
    new = copy.deepcopy(BASE)
    mutate(new)
    return breaking_changes(BASE, new)


def schemas(doc: dict) -> dict:
    return doc["components"]["schemas"]


def test_identical_and_purely_additive_schemas_pass() -> None:
    def add_things(doc: dict) -> None:
        doc["paths"]["/other/"] = {"get": {"responses": {"200": {"description": "ok"}}}}
        doc["paths"]["/things/{id}/"]["get"] = {"responses": {"200": {"description": "ok"}}}
        schemas(doc)["Thing"]["properties"]["extra"] = {"type": "string"}
        schemas(doc)["ThingRequest"]["properties"]["optional"] = {"type": "integer"}
        schemas(doc)["ThingRequest"]["properties"]["kind"]["enum"].append("c")
        doc["paths"]["/things/"]["get"]["parameters"].append(
            {"in": "query", "name": "updated_since", "schema": {"type": "string"}}
        )
        doc["paths"]["/things/"]["post"]["responses"]["400"] = {"description": "changed"}

    assert breaking_changes(BASE, copy.deepcopy(BASE)) == []
    assert changed(add_things) == []


@pytest.mark.parametrize(
    ("mutate", "expected"),
    [
        (lambda d: d["paths"].pop("/things/{id}/"), "/things/{id}/: path removed"),
        (lambda d: d["paths"]["/things/"].pop("post"), "POST /things/: operation removed"),
        (
            lambda d: schemas(d)["Thing"]["properties"].pop("when"),
            "GET /things/ response 200[]: response field 'when' removed",
        ),
        (
            lambda d: schemas(d)["Thing"]["properties"].__setitem__("id", {"type": "string"}),
            "GET /things/ response 200[].id: type changed from integer to string",
        ),
        (
            lambda d: schemas(d)["Thing"]["properties"]["when"].__setitem__("format", "date"),
            "GET /things/ response 200[].when: format changed from date-time to date",
        ),
        (
            lambda d: schemas(d)["ThingRequest"].__setitem__("required", ["kind", "note"]),
            "POST /things/ request application/json: request field 'note' is now required",
        ),
        (
            lambda d: schemas(d)["ThingRequest"]["properties"]["kind"].__setitem__("enum", ["a"]),
            "POST /things/ request application/json.kind: no longer accepts b",
        ),
        (
            lambda d: d["paths"]["/things/"]["get"]["parameters"][0].__setitem__("required", True),
            "GET /things/ parameter page (query): is now required",
        ),
        (
            lambda d: d["paths"]["/things/"]["post"]["responses"].pop("201"),
            "POST /things/: response 201 removed",
        ),
        (
            lambda d: schemas(d)["Thing"].__setitem__("required", []),
            "GET /things/ response 200[]: response field 'id' is no longer always present",
        ),
    ],
)
def test_breaking_changes_are_named(mutate, expected) -> None:  # noqa: ANN001
    assert expected in changed(mutate)


def test_recursive_components_terminate() -> None:
    def deep(doc: dict) -> None:
        schemas(doc)["Thing"]["properties"]["child"] = {"$ref": "#/components/schemas/Thing"}

    assert changed(deep) == []


def test_the_command_fails_on_breaking_changes_and_passes_the_committed_schema(tmp_path) -> None:
    committed = yaml.safe_load(COMMITTED.read_text())
    same = tmp_path / "same.yml"
    same.write_text(yaml.safe_dump(committed))
    call_command("schema_diff", str(COMMITTED), str(same))  # no exception
    broken = copy.deepcopy(committed)
    broken["paths"].pop("/api/v1/contacts/")
    path = tmp_path / "broken.yml"
    path.write_text(yaml.safe_dump(broken))
    with pytest.raises(CommandError, match="breaking API change"):
        call_command("schema_diff", str(COMMITTED), str(path))


@pytest.mark.django_db
def test_the_committed_schema_has_no_breaking_differences_from_the_app(tmp_path) -> None:
    fresh = tmp_path / "fresh.yml"
    call_command("spectacular", "--file", str(fresh))
    problems = breaking_changes(
        yaml.safe_load(COMMITTED.read_text()), yaml.safe_load(fresh.read_text())
    )
    assert problems == [], "run `make schema` if the change is intended"
