"""Whatever a person types into a page's form, or a crafted request puts in
its place, is answered with the page again and the field named, or done:
never a 500.

The test signs in to the demo organisation as its admin, walks the pages
from the dashboard (links on the site, breadth first), collects every form,
and sends each one again and again: each field in turn, hidden ones
included, holds a value from a list of awkward ones (empty, very long,
control characters, dates at the edge of the calendar, numbers past any
column, markup) while the others keep what the page put there. The values
rotate from field to field, so that every kind reaches many fields and the
run stays short."""

from __future__ import annotations

import re
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import parse_qs, urljoin, urlsplit

from fastapi.testclient import TestClient

from fireline import demo
from fireline.core.clock import FixedClock
from fireline.core.config import Settings
from fireline.core.db import Database
from tests.web.helpers import sign_in

PASSWORD = "a demo password"
MAX_PAGES = 1000
PAGES_PER_KIND = 12
# Forms that would end the run's own session or take its rights away.
LEFT_OUT_ACTIONS = ("/logout",)
LEFT_OUT_ENDINGS = ("/role",)
# Links not worth following: files and feeds.
LEFT_OUT_FILES = (".pdf", ".ics", ".csv", ".json", ".md", ".atom", ".xml")
LEFT_OUT_PLACES = ("/static/", "/api/")
AWKWARD = [
    "",
    " ",
    "x" * 20_000,
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "0001-01-01",
    "9999-12-31",
    "2026-02-30",
    "-1",
    "0",
    "18446744073709551616",
    "1e309",
    "NaN",
    "nul\x00byte",
    "\x1b[31m\u202eright-to-left",
    "<script>alert(1)</script>",
    "../../etc/passwd",
    "SEV0",
]
TRIES_PER_FIELD = 6
REF = re.compile(r"[A-Z]{2,4}-\d+")


@dataclass
class Form:
    page: str
    action: str
    method: str
    fields: list[tuple[str, str]] = field(default_factory=list)
    # The choices of each select, for the values the page offers.
    choices: dict[str, list[str]] = field(default_factory=dict)


class PageReader(HTMLParser):
    """The links and forms of one page."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.page = page
        self.links: list[str] = []
        self.forms: list[Form] = []
        self._form: Form | None = None
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "a" and a.get("href"):
            self.links.append(urljoin(self.page, a["href"]))
        elif tag == "form":
            action = urljoin(self.page, a.get("action") or self.page)
            self._form = Form(self.page, action, (a.get("method") or "get").lower())
            self.forms.append(self._form)
        elif self._form is None or not a.get("name"):
            return
        elif tag == "input" and a.get("type") not in ("submit", "button", "file", "image", "reset"):
            if a.get("type") in ("checkbox", "radio") and "checked" not in a:
                self._form.choices.setdefault(a["name"], []).append(a.get("value") or "on")
                return
            self._form.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a["name"]
            self._form.fields.append((a["name"], ""))
        elif tag == "textarea":
            self._textarea = a["name"]
            self._form.fields.append((a["name"], ""))
        elif tag == "option" and self._select and "value" in a:
            offered = self._form.choices.setdefault(self._select, [])
            offered.append(a["value"])
            if len(offered) == 1 or "selected" in a:
                self._set(self._select, a["value"])

    def handle_data(self, data: str) -> None:
        if self._form is not None and self._textarea is not None:
            self._set(self._textarea, dict(self._form.fields)[self._textarea] + data)

    def _set(self, name: str, value: str) -> None:
        assert self._form is not None
        self._form.fields = [(k, value if k == name else v) for k, v in self._form.fields]

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._form = None
        elif tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None


def crawl(client: TestClient) -> tuple[list[str], list[Form]]:
    seen: set[str] = {"/"}
    kinds: Counter[tuple[str, tuple[str, ...]]] = Counter()
    queue: deque[str] = deque(["/"])
    pages: list[str] = []
    forms: dict[tuple[str, str, tuple[str, ...]], Form] = {}
    while queue and len(pages) < MAX_PAGES:
        path = queue.popleft()
        response = client.get(path)
        assert response.status_code < 500, (path, response.text[:500])
        if "text/html" not in response.headers.get("content-type", ""):
            continue
        pages.append(path)
        reader = PageReader(f"http://testserver{path}")
        reader.feed(response.text)
        for link in reader.links:
            parts = urlsplit(link)
            if (
                parts.netloc != "testserver"
                or parts.path.endswith(LEFT_OUT_FILES)
                or parts.path.startswith(LEFT_OUT_PLACES)
            ):
                continue
            target = parts.path + (f"?{parts.query}" if parts.query else "")
            # A few pages of each kind: every incident's page holds the same forms.
            kind = (_shape(parts.path), tuple(sorted(parse_qs(parts.query))))
            if target in seen or kinds[kind] >= PAGES_PER_KIND:
                continue
            seen.add(target)
            kinds[kind] += 1
            queue.append(target)
        for form in reader.forms:
            action = urlsplit(form.action).path
            if action.startswith(LEFT_OUT_ACTIONS) or action.endswith(LEFT_OUT_ENDINGS):
                continue
            # One form of each shape is enough: a list page repeats its row forms.
            shape = (form.method, _shape(action), tuple(sorted(k for k, _ in form.fields)))
            forms.setdefault(shape, form)
    return pages, list(forms.values())


def _shape(path: str) -> str:
    """/incidents/INC-4/tasks/17 -> /incidents/REF/tasks/N"""
    return "/".join(
        "N" if part.isdigit() else "REF" if REF.fullmatch(part) else part
        for part in path.split("/")
    )


def test_no_form_is_answered_with_a_server_error(
    client: TestClient,
    db: Database,
    clock: FixedClock,
    settings: Settings,
    run_jobs: Callable[[], int],
) -> None:
    with db.transaction() as session:
        demo.seed(session, now=clock.now(), password=PASSWORD, settings=settings)
    run_jobs()
    assert sign_in(client, demo.DEMO_ADMIN_EMAIL, PASSWORD).status_code == 303
    pages, forms = crawl(client)
    assert len(pages) > 100 and len(forms) > 60, (len(pages), len(forms))
    failures: list[str] = []
    turn = 0
    for form in forms:
        action = urlsplit(form.action).path
        for index, (name, _) in enumerate(form.fields):
            if name == "csrf_token":
                continue
            for _ in range(TRIES_PER_FIELD):
                value = AWKWARD[turn % len(AWKWARD)]
                turn += 1
                data: dict[str, list[str]] = {}
                for i, (k, v) in enumerate(form.fields):
                    data.setdefault(k, []).append(value if i == index else v)
                if form.method == "post":
                    response = client.post(action, data=data, follow_redirects=False)
                else:
                    response = client.get(action, params=data, follow_redirects=False)
                if response.status_code >= 500:
                    failures.append(f"{form.method.upper()} {action} {name}={value[:40]!r}")
    assert not failures, "\n".join(failures)
