"""Full-text search: FTS5 on SQLite, tsvector on PostgreSQL, visibility respected."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.conftest import Persona
from tests.incidents.test_api import declare
from tests.web.helpers import sign_in


def test_search_titles_summaries_and_notes_with_highlights(
    client: TestClient, personas: dict[str, Persona]
) -> None:
    responder = personas["responder"].headers
    checkout = declare(
        client, personas["responder"], title="Checkout failing", summary="Card payments time out"
    ).json()["ref"]
    dns = declare(client, personas["responder"], title="DNS resolution slow").json()["ref"]
    client.post(
        f"/api/v1/incidents/{dns}/notes",
        json={"body": "The resolver <b>cache</b> was cold after the certificate rotation"},
        headers=responder,
    )

    hits = client.get("/api/v1/incidents/search?q=payments", headers=responder)
    assert hits.status_code == 200, hits.text
    [hit] = hits.json()
    assert hit["ref"] == checkout and hit["source"] == "incident"
    assert "<mark>payments</mark>" in hit["snippet_html"]

    [note] = client.get(
        "/api/v1/incidents/search?q=certif", headers=responder
    ).json()  # a prefix, while typing
    assert note["ref"] == dns and note["source"] == "note"
    assert "<mark>certificate</mark>" in note["snippet_html"]
    assert "<b>" not in note["snippet_html"]  # note text never comes back as markup

    both = client.get("/api/v1/incidents/search?q=cache cold", headers=responder).json()
    assert [h["ref"] for h in both] == [dns]
    assert (
        client.get("/api/v1/incidents/search?q=nothing-like-this", headers=responder).json() == []
    )
    syntax = client.get('/api/v1/incidents/search?q=" AND ( NEAR *', headers=responder)
    assert syntax.status_code == 200 and syntax.json() == []  # search syntax is just words here
    empty = client.get('/api/v1/incidents/search?q=" ( * )', headers=responder)
    assert empty.status_code == 422 and empty.json()["error"]["field"] == "q"
    quotes = client.get('/api/v1/incidents/search?q="checkout', headers=responder)
    assert quotes.status_code == 200 and [h["ref"] for h in quotes.json()] == [checkout]


def test_search_respects_visibility(client: TestClient, personas: dict[str, Persona]) -> None:
    secret = declare(
        client,
        personas["responder"],
        title="Payroll export copied",
        type="insider",
        restricted=True,
    ).json()["ref"]
    client.post(
        f"/api/v1/incidents/{secret}/notes",
        json={"body": "payroll spreadsheet on a USB stick"},
        headers=personas["responder"].headers,
    )
    assert (
        client.get(
            "/api/v1/incidents/search?q=payroll", headers=personas["outsider"].headers
        ).json()
        == []
    )
    assert (
        len(
            client.get(
                "/api/v1/incidents/search?q=payroll", headers=personas["admin"].headers
            ).json()
        )
        == 2
    )
    sign_in(client, "outsider@example.com")
    page = client.get("/incidents/search?q=payroll").text
    assert "Payroll export" not in page and "Nothing matches" in page


def test_search_page_highlights(client: TestClient, personas: dict[str, Persona]) -> None:
    declare(client, personas["responder"], title="Checkout failing")
    sign_in(client, "viewer@example.com")
    page = client.get("/incidents/search?q=checkout").text
    assert "<mark>Checkout</mark>" in page
