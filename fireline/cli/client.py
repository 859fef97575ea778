"""The CLI's HTTP client: where the server is and who we are.

``FIRELINE_URL`` and ``FIRELINE_TOKEN`` win; otherwise the config file that
``fireline login`` writes (``$XDG_CONFIG_HOME/fireline/config.json``, readable
only by its owner) is used.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
import httpx

DEFAULT_URL = "http://127.0.0.1:8000"


def config_path() -> Path:
    base = os.environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "fireline" / "config.json"


def read_config() -> dict[str, str]:
    path = config_path()
    if not path.exists():
        return {}
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        raise click.ClickException(
            f"{path} is not valid JSON; run `fireline login` again"
        ) from None
    return {k: str(v) for k, v in data.items() if isinstance(v, str)}


def write_config(url: str, token: str) -> Path:
    path = config_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Create the file private before the token is written into it.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        json.dump({"url": url, "token": token}, handle)
    return path


@dataclass
class ApiClient:
    url: str
    token: str | None
    transport: httpx.BaseTransport | None = None

    def request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.send(method, path, **kwargs)
        if not response.content:
            return None
        return response.json()

    def send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        """The response itself, for bodies that are not JSON (YAML, PDF)."""
        headers = {"Accept": "application/json", **kwargs.pop("headers", {})}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        try:
            with httpx.Client(
                base_url=self.url, headers=headers, timeout=30, transport=self.transport
            ) as http:
                response = http.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise click.ClickException(f"cannot reach fireline at {self.url}: {exc}") from None
        if response.status_code >= 400:
            raise click.ClickException(describe_error(response))
        return response

    def get(self, path: str, **params: Any) -> Any:
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path: str, body: Any = None) -> Any:
        return self.request("POST", path, json=body)

    def put(self, path: str, body: Any = None) -> Any:
        return self.request("PUT", path, json=body)

    def delete(self, path: str) -> Any:
        return self.request("DELETE", path)


def describe_error(response: httpx.Response) -> str:
    try:
        error = response.json()["error"]
        message = str(error["message"])
        field = error.get("field")
    except (ValueError, KeyError, TypeError):
        return f"HTTP {response.status_code}: {response.text[:200]}"
    if response.status_code == 401:
        message += " (set FIRELINE_TOKEN or run `fireline login`)"
    return f"{message} [field: {field}]" if field and field not in message else message


def api_client() -> ApiClient:
    config = read_config()
    url = os.environ.get("FIRELINE_URL") or config.get("url") or DEFAULT_URL
    token = os.environ.get("FIRELINE_TOKEN") or config.get("token")
    return ApiClient(url.rstrip("/"), token)


def echo_json(data: Any) -> None:
    """What a command prints with --json: the API's answer, indented."""
    click.echo(json.dumps(data, indent=2, default=str))


def print_rows(rows: list[dict[str, Any]], columns: list[str], as_json: bool) -> None:
    """A listing as an aligned table, or as JSON for scripts."""
    if as_json:
        click.echo(json.dumps(rows, indent=2, default=str))
        return
    if not rows:
        click.echo("(none)")
        return
    cells = [[_cell(row.get(c)) for c in columns] for row in rows]
    widths = [max(len(c), *(len(r[i]) for r in cells)) for i, c in enumerate(columns)]
    click.echo("  ".join(c.upper().ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip())
    for row_cells in cells:
        click.echo("  ".join(v.ljust(w) for v, w in zip(row_cells, widths, strict=True)).rstrip())


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return ",".join(str(v) for v in value) or "-"
    return str(value)
