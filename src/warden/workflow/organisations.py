"""Organisations, teams, members and roles, lockdown, the second-factor requirement.

Changing roles, removing a member, resetting a member's second factor, lockdown (on or off) and
requiring a second factor (or no longer) are sensitive: after the permission check they need a sign-in
or step-up within ``STEP_UP_AGE`` (``require_step_up``; the web layer answers 401 ``step_up_required``
and the console calls ``POST /auth/reauth``, then retries).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta

from sqlalchemy import Update, func, select, update
from sqlalchemy import delete as sql_delete
from sqlalchemy.orm import Session, sessionmaker

from warden.audit import ActorKind, AuditObject
from warden.auth.credentials import CredentialCipher
from warden.auth.errors import InsecureConfiguration
from warden.auth.oidc_models import OidcProvider
from warden.auth.passwords import PasswordHasher, PasswordPolicy
from warden.auth.redaction import Secret
from warden.auth.stepup import require_step_up as _require_recent_sign_in
from warden.domain.errors import InvalidInput
from warden.storage.tables import (
    ApiToken,
    Member,
    Membership,
    OidcLoginState,
    OidcProviderRow,
    Organisation,
    RecoveryCode,
    Team,
)
from warden.storage.tables import Session as SessionRow
from warden.workflow.errors import Forbidden, InvalidState, NotFound, ReasonRequired
from warden.workflow.loading import get_owned, organisation
from warden.workflow.permissions import Permission, authorize
from warden.workflow.principal import Principal, Role, system
from warden.workflow.unit import Clock, Unit, utcnow

SLUG = re.compile(r"^[a-z0-9][a-z0-9\-]{1,62}$")
EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}$")
#: How recent a sign-in or step-up must be for a sensitive action.
STEP_UP_AGE = timedelta(minutes=5)


def require_step_up(principal: Principal, clock: Clock = utcnow) -> None:
    """Before a sensitive action: a member's browser session signed in (or stepped up) within
    ``STEP_UP_AGE``, with the second factor too when the session has one. Raises
    ``StepUpRequired`` (401, the console re-authenticates and retries) or, for an API token or
    any other principal that cannot step up, ``SessionRequired`` (403)."""
    _require_recent_sign_in(principal.authenticated_at, principal.mfa_at, clock(),
                            api_token=principal.token_id is not None or principal.kind is not ActorKind.MEMBER,
                            max_age=STEP_UP_AGE)


def _org_object(org: Organisation) -> AuditObject:
    return AuditObject(type="organisation", id=str(org.id), name=org.name)


def _member_object(member: Member) -> AuditObject:
    return AuditObject(type="member", id=str(member.id), name=f"{member.display_name} <{member.email}>")


def create_organisation(sessions: sessionmaker[Session], *, name: str, slug: str, admin_email: str,
                        admin_name: str, admin_password: str, hasher: PasswordHasher,
                        policy: PasswordPolicy | None = None, clock: Clock = utcnow) -> tuple[uuid.UUID, uuid.UUID]:
    """The first organisation and its admin (``warden init``)."""
    if not SLUG.match(slug):
        raise InvalidInput("slug: lower-case letters, digits and '-', 2 to 63 characters")
    if not EMAIL.match(admin_email):
        raise InvalidInput("admin email is not an email address")
    (policy or PasswordPolicy()).enforce(admin_password, username=admin_name, email=admin_email)
    org_id = uuid.uuid4()
    with sessions.begin() as session:
        if session.execute(select(Organisation.id).where(Organisation.slug == slug)).first():
            raise InvalidState(f"an organisation with slug {slug!r} exists already")
        session.add(Organisation(id=org_id, slug=slug, name=name, created_at=clock()))
    with Unit(sessions, system(org_id), clock) as unit:
        org = organisation(unit.session, org_id)
        unit.record("organisation.created", _org_object(org), after={"name": name, "slug": slug})
        team = Team(organisation_id=org_id, name="Headquarters", created_at=clock())
        member = Member(organisation_id=org_id, email=admin_email.lower(), display_name=admin_name,
                        password_hash=hasher.hash(admin_password), created_at=clock())
        unit.session.add_all([team, member])
        unit.session.flush()
        unit.session.add(Membership(organisation_id=org_id, member_id=member.id, team_id=team.id, role=Role.ADMIN))
        unit.record("team.created", AuditObject(type="team", id=str(team.id), name=team.name))
        unit.record("member.added", _member_object(member), after={"roles": [[str(team.id), "admin"]]})
        return org_id, member.id


def create_team(sessions: sessionmaker[Session], principal: Principal, name: str, clock: Clock = utcnow) -> uuid.UUID:
    authorize(principal, Permission.MEMBER_ADMIN)
    with Unit(sessions, principal, clock) as unit:
        team = Team(organisation_id=principal.organisation_id, name=name.strip(), created_at=clock())
        unit.session.add(team)
        unit.session.flush()
        unit.record("team.created", AuditObject(type="team", id=str(team.id), name=team.name))
        return team.id


def _check_teams(session: Session, organisation_id: uuid.UUID, roles: Mapping[uuid.UUID, Sequence[str]]) -> None:
    for team_id, names in roles.items():
        get_owned(session, Team, team_id, organisation_id)
        for role in names:
            if role not in Role.__members__.values():
                raise InvalidInput(f"unknown role {role!r}; roles are {', '.join(r.value for r in Role)}")


def add_member(sessions: sessionmaker[Session], principal: Principal, *, email: str, display_name: str,
               password: str | None, roles: Mapping[uuid.UUID, Sequence[str]], hasher: PasswordHasher,
               clock: Clock = utcnow) -> uuid.UUID:
    """``password`` None: the member signs in with single sign-on only. A step-up action, like changing
    roles: a new member can be given any role, admin included."""
    authorize(principal, Permission.MEMBER_ADMIN)
    require_step_up(principal, clock)
    if not EMAIL.match(email):
        raise InvalidInput("email is not an email address")
    if password is not None:
        PasswordPolicy().enforce(password, username=display_name, email=email)
    with Unit(sessions, principal, clock) as unit:
        _check_teams(unit.session, principal.organisation_id, roles)
        member = Member(organisation_id=principal.organisation_id, email=email.lower(), display_name=display_name,
                        password_hash=hasher.hash(password) if password else None, created_at=clock())
        unit.session.add(member)
        unit.session.flush()
        for team_id, names in roles.items():
            for role in sorted(set(names)):
                unit.session.add(Membership(organisation_id=principal.organisation_id, member_id=member.id,
                                            team_id=team_id, role=role))
        unit.record("member.added", _member_object(member),
                    after={"roles": sorted([str(t), r] for t, names in roles.items() for r in names)})
        return member.id


def set_roles(sessions: sessionmaker[Session], principal: Principal, member_id: uuid.UUID,
              roles: Mapping[uuid.UUID, Sequence[str]], clock: Clock = utcnow) -> None:
    authorize(principal, Permission.MEMBER_ADMIN)
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        member = get_owned(unit.session, Member, member_id, principal.organisation_id)
        _check_teams(unit.session, principal.organisation_id, roles)
        existing = unit.session.execute(select(Membership).where(Membership.member_id == member_id)).scalars().all()
        before = sorted([str(m.team_id), m.role] for m in existing)
        for row in existing:
            unit.session.delete(row)
        unit.session.flush()
        for team_id, names in roles.items():
            for role in sorted(set(names)):
                unit.session.add(Membership(organisation_id=principal.organisation_id, member_id=member_id,
                                            team_id=team_id, role=role))
        after = sorted([str(t), r] for t, names in roles.items() for r in sorted(set(names)))
        unit.record("member.roles_changed", _member_object(member), before={"roles": before}, after={"roles": after})


def remove_member(sessions: sessionmaker[Session], principal: Principal, member_id: uuid.UUID, *, reason: str,
                  clock: Clock = utcnow) -> None:
    """A leaver: access ends at once, every session and token revoked."""
    authorize(principal, Permission.MEMBER_ADMIN)
    if not reason.strip():
        raise ReasonRequired("say why the member is being removed")
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        member = get_owned(unit.session, Member, member_id, principal.organisation_id, lock=True)
        if member.status == "removed":
            raise InvalidState("this member has already been removed")
        now = clock()
        member.status, member.removed_at = "removed", now
        revoked_sessions = _revoke(unit.session, update(SessionRow).where(
            SessionRow.member_id == member_id, SessionRow.revoked_at.is_(None)).values(revoked_at=now))
        revoked_tokens = _revoke(unit.session, update(ApiToken).where(
            ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now))
        for row in unit.session.execute(select(Membership).where(Membership.member_id == member_id)).scalars():
            unit.session.delete(row)
        unit.record("member.removed", _member_object(member), justification=reason,
                    before={"status": "active"}, after={"status": "removed"},
                    details={"sessions_revoked": revoked_sessions, "tokens_revoked": revoked_tokens})


def reset_second_factor(sessions: sessionmaker[Session], principal: Principal, member_id: uuid.UUID, *,
                        reason: str, clock: Clock = utcnow) -> None:
    """A member who lost their authenticator app and their recovery codes: an admin clears the app's
    secret, the recovery codes and the last step used, and signs the member out everywhere (every
    session and API token revoked), so they sign in again with their password alone and, where the
    organisation requires a second factor, are sent to enrol a new one at once.

    Admins only, with a recent sign-in and a reason; never for oneself (an admin replaces their own
    app by enrolling again, ``POST /auth/mfa/enrol``). Audited as ``member.second_factor_reset`` with
    the reason and counts, never a secret."""
    authorize(principal, Permission.MEMBER_ADMIN)
    if not reason.strip():
        raise ReasonRequired("say why the member's second factor is being reset")
    if member_id == principal.member_id:
        raise Forbidden("you cannot reset your own second factor: set up your authenticator app again instead")
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        member = get_owned(unit.session, Member, member_id, principal.organisation_id, lock=True)
        if member.status != "active":
            raise InvalidState("this member has been removed")
        codes = unit.session.execute(select(RecoveryCode).where(RecoveryCode.member_id == member_id)).scalars().all()
        if member.totp_secret is None and not codes:
            raise InvalidState("this member has no second factor to reset")
        now = clock()
        had_app = member.totp_secret is not None
        member.totp_secret, member.totp_last_step = None, None
        for row in codes:
            unit.session.delete(row)
        revoked_sessions = _revoke(unit.session, update(SessionRow).where(
            SessionRow.member_id == member_id, SessionRow.revoked_at.is_(None)).values(revoked_at=now))
        revoked_tokens = _revoke(unit.session, update(ApiToken).where(
            ApiToken.member_id == member_id, ApiToken.revoked_at.is_(None)).values(revoked_at=now))
        unit.record("member.second_factor_reset", _member_object(member), justification=reason.strip(),
                    before={"authenticator_app": had_app}, after={"authenticator_app": False},
                    details={"authenticator_app": had_app, "recovery_codes_removed": len(codes),
                             "sessions_revoked": revoked_sessions, "tokens_revoked": revoked_tokens})


def _revoke(session: Session, statement: Update) -> int:
    result = session.execute(statement)
    return int(getattr(result, "rowcount", 0))


def set_lockdown(sessions: sessionmaker[Session], principal: Principal, *, locked: bool, reason: str,
                 clock: Clock = utcnow) -> None:
    """One switch that suspends all publishing and network actions, and its reversal."""
    authorize(principal, Permission.ORG_ADMIN)
    if not reason.strip():
        raise ReasonRequired("say why")
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        org = organisation(unit.session, principal.organisation_id)
        if org.locked_down == locked:
            raise InvalidState("the organisation is already " + ("locked down" if locked else "open"))
        before = {"locked_down": org.locked_down}
        org.locked_down, org.lockdown_reason = locked, reason if locked else None
        unit.record("organisation.lockdown" if locked else "organisation.lockdown_lifted", _org_object(org),
                    justification=reason, before=before, after={"locked_down": locked})


def set_mfa_required(sessions: sessionmaker[Session], principal: Principal, *, required: bool, reason: str = "",
                     clock: Clock = utcnow) -> bool:
    """Require a second factor of every member, or stop requiring one; False when it was so already
    (nothing changes, nothing is recorded).

    Once required, a member without one is sent to enrol an authenticator app before anything else
    (``web.identity``: ``mfa_enrolment_required``; a single sign-on counts when the identity provider
    used a second factor) and their API tokens stop working until they have. The admin who switches
    it on must have signed in with a second factor themselves, or they would be the first one shut
    out. Switching it off weakens every sign-in, so it needs a reason."""
    authorize(principal, Permission.ORG_ADMIN)
    if not required and not reason.strip():
        raise ReasonRequired("say why a second factor is no longer required")
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        org = unit.session.get(Organisation, principal.organisation_id, with_for_update=True)
        if org is None:
            raise NotFound("no such organisation")
        if org.mfa_required == required:
            return False
        if required and principal.mfa_at is None:
            raise InvalidState("set up your own authenticator app and sign in with it (or with single sign-on "
                               "using the identity provider's second factor) before requiring one of everyone")
        without = int(unit.session.execute(select(func.count()).select_from(Member).where(
            Member.organisation_id == org.id, Member.status == "active", Member.totp_secret.is_(None))).scalar_one())
        org.mfa_required = required
        unit.record("organisation.mfa_required" if required else "organisation.mfa_no_longer_required",
                    _org_object(org), justification=reason.strip() or None, before={"mfa_required": not required},
                    after={"mfa_required": required}, details={"members_without_authenticator_app": without})
        return True


# ---------------------------------------------------------------------------- single sign-on

UNKNOWN_IDENTITIES = ("link_by_email", "refuse")


@dataclass(frozen=True)
class SsoSettings:
    """An organisation's OpenID Connect provider, as an admin sets it (the client secret apart).

    ``unknown_identities``: what happens the first time someone signs in whose account at the
    identity provider is not linked to a member yet. ``link_by_email``: they must already be an
    active member of this organisation with the same e-mail address, which the provider says it
    verified; the account is then linked. ``refuse``: they are refused; members link their account
    themselves from a signed-in session (``POST /auth/sso/link``). Nobody is ever created."""

    issuer: str
    client_id: str
    allowed_email_domains: frozenset[str] = frozenset()
    unknown_identities: str = "link_by_email"
    enabled: bool = True
    subject_claim: str = "sub"
    email_claim: str = "email"
    email_verified_claim: str = "email_verified"


def sso_secret_owner(organisation_id: uuid.UUID) -> str:
    """What the client secret's ciphertext is bound to (a copy in another organisation's row fails)."""
    return f"organisation:{organisation_id}:oidc-client-secret"


def sso_provider(settings: SsoSettings, client_secret: Secret[str], *, allow_insecure_localhost: bool = False
                 ) -> OidcProvider:
    """The relying party's view of ``settings``; ``InvalidInput`` when they are not acceptable."""
    if settings.unknown_identities not in UNKNOWN_IDENTITIES:
        raise InvalidInput(f"unknown_identities must be one of {', '.join(UNKNOWN_IDENTITIES)}")
    try:
        return OidcProvider(issuer=settings.issuer, client_id=settings.client_id, client_secret=client_secret,
                            allowed_email_domains=settings.allowed_email_domains,
                            subject_claim=settings.subject_claim, email_claim=settings.email_claim,
                            email_verified_claim=settings.email_verified_claim,
                            allow_insecure_localhost=allow_insecure_localhost)
    except InsecureConfiguration as exc:
        raise InvalidInput(exc.message) from None


