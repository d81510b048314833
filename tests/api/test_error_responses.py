"""Every error under /api/ is problem+json in the shape of sartcm.api.exceptions, also when no
API view ran (a URL that matches no route, an uncaught exception) and also with DEBUG on
(Django's technical pages list the routes and the stack): nothing leaks. Pages keep HTML."""

from __future__ import annotations

import json

import pytest
from django.test import Client, RequestFactory

from agencies.choices import Role
from sartcm.api.errors import server_error
from tests.api.urls_faulty import SECRET
from tests.factories_contacts import build_world
from tests.factories_sync import key_client

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NOT_FOUND = {"type": "about:blank", "title": "Not found.", "status": 404, "detail": "Not found."}


def problem(response) -> dict:  # noqa: ANN001
    assert response["Content-Type"].startswith(PROBLEM), response.content[:200]
    return json.loads(response.content)


@pytest.fixture
def api():  # noqa: ANN201
    world = build_world()
    return key_client(world.lead, Role.CASE_MANAGER)


@pytest.fixture(params=[False, True], ids=["debug-off", "debug-on"])
def debug(request, settings) -> bool:  # noqa: ANN001
    settings.DEBUG = request.param
    return request.param


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/cases/1.5/",
        "/api/v1/cases/abc/",
        "/api/v1/cases/-1/",
        "/api/v1/contacts/1e3/",
        "/api/v1/cases/1/no-such-action/",
        "/api/v1/no-such-resource/",
        "/api/v2/cases/",
        "/api/",
    ],
)
def test_an_unmatched_api_url_is_a_problem_404(api, debug: bool, path: str) -> None:  # noqa: ANN001
    # when a system calls a URL no API route matches (a malformed id, an unknown resource)
    response = api.get(path)
    # then the answer is the 404 problem every other missing record gets, and nothing more
    assert response.status_code == 404
    assert problem(response) == NOT_FOUND
    body = response.content.decode()
    assert "urlpatterns" not in body and "Traceback" not in body
    assert path.strip("/").split("/")[-1] not in body.replace("Not found.", "")


def test_an_unmatched_api_url_answers_the_same_as_a_missing_record(api) -> None:  # noqa: ANN001
    missing = api.get("/api/v1/cases/999999/")
    malformed = api.get("/api/v1/cases/abc/")
    assert missing.status_code == malformed.status_code == 404
    assert problem(missing)["title"] == problem(malformed)["title"] == "Not found."


def test_without_a_key_any_api_url_is_a_problem_401_that_does_not_tell_routes_apart(
    debug: bool,
) -> None:
    existing = Client().delete("/api/v1/cases/1/")
    malformed = Client().delete("/api/v1/cases/abc/")
    assert existing.status_code == malformed.status_code == 401
    assert problem(existing) == problem(malformed)


def test_a_page_that_does_not_exist_keeps_the_html_404_page() -> None:
    response = Client().get("/cases/abc/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
    assert b"Page not found" in response.content


def test_a_method_the_resource_does_not_take_is_a_problem_405(api) -> None:  # noqa: ANN001
    response = api.delete("/api/v1/agencies/")
    assert response.status_code == 405
    assert problem(response) == {
        "type": "about:blank",
        "title": "Method not allowed.",
        "status": 405,
        "detail": 'Method "DELETE" not allowed.',
    }
    assert "DELETE" not in response["Allow"]


@pytest.mark.urls("tests.api.urls_faulty")
def test_an_uncaught_error_under_the_api_is_a_problem_500_without_the_trace(debug: bool) -> None:
    # when an API view fails with an unexpected exception
    response = Client(raise_request_exception=False).get("/api/v1/failing/")
    # then a problem+json 500 names the request id to quote, and shows nothing of the error
    assert response.status_code == 500
    body = problem(response)
    request_id = response["X-Request-ID"]
    assert body == {
        "type": "about:blank",
        "title": "Server error.",
        "status": 500,
        "detail": f"An unexpected error occurred; it has been logged. Quote request id {request_id}.",
    }
    text = response.content.decode()
    for leak in (SECRET, "RuntimeError", "Traceback", "settings.py"):
        assert leak not in text


@pytest.mark.urls("tests.api.urls_faulty")
def test_an_uncaught_error_on_a_page_keeps_the_html_error_page() -> None:
    response = Client(raise_request_exception=False).get("/failing/")
    assert response.status_code == 500
    assert response["Content-Type"].startswith("text/html")
    assert SECRET.encode() not in response.content


def test_handler500_answers_problem_json_under_the_api_and_html_elsewhere() -> None:
    api = server_error(RequestFactory().get("/api/v1/cases/"))
    assert api.status_code == 500 and api["Content-Type"] == PROBLEM
    assert json.loads(api.content)["title"] == "Server error."
    page = server_error(RequestFactory().get("/cases/"))
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "query",
    [
        "jurisdiction=%C2%86%00",  # a filter compared in SQL: psycopg2 refuses NUL (was a 500)
        "ordering=status&status=a%00b",
        "updated_since=2026-01-01&x%00y=1",  # in a parameter's name too
    ],
)
def test_a_nul_character_in_a_query_parameter_is_a_400_naming_it(api, query: str) -> None:  # noqa: ANN001
    response = api.get(f"/api/v1/standards/alert-setting/?{query}")
    assert response.status_code == 400
    body = problem(response)
    assert body["title"] == "Invalid input."
    (name,) = body["errors"]
    assert name in query.replace("%00", "\ufffd").replace("%C2%86", "\x86")
    assert body["errors"][name] == ["Must not contain a NUL character (%00)."]


