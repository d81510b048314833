"""Breaking-change check between two OpenAPI 3 schemas (the committed one and a fresh one).

`manage.py schema_diff openapi/schema.yml new.yml` exits non-zero and lists every breaking
change; additions (paths, operations, optional parameters and request fields, response
fields, enum values accepted) pass. Breaking:
- a path or an operation removed; a documented 2xx response (or its media type) removed;
- a response field removed, no longer always present, or its type/format changed;
- a request field newly required, removed, or its type/format changed; an enum value of a
  request field removed;
- a parameter newly required, or its type changed; a request body newly required.
`make schema-check` runs it; `make schema` accepts the new schema by updating the copy.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml
from django.core.management.base import BaseCommand, CommandError

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class Diff:
    """Walks an old and a new schema, collecting breaking changes as readable lines."""

    def __init__(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.old_doc, self.new_doc = old, new
        self.problems: list[str] = []
        self.seen: set[tuple[str, str, str]] = set()

    # --- schema helpers ---------------------------------------------------------------------

    @staticmethod
    def resolve(schema: Any, doc: dict[str, Any]) -> tuple[dict[str, Any], str]:
        """Follow $ref (and merge allOf); returns (schema, ref name or '')."""
        ref = ""
        depth = 0
        while isinstance(schema, dict) and "$ref" in schema and depth < 50:
            ref = schema["$ref"]
            node: Any = doc
            for part in ref.lstrip("#/").split("/"):
                node = node.get(part, {}) if isinstance(node, dict) else {}
            schema = node
            depth += 1
        if not isinstance(schema, dict):
            return {}, ref
        if "allOf" in schema:
            merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
            properties: dict[str, Any] = dict(merged.get("properties", {}))
            required: list[str] = list(merged.get("required", []))
            for part in schema["allOf"]:
                resolved, _ = Diff.resolve(part, doc)
                for key, value in resolved.items():
                    if key == "properties":
                        properties.update(value)
                    elif key == "required":
                        required.extend(value)
                    else:
                        merged.setdefault(key, value)
            if properties:
                merged["properties"] = properties
            if required:
                merged["required"] = sorted(set(required))
            return merged, ref
        return schema, ref

    def report(self, where: str, what: str) -> None:
        self.problems.append(f"{where}: {what}")

    def compare(self, old: Any, new: Any, where: str, direction: str) -> None:
        old_s, old_ref = self.resolve(old, self.old_doc)
        new_s, new_ref = self.resolve(new, self.new_doc)
        key = (old_ref or str(id(old)), new_ref or str(id(new)), direction)
        if old_ref and new_ref:
            if key in self.seen:
                return  # already compared (and cycles end here)
            self.seen.add(key)
        old_type, new_type = old_s.get("type"), new_s.get("type")
        if old_type and new_type and old_type != new_type:
            self.report(where, f"type changed from {old_type} to {new_type}")
            return
        if old_type and not new_type and direction == "request" and not new_s:
            return  # now accepts anything: not breaking for a request
        old_format, new_format = old_s.get("format"), new_s.get("format")
        if old_format and new_format and old_format != new_format:
            self.report(where, f"format changed from {old_format} to {new_format}")
        if direction == "request":
            removed_values = sorted(
                set(map(str, old_s.get("enum") or [])) - set(map(str, new_s.get("enum") or []))
            )
            if old_s.get("enum") and new_s.get("enum") and removed_values:
                self.report(where, f"no longer accepts {', '.join(removed_values)}")
        old_props = old_s.get("properties") or {}
        new_props = new_s.get("properties") or {}
        for name, old_prop in old_props.items():
            if name not in new_props:
                kind = "response field" if direction == "response" else "request field"
                if not (direction == "request" and _read_only(old_prop, self.old_doc)):
                    self.report(where, f"{kind} '{name}' removed")
                continue
            self.compare(old_prop, new_props[name], f"{where}.{name}", direction)
        if direction == "response":
            no_longer_required = sorted(
                (set(old_s.get("required") or []) - set(new_s.get("required") or []))
                & set(new_props)
            )
            for name in no_longer_required:
                self.report(where, f"response field '{name}' is no longer always present")
        if direction == "request":
            newly_required = sorted(
                set(new_s.get("required") or []) - set(old_s.get("required") or [])
            )
            for name in newly_required:
                self.report(where, f"request field '{name}' is now required")
        if "items" in old_s and "items" in new_s:
            self.compare(old_s["items"], new_s["items"], f"{where}[]", direction)
        for combinator in ("oneOf", "anyOf"):
            olds, news = old_s.get(combinator), new_s.get(combinator)
            if olds and news and len(olds) == len(news):
                for n, (o, w) in enumerate(zip(olds, news, strict=True)):
                    self.compare(o, w, f"{where}<{combinator}{n}>", direction)

    # --- operations -------------------------------------------------------------------------

    def parameters(self, old_op: dict[str, Any], new_op: dict[str, Any], where: str) -> None:
        def index(op: dict[str, Any], doc: dict[str, Any]) -> dict[tuple[str, str], dict]:
            result = {}
            for param in op.get("parameters", []):
                resolved, _ = self.resolve(param, doc)
                result[(resolved.get("in", ""), resolved.get("name", ""))] = resolved
            return result

        old_params = index(old_op, self.old_doc)
        for key, param in index(new_op, self.new_doc).items():
            label = f"{where} parameter {key[1]} ({key[0]})"
            before = old_params.get(key)
            if param.get("required") and not (before or {}).get("required"):
                self.report(label, "is now required")
            if before is not None:
                self.compare(before.get("schema", {}), param.get("schema", {}), label, "request")

    def operation(self, old_op: dict[str, Any], new_op: dict[str, Any], where: str) -> None:
        self.parameters(old_op, new_op, where)
        old_body = old_op.get("requestBody")
        new_body = new_op.get("requestBody")
        if new_body is not None:
            new_body, _ = self.resolve(new_body, self.new_doc)
            old_resolved = self.resolve(old_body, self.old_doc)[0] if old_body else {}
            if new_body.get("required") and not old_resolved.get("required"):
                self.report(where, "request body is now required")
            for media, content in (old_resolved.get("content") or {}).items():
                new_content = (new_body.get("content") or {}).get(media)
                if new_content is None:
                    self.report(where, f"request media type {media} no longer accepted")
                    continue
                self.compare(
                    content.get("schema", {}),
                    new_content.get("schema", {}),
                    f"{where} request {media}",
                    "request",
                )
        elif old_body is not None:
            self.report(where, "request body no longer accepted")
        new_responses = new_op.get("responses") or {}
        for code, old_response in (old_op.get("responses") or {}).items():
            if not str(code).startswith("2"):
                continue  # error responses may change shape without breaking the happy path
            new_response = new_responses.get(code)
            if new_response is None:
                self.report(where, f"response {code} removed")
                continue
            old_r, _ = self.resolve(old_response, self.old_doc)
            new_r, _ = self.resolve(new_response, self.new_doc)
            for media, content in (old_r.get("content") or {}).items():
                new_content = (new_r.get("content") or {}).get(media)
                if new_content is None:
                    self.report(where, f"response {code} media type {media} removed")
                    continue
                self.compare(
                    content.get("schema", {}),
                    new_content.get("schema", {}),
                    f"{where} response {code}",
                    "response",
                )

    def run(self) -> list[str]:
        new_paths = self.new_doc.get("paths") or {}
        for path, old_item in (self.old_doc.get("paths") or {}).items():
            new_item = new_paths.get(path)
            if new_item is None:
                self.report(path, "path removed")
                continue
            for method in METHODS:
                if method not in old_item:
                    continue
                where = f"{method.upper()} {path}"
                if method not in new_item:
                    self.report(where, "operation removed")
                    continue
                self.operation(old_item[method], new_item[method], where)
        return self.problems


def _read_only(schema: Any, doc: dict[str, Any]) -> bool:
    resolved, _ = Diff.resolve(schema, doc)
    return bool(resolved.get("readOnly"))


def breaking_changes(old: dict[str, Any], new: dict[str, Any]) -> list[str]:
    """Every breaking change from `old` to `new` (empty: `new` is compatible)."""
    return Diff(old, new).run()


def load(path: str) -> dict[str, Any]:
    try:
        return yaml.safe_load(Path(path).read_text()) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise CommandError(f"Cannot read {path}: {exc}") from None


class Command(BaseCommand):
    help = "Fail if NEW (an OpenAPI schema) breaks clients written against OLD."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("old", help="The committed schema (openapi/schema.yml).")
        parser.add_argument("new", help="The freshly generated schema.")

    def handle(self, *args: Any, **options: Any) -> None:
        problems = breaking_changes(load(options["old"]), load(options["new"]))
        if problems:
            for line in problems:
                self.stderr.write(f"BREAKING {line}")
            raise CommandError(
                f"{len(problems)} breaking API change(s). Keep the old behaviour, or, if the "
                "break is intended (a new API version), run `make schema` and say so in the "
                "commit."
            )
        self.stdout.write("No breaking API changes.")