def _sso_state(row: OidcProviderRow) -> dict[str, object]:
    return {"enabled": row.enabled, "issuer": row.issuer, "client_id": row.client_id,
            "allowed_email_domains": sorted(row.allowed_email_domains), "unknown_identities": row.unknown_identities,
            "subject_claim": row.subject_claim, "email_claim": row.email_claim,
            "email_verified_claim": row.email_verified_claim}


def configure_sso(sessions: sessionmaker[Session], principal: Principal, settings: SsoSettings,
                  client_secret: Secret[str] | None, cipher: CredentialCipher, *,
                  allow_insecure_localhost: bool = False, clock: Clock = utcnow) -> None:
    """Set (or replace) the organisation's identity provider. ``client_secret`` None keeps the stored
    one. Sensitive: admins only, with a recent sign-in; audited without the secret."""
    authorize(principal, Permission.ORG_ADMIN)
    require_step_up(principal, clock)
    organisation_id = principal.organisation_id
    with Unit(sessions, principal, clock) as unit:
        org = organisation(unit.session, organisation_id)
        row = unit.session.get(OidcProviderRow, organisation_id, with_for_update=True)
        owner = sso_secret_owner(organisation_id)
        if client_secret is not None:
            secret = client_secret
        elif row is not None:
            secret = Secret(cipher.decrypt(row.client_secret, owner).reveal().decode("utf-8"))
        else:
            raise InvalidInput("client_secret is required the first time")
        provider = sso_provider(settings, secret, allow_insecure_localhost=allow_insecure_localhost)
        before = _sso_state(row) if row is not None else None
        if row is None:
            row = OidcProviderRow(organisation_id=organisation_id)
            unit.session.add(row)
        values = asdict(settings) | {"allowed_email_domains": sorted(provider.allowed_email_domains)}
        for name, value in values.items():
            setattr(row, name, value)
        if client_secret is not None:
            row.client_secret = cipher.encrypt(client_secret.reveal().encode("utf-8"), owner)
        row.updated_at = clock()
        unit.session.flush()
        after = _sso_state(row)
        unit.record("organisation.sso_configured", _org_object(org), before=before, after=after,
                    details={"issuer": row.issuer, "enabled": row.enabled,
                             "unknown_identities": row.unknown_identities,
                             "client_secret_changed": client_secret is not None})


def remove_sso(sessions: sessionmaker[Session], principal: Principal, clock: Clock = utcnow) -> None:
    """Turn single sign-on off for good (links to members' accounts are kept, unused, for the record)."""
    authorize(principal, Permission.ORG_ADMIN)
    require_step_up(principal, clock)
    with Unit(sessions, principal, clock) as unit:
        org = organisation(unit.session, principal.organisation_id)
        row = unit.session.get(OidcProviderRow, principal.organisation_id, with_for_update=True)
        if row is None:
            raise InvalidState("single sign-on is not set up")
        before = _sso_state(row)
        unit.session.delete(row)
        unit.session.execute(sql_delete(OidcLoginState).where(
            OidcLoginState.organisation_id == principal.organisation_id))
        unit.record("organisation.sso_removed", _org_object(org), before=before, details={"issuer": row.issuer})
