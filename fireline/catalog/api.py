"""JSON API for the service catalogue."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from fireline.catalog import service
from fireline.catalog.models import Service
from fireline.core.deps import Principal, get_now, get_session, require_manager, require_viewer
from fireline.core.strict import Strict

router = APIRouter(prefix="/api/v1/services", tags=["services"])


class ServiceOut(BaseModel):
    id: int
    slug: str
    name: str
    description: str
    owner_team: str | None
    tier: int
    runbook_url: str

    @classmethod
    def of(cls, row: Service) -> ServiceOut:
        return cls(
            id=row.id,
            slug=row.slug,
            name=row.name,
            description=row.description,
            owner_team=row.owner_team.slug if row.owner_team else None,
            tier=row.tier,
            runbook_url=row.runbook_url,
        )


class ServiceIn(Strict):
    slug: str = Field(max_length=64)
    name: str = Field(min_length=1, max_length=200)
    description: str = Field(default="", max_length=2000)
    owner_team: str | None = None
    tier: int = Field(default=2, ge=min(service.TIERS), le=max(service.TIERS))
    runbook_url: str = Field(default="", max_length=2000)


@router.get("", response_model=list[ServiceOut])
def list_services(
    _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> list[ServiceOut]:
    return [ServiceOut.of(s) for s in session.scalars(select(Service).order_by(Service.name))]


@router.post("", response_model=ServiceOut, status_code=201)
def create_service(
    body: ServiceIn,
    principal: Principal = Depends(require_manager),
    session: Session = Depends(get_session),
    now: datetime = Depends(get_now),
) -> ServiceOut:
    row = service.create_service(session, actor=principal.actor, now=now, **body.model_dump())
    session.commit()
    return ServiceOut.of(row)


@router.get("/{ref}", response_model=ServiceOut)
def get_service(
    ref: str, _: Principal = Depends(require_viewer), session: Session = Depends(get_session)
) -> ServiceOut:
    return ServiceOut.of(service.find_service(session, ref))
