"""Writes of launches and partner requests."""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.validators import URLValidator
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from agora.accounts.forms import _split_tags
from agora.accounts.models import User
from agora.core.limits import check_lengths, length_errors
from agora.core.markdown import render
from agora.forum.services import open_discussion
from agora.showcase import permissions
from agora.showcase.models import Launch, PartnerRequest, TrySignup, Upvote

MAX_REQUEST_DAYS = 180


def _check_urls(**urls: str) -> dict[str, str]:
    errors = {}
    validate = URLValidator(schemes=["http", "https"])
    for field, value in urls.items():
        if value:
            try:
                validate(value)
            except ValidationError:
                errors[field] = _("Enter a valid http(s) link.")
    return errors


@transaction.atomic
def create_launch(
    *,
    owner: User,
    name: str,
    tagline: str,
    description: str,
    audience: str,
    website: str,
    repository: str = "",
) -> Launch:
    if not permissions.can_post(owner):
        raise PermissionDenied(_("Log in to post a launch."))
    errors = _check_urls(website=website, repository=repository)
    errors |= length_errors(
        Launch,
        name=name.strip(),
        tagline=tagline.strip(),
        description=description,
        audience=audience.strip(),
        website=website,
        repository=repository,
    )
    if not website:
        errors["website"] = _("Give the product's website.")
    if len(name.strip()) < 2:
        errors["name"] = _("Give the product a name.")
    if len(tagline.strip()) < 5:
        errors["tagline"] = _("Say in a line what it does.")
    if not audience.strip():
        errors["audience"] = _("Say who it is for.")
    if errors:
        raise ValidationError(errors)
    launch = Launch.objects.create(
        name=name.strip(),
        tagline=tagline.strip(),
        description=description,
        description_html=render(description),
        audience=audience.strip(),
        website=website,
        repository=repository,
        owner=owner,
    )
    page = f"[{_('Launch page')}]({launch.get_absolute_url()})"
    raw = f"**{launch.tagline}**\n\n{description}\n\n{page}"
    launch.topic = open_discussion(
        author=owner, category_slug="open-source", title=f"{_('Launch')}: {launch.name}", raw=raw
    )
    launch.save(update_fields=["topic"])
    return launch


def upvote(*, user: User, launch: Launch) -> bool:
    """Returns False when the member had already upvoted (a second vote counts nothing)."""
    if not permissions.can_post(user):
        raise PermissionDenied(_("Log in to upvote."))
    if permissions.is_launch_owner(user, launch):
        raise ValidationError(_("You cannot upvote your own launch."))
    try:
        with transaction.atomic():
            Upvote.objects.create(launch=launch, user=user)
            Launch.objects.filter(pk=launch.pk).update(vote_count=F("vote_count") + 1)
    except IntegrityError:
        return False
    return True


CONSENT_TEXT = (
    "I agree that the owner of this launch can see my username, my email address and my note, "
    "to contact me about trying the product."
)


def sign_up_to_try(*, user: User, launch: Launch, note: str, consent: bool) -> TrySignup:
    if not permissions.can_post(user):
        raise PermissionDenied(_("Log in to sign up."))
    if not consent:
        raise ValidationError(
            {"consent": _("Tick the box to share your contact details with the owner.")}
        )
    check_lengths(TrySignup, note=note.strip())
    signup, _created = TrySignup.objects.get_or_create(
        launch=launch,
        user=user,
        defaults={"note": note.strip(), "consent_text": CONSENT_TEXT},
    )
    return signup


@transaction.atomic
def create_partner_request(
    *,
    author: User,
    title: str,
    role: str,
    description: str,
    skills: str,
    location: str,
    remote: bool,
    days: int,
) -> PartnerRequest:
    if not permissions.can_post(author):
        raise PermissionDenied(_("Log in to post a request."))
    errors = length_errors(
        PartnerRequest, title=title.strip(), description=description, location=location.strip()
    )
    if len(title.strip()) < 5:
        errors["title"] = _("The title needs at least 5 characters.")
    if role not in PartnerRequest.Role.values:
        errors["role"] = _("Choose who you are looking for.")
    if not 1 <= days <= MAX_REQUEST_DAYS:
        errors["days"] = _("A request can stay open between 1 and %(n)d days.") % {
            "n": MAX_REQUEST_DAYS
        }
    try:
        skill_list = _split_tags(skills, label=_("skills"))
    except ValidationError as exc:
        errors["skills"] = exc.messages[0]
        skill_list = []
    if not location.strip() and not remote:
        errors["location"] = _("Give a location, or say that remote is fine.")
    if errors:
        raise ValidationError(errors)
    return PartnerRequest.objects.create(
        title=title.strip(),
        role=role,
        description=description,
        description_html=render(description),
        skills=skill_list,
        location=location.strip(),
        remote=remote,
        author=author,
        expires_at=timezone.now() + timedelta(days=days),
    )


def close_partner_request(*, user: User, request_obj: PartnerRequest) -> None:
    if not permissions.can_close_partner_request(user, request_obj):
        raise PermissionDenied(_("Only the author can close this request."))
    PartnerRequest.objects.filter(pk=request_obj.pk).update(closed=True)


def withdraw_upvotes(*, user: User) -> None:
    """Before a member is deleted: their upvotes leave the launches' counts."""
    from agora.core.counters import withdraw_marks

    upvotes = Upvote.objects.filter(user=user)
    withdraw_marks(upvotes, target="launch", counted=Launch, field="vote_count")
    upvotes.delete()
