"""Access for HTML pages: signed-out visitors go to the login page, refusals
and errors render as pages, never as JSON or a stack trace."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from fireline.core.deps import Principal, check_csrf, optional_principal
from fireline.core.errors import AppError
from fireline.people.models import Role
from fireline.web.templating import render


class LoginRequired(Exception):
    def __init__(self, next_url: str) -> None:
        self.next_url = next_url


class PageError(Exception):
    def __init__(self, status: int, title: str, message: str, principal: Principal | None) -> None:
        self.status, self.title, self.message, self.principal = status, title, message, principal


def page_require(role: Role) -> Callable[..., object]:
    """Like ``require(role)`` for the API, answering with pages instead of JSON."""

    async def dependency(
        request: Request, principal: Principal | None = Depends(optional_principal)
    ) -> Principal:
        if principal is None:
            target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            raise LoginRequired(target if request.method == "GET" else "/")
        try:
            await check_csrf(request, principal)
        except AppError as exc:
            raise PageError(403, "Form expired", exc.message, principal) from None
        if not principal.can(role):
            message = f"This page needs the {role.value} role; you are {principal.role.value}."
            raise PageError(403, "Not allowed", message, principal)
        return principal

    return dependency


page_viewer = page_require(Role.viewer)
page_manager = page_require(Role.manager)
page_admin = page_require(Role.admin)


def safe_next(target: str | None) -> str:
    """Only same-site paths: ``//evil.example`` and ``/\\evil.example`` are browsers' hosts."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


TITLES = {
    401: "Please sign in",
    403: "Not allowed",
    404: "Not found",
    405: "Not allowed",
    429: "Slow down",
}


def error_page(request: Request, status: int, message: str) -> Response:
    """An error as a page, for the API's error handlers when a browser asks."""
    title = TITLES.get(status, "Something went wrong")
    return render(request, "error.html", {"title": title, "message": message}, status_code=status)


def install_page_handlers(app: FastAPI) -> None:
    @app.exception_handler(LoginRequired)
    async def _login(_request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url, safe='/')}", status_code=303)

    @app.exception_handler(PageError)
    async def _page_error(request: Request, exc: PageError) -> Response:
        context = {"title": exc.title, "message": exc.message}
        return render(
            request, "error.html", context, principal=exc.principal, status_code=exc.status
        )
