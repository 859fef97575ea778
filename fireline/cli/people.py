"""People and access from the command line: users, tokens, login, first admin."""

from __future__ import annotations

import click

from fireline.cli.client import ApiClient, api_client, print_rows, write_config
from fireline.people.models import Role

ROLES = click.Choice([r.value for r in Role])
USER_COLUMNS = ["id", "email", "name", "role", "time_zone", "teams"]
TOKEN_COLUMNS = ["id", "name", "prefix", "created_at", "last_used_at", "revoked_at"]


@click.group()
def user() -> None:
    """Users and their roles."""


@user.command("create")
@click.argument("email")
@click.option("--name", required=True)
@click.option("--role", type=ROLES, default=Role.responder.value, show_default=True)
@click.option("--time-zone", default="UTC", show_default=True, help="IANA name, e.g. Europe/Berlin")
@click.option("--password", is_flag=True, help="Prompt for a password for web sign-in")
@click.option("--json", "as_json", is_flag=True)
def user_create(
    email: str, name: str, role: str, time_zone: str, password: bool, as_json: bool
) -> None:
    """Create a user (admins only)."""
    body: dict[str, object] = {"email": email, "name": name, "role": role, "time_zone": time_zone}
    if password:
        body["password"] = click.prompt("Password", hide_input=True, confirmation_prompt=True)
    created = api_client().post("/api/v1/users", body)
    print_rows([created], USER_COLUMNS, as_json)


@user.command("list")
@click.option("--json", "as_json", is_flag=True)
def user_list(as_json: bool) -> None:
    """List users."""
    print_rows(api_client().get("/api/v1/users"), USER_COLUMNS, as_json)


@user.command("set-role")
@click.argument("user_ref", metavar="USER")
@click.argument("role", type=ROLES)
def user_set_role(user_ref: str, role: str) -> None:
    """Change a user's role (admins only). USER is an id or an e-mail address."""
    updated = api_client().put(f"/api/v1/users/{user_ref}/role", {"role": role})
    click.echo(f"{updated['email']} is now {updated['role']}")


@click.group()
def token() -> None:
    """API tokens for the CLI and scripts."""


@token.command("create")
@click.argument("name")
@click.option("--user", "for_user", default=None, help="Admins: create it for this user")
def token_create(name: str, for_user: str | None) -> None:
    """Create an API token; its secret is printed once."""
    created = api_client().post("/api/v1/tokens", {"name": name, "user": for_user})
    click.echo(created["token"])
    click.echo(
        f"token {created['id']} ({created['prefix']}…) created; it is shown only now", err=True
    )


@token.command("list")
@click.option("--json", "as_json", is_flag=True)
def token_list(as_json: bool) -> None:
    """List your API tokens."""
    print_rows(api_client().get("/api/v1/tokens"), TOKEN_COLUMNS, as_json)


@token.command("revoke")
@click.argument("token_id", type=int)
def token_revoke(token_id: int) -> None:
    """Revoke an API token by its id."""
    revoked = api_client().delete(f"/api/v1/tokens/{token_id}")
    click.echo(f"token {revoked['id']} ({revoked['name']}) revoked")


@click.command()
@click.option("--url", prompt="fireline URL", default="http://127.0.0.1:8000")
@click.option("--token", "token_value", prompt="API token", hide_input=True)
def login(url: str, token_value: str) -> None:
    """Save the server URL and an API token for later commands."""
    me = ApiClient(url.rstrip("/"), token_value).get("/api/v1/me")
    path = write_config(url.rstrip("/"), token_value)
    click.echo(f"signed in as {me['email']} ({me['role']}); saved to {path}")


@click.command()
@click.option("--email", required=True, help="The first admin's e-mail address")
@click.option("--name", required=True)
@click.option("--time-zone", default="UTC", show_default=True)
@click.option("--password", is_flag=True, help="Prompt for a password for web sign-in")
def setup(email: str, name: str, time_zone: str, password: bool) -> None:
    """Create the first admin in an empty database (works without a server)."""
    from fireline.core.audit import Actor
    from fireline.core.clock import SystemClock
    from fireline.core.config import get_settings
    from fireline.core.db import Database
    from fireline.core.errors import AppError
    from fireline.core.migrate import upgrade
    from fireline.people import service

    settings = get_settings()
    secret = (
        click.prompt("Password", hide_input=True, confirmation_prompt=True) if password else None
    )
    db = Database(settings.database_url)
    upgrade(db.engine)
    now = SystemClock().now()
    try:
        with db.transaction() as session:
            if service.user_count(session) > 0:
                raise click.ClickException(
                    "this database already has users; an admin adds more with `fireline user create`"
                )
            actor = Actor.system("fireline setup")
            admin = service.create_user(
                session,
                actor=actor,
                now=now,
                email=email,
                name=name,
                role=Role.admin.value,
                time_zone=time_zone,
                password=secret,
            )
            issued = service.create_token(session, actor=actor, now=now, user=admin, name="cli")
    except AppError as exc:
        raise click.ClickException(
            f"{exc.field}: {exc.message}" if exc.field else exc.message
        ) from None
    finally:
        db.dispose()
    click.echo(f"created admin {admin.email}. Point the CLI at the server with:")
    click.echo(f"export FIRELINE_URL=http://{settings.host}:{settings.port}")
    click.echo(f"export FIRELINE_TOKEN={issued.secret}")


def register(main: click.Group) -> None:
    main.add_command(user)
    main.add_command(token)
    main.add_command(login)
    main.add_command(setup)