def test_a_nul_character_on_a_page_is_the_html_400_page() -> None:
    response = Client().get("/login/?next=%00")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_a_query_without_nul_still_reaches_the_view(api) -> None:  # noqa: ANN001
    response = api.get("/api/v1/standards/alert-setting/?jurisdiction=Prairie")
    assert response.status_code == 200


@pytest.mark.parametrize("path", ["/api/v1/cases/?", "/api/v1/sync/removed/?since=2026-01-01&"])
@pytest.mark.parametrize("size", ["abc", "0", "-3", "1.5"])
def test_a_page_size_that_is_not_a_whole_number_from_1_is_a_400_naming_it(
    api,  # noqa: ANN001
    path: str,
    size: str,
) -> None:
    response = api.get(f"{path}page_size={size}")
    assert response.status_code == 400, response.content[:200]
    body = problem(response)
    assert list(body["errors"]) == ["page_size"]
    assert "whole number from 1 to" in body["errors"]["page_size"][0]


@pytest.mark.parametrize("page", ["abc", "0", "-2", "1.5", "lastish"])
def test_a_page_number_that_is_not_a_whole_number_from_1_is_a_400_naming_it(
    api,  # noqa: ANN001
    page: str,
) -> None:
    response = api.get(f"/api/v1/cases/?page={page}")
    assert response.status_code == 400, response.content[:200]
    body = problem(response)
    assert list(body["errors"]) == ["page"]
    assert "whole number of at least 1" in body["errors"]["page"][0]
    assert repr(page) in body["errors"]["page"][0]


def test_a_page_past_the_end_is_a_404_and_last_is_the_last_page(api) -> None:  # noqa: ANN001
    count = api.get("/api/v1/cases/").json()["count"]
    assert api.get(f"/api/v1/cases/?page={count + 1}&page_size=1").status_code == 404
    numbered = api.get(f"/api/v1/cases/?page={count}&page_size=1").json()
    last = api.get("/api/v1/cases/?page=last&page_size=1").json()
    assert count >= 1 and last["next"] is None and last["results"] == numbered["results"]


def test_the_last_page_of_a_list_past_the_count_cap_is_a_400_saying_why(
    api,  # noqa: ANN001
    monkeypatch,  # noqa: ANN001
) -> None:
    from sartcm.api.pagination import CappedPaginator

    # given a list longer than the paginator counts (its last page is not known)
    monkeypatch.setattr(CappedPaginator, "cap", 0)
    response = api.get("/api/v1/cases/?page=last")
    assert response.status_code == 400, response.content[:200]
    assert list(problem(response)["errors"]) == ["page"]
    assert "follow next" in problem(response)["errors"]["page"][0]
    # numbered pages still work
    assert api.get("/api/v1/cases/?page=1").status_code == 200
    assert api.get("/api/v1/cases/?page=").status_code == 200  # absent: the first page


def test_a_page_size_above_the_maximum_is_the_maximum(api) -> None:  # noqa: ANN001
    assert api.get("/api/v1/cases/?page_size=100000").status_code == 200
    assert api.get("/api/v1/cases/?page_size=").status_code == 200  # absent: the default
