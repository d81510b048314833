"""Every operation of the generated schema is documented with examples, and every example is
valid against the schema it illustrates (so a new endpoint without examples, or an example that
drifted from its serializer, fails here).

Examples are checked strictly: an object with declared properties accepts no other keys (an
example naming a field the API does not have is wrong), `nullable` is honoured.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from drf_spectacular.generators import SchemaGenerator

METHODS = ("get", "post", "put", "patch", "delete")


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method in METHODS:
            if method in item:
                yield f"{method.upper()} {path}", item[method]


def to_json_schema(node: Any) -> Any:
    """OpenAPI 3.0 schema object → JSON Schema (nullable, strict objects)."""
    if isinstance(node, list):
        return [to_json_schema(n) for n in node]
    if not isinstance(node, dict):
        return node
    out = {k: to_json_schema(v) for k, v in node.items() if k not in ("nullable", "example")}
    if "properties" in out and "additionalProperties" not in out:
        out["additionalProperties"] = False
    if node.get("nullable"):
        return {"anyOf": [out, {"type": "null"}]}
    return out


def validator_for(schema: dict[str, Any], media: dict[str, Any]) -> jsonschema.Validator:
    root = {
        "components": {"schemas": to_json_schema(schema["components"]["schemas"])},
        **to_json_schema(media["schema"]),
    }
    return jsonschema.Draft7Validator(root)


def test_every_operation_has_examples(schema: dict[str, Any]) -> None:
    missing = []
    for where, op in operations(schema):
        for media_type, media in (op.get("requestBody") or {}).get("content", {}).items():
            if not media.get("examples"):
                missing.append(f"{where}: request {media_type}")
        for code, response in op["responses"].items():
            if not code.startswith("2"):
                continue
            for media_type, media in (response.get("content") or {}).items():
                if not media.get("examples"):
                    missing.append(f"{where}: response {code} {media_type}")
    assert not missing, "operations without examples:\n" + "\n".join(missing)


def test_every_documented_error_has_a_problem_example(schema: dict[str, Any]) -> None:
    missing = []
    for where, op in operations(schema):
        for code, response in op["responses"].items():
            problem = (response.get("content") or {}).get("application/problem+json")
            if problem is not None and not problem.get("examples"):
                missing.append(f"{where}: {code}")
    assert not missing, missing


def test_examples_validate_against_their_schema(schema: dict[str, Any]) -> None:
    failures = []
    checked = 0
    for where, op in operations(schema):
        bodies = [("request", (op.get("requestBody") or {}).get("content", {}))]
        bodies += [(code, r.get("content") or {}) for code, r in op["responses"].items()]
        for label, content in bodies:
            for media_type, media in content.items():
                validator = validator_for(schema, media)
                for name, example in (media.get("examples") or {}).items():
                    checked += 1
                    for error in validator.iter_errors(example["value"]):
                        failures.append(
                            f"{where} {label} {media_type} «{name}» at "
                            f"{'/'.join(map(str, error.absolute_path))}: {error.message}"
                        )
    assert checked > 300  # the walk really saw the examples
    assert not failures, "\n".join(failures)


def test_the_strict_check_catches_a_wrong_example(schema: dict[str, Any]) -> None:
    """The validator refuses an unknown field, a wrong type and a null where none is allowed."""
    media = {"schema": {"$ref": "#/components/schemas/SupervisionContact"}}
    validator = validator_for(schema, media)
    good = {"id": 1, "case": 2, "contact_at": "2026-03-02T10:30:00-06:00"}
    assert validator.is_valid(good)
    assert not validator.is_valid({**good, "officer": "Dana"})
    assert not validator.is_valid({**good, "case": "57"})
    assert not validator.is_valid({**good, "notes": None})


def test_every_write_documents_if_match_and_412(schema: dict[str, Any]) -> None:
    """PUT/PATCH/DELETE on one object take If-Match and answer 412 when it is stale."""
    missing = []
    for where, op in operations(schema):
        if where.split()[0] not in ("PUT", "PATCH", "DELETE"):
            continue
        headers = {p["name"] for p in op.get("parameters", []) if p["in"] == "header"}
        if "If-Match" not in headers or "412" not in op["responses"]:
            missing.append(where)
    assert not missing, missing
