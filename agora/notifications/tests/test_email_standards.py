"""Notification emails read by a real mail parser: multipart text + HTML, RFC 3834
Auto-Submitted, RFC 2369/8058 one-click List-Unsubscribe, headers no title can break, an excerpt
rendered from Markdown, and the recipient's own language."""

import email
import email.policy
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from agora.core.models import OutboundEmail
from agora.core.services import deliver_email
from agora.events import services as events
from agora.forum import services as forum
from agora.forum.models import Category, Topic
from agora.notifications.models import NotificationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


def parsed(message) -> email.message.EmailMessage:
    """The message as a mail client receives it, parsed strictly by Python's email package."""
    return email.message_from_bytes(message.message().as_bytes(), policy=email.policy.strict)


def parts(message: email.message.EmailMessage) -> dict[str, str]:
    assert message.get_content_type() == "multipart/alternative"
    return {part.get_content_type(): part.get_content() for part in message.iter_parts()}


def unsubscribe_path(message: email.message.EmailMessage) -> str:
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    match = re.fullmatch(r"<(https?://[^>]+)>", str(message["List-Unsubscribe"]).strip())
    assert match, message["List-Unsubscribe"]
    return re.sub(r"^https?://[^/]+", "", match.group(1))


def mention_bob(on_commit, alice, lounge, raw="Welcome @bob, see **this** ![a cat](/media/c.png)"):
    with on_commit():
        return forum.create_topic(author=alice, category=lounge, title="Hello lounge", raw=raw)


def test_a_notification_email_is_multipart_with_a_rendered_excerpt(on_commit, alice, bob, lounge):
    mention_bob(on_commit, alice, lounge)
    assert len(mail.outbox) == 1
    message = parsed(mail.outbox[0])
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["To"] == "bob@example.com"
    bodies = parts(message)
    text, html = bodies["text/plain"], bodies["text/html"]
    # The excerpt is the rendered Markdown, not its source cut at N characters.
    assert "see this" in text and "**" not in text and "![" not in text
    assert "<strong>this</strong>" in html
    assert 'src="http://127.0.0.1:8000/media/c.png"' in html  # absolute: read away from the site
    assert '<html lang="en">' in html


def test_a_long_post_is_cut_without_breaking_its_html(on_commit, alice, bob, lounge):
    mention_bob(on_commit, alice, lounge, raw="@bob " + "**word** " * 400)
    html = parts(parsed(mail.outbox[0]))["text/html"]
    excerpt = html.split("<blockquote", 1)[1].split("</blockquote>", 1)[0]
    assert excerpt.count("<strong>") == excerpt.count("</strong>")
    assert "…" in excerpt


def test_one_click_unsubscribe_works_without_login_or_csrf(on_commit, alice, bob, lounge):
    mention_bob(on_commit, alice, lounge)
    path = unsubscribe_path(parsed(mail.outbox[0]))
    mail_client = Client(enforce_csrf_checks=True)  # a mailbox provider, no session, no token
    # A link checker's GET only shows the question.
    page = mail_client.get(path)
    assert page.status_code == 200 and b'method="post"' in page.content
    assert not NotificationSettings.objects.filter(user=bob).exists()
    response = mail_client.post(path, {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    assert "no longer get emails" in response.content.decode()
    preferences = NotificationSettings.objects.get(user=bob)
    assert not preferences.email_on_mention
    assert preferences.email_on_reply and preferences.email_on_private_message
    mail.outbox.clear()
    mention_bob(on_commit, alice, lounge, raw="@bob once more")
    assert mail.outbox == []
    assert mail_client.post(path).status_code == 200  # twice changes nothing more


def test_a_forged_unsubscribe_token_changes_nothing(on_commit, alice, bob, lounge):
    mention_bob(on_commit, alice, lounge)
    path = unsubscribe_path(parsed(mail.outbox[0]))
    token = path.rstrip("/").rsplit("/", 1)[1]
    forged = path.replace(token, token[:-3] + ("aaa" if not token.endswith("aaa") else "bbb"))
    for bad in (forged, "/notifications/unsubscribe/not-a-token/"):
        response = Client(enforce_csrf_checks=True).post(bad)
        assert response.status_code == 400, bad
        assert "not valid" in response.content.decode()
    assert not NotificationSettings.objects.filter(user=bob).exists()


def test_the_email_comes_in_the_recipients_language(on_commit, alice, bob, lounge):
    bob.language = "zh-hans"
    bob.save()
    mention_bob(on_commit, alice, lounge)
    message = parsed(mail.outbox[0])
    assert "在“Hello lounge”中提及了你" in str(message["Subject"])
    bodies = parts(message)
    assert '<html lang="zh-hans">' in bodies["text/html"]
    assert "你好" in bodies["text/plain"]


def test_a_title_with_line_breaks_cannot_add_headers(on_commit, alice, bob, lounge):
    with on_commit():
        topic = forum.create_topic(author=bob, category=lounge, title="Plain title", raw="Hi all")
    # A title stored before text was normalised on the way in.
    Topic.objects.filter(pk=topic.pk).update(title="Evil\r\nBcc: thief@example.com\r\n\x01X")
    with on_commit():
        forum.create_post(author=alice, topic=Topic.objects.get(pk=topic.pk), raw="A reply")
    assert OutboundEmail.objects.get().status == OutboundEmail.Status.SENT
    message = parsed(mail.outbox[0])
    assert message["Bcc"] is None and mail.outbox[0].recipients() == ["bob@example.com"]
    assert "Evil Bcc: thief@example.com X" in str(message["Subject"])


def test_an_email_queued_with_a_carriage_return_still_goes_out(alice):
    queued = OutboundEmail.objects.create(to=["a@example.com"], subject="x", body_text="Hello")
    # A row written before subjects were made one line (update() skips the model layer).
    OutboundEmail.objects.filter(pk=queued.pk).update(subject="Meetup\rtonight")
    assert deliver_email(email_id=queued.pk)
    assert parsed(mail.outbox[-1])["Subject"] == "Meetup tonight"


@pytest.fixture
def full_event(staff, alice, bob):
    Category.objects.get_or_create(slug="events", defaults={"name": "Events"})
    start = timezone.now() + timedelta(hours=20)
    event = events.create_event(
        organizer=staff,
        title="Diffusion night",
        kind="meetup",
        description="Bring **code**.",
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        tz="UTC",
        venue="Room 1",
        capacity=1,
    )
    events.rsvp(user=alice, event=event)
    events.rsvp(user=bob, event=event)  # waiting list
    return event


def test_a_carriage_return_in_an_event_title_no_longer_stops_waiting_list_emails(
    on_commit, full_event, alice, bob
):
    from agora.events.models import Event

    Event.objects.filter(pk=full_event.pk).update(title="Diffusion\rnight")
    with on_commit():
        events.cancel_rsvp(user=alice, event=full_event)
    sent = OutboundEmail.objects.get(to=["bob@example.com"])
    assert sent.status == OutboundEmail.Status.SENT
    message = parsed(mail.outbox[-1])
    assert "Diffusion night" in str(message["Subject"])
    assert message["Auto-Submitted"] == "auto-generated"
    assert "moved up from the waiting list" in parts(message)["text/plain"]
    # Bob stops event emails in one click: the day-before reminder does not come.
    response = Client(enforce_csrf_checks=True).post(unsubscribe_path(message))
    assert response.status_code == 200
    assert not NotificationSettings.objects.get(user=bob).email_on_events
    mail.outbox.clear()
    with on_commit():
        assert events.send_reminders() == 1
    assert mail.outbox == []


def test_event_reminders_are_multipart_in_the_members_language(on_commit, full_event, alice):
    alice.language = "zh-hans"
    alice.save()
    with on_commit():
        assert events.send_reminders() == 1
    message = parsed(mail.outbox[-1])
    assert message["To"] == "alice@example.com"
    bodies = parts(message)
    assert "Diffusion night" in bodies["text/plain"] and "你好" in bodies["text/plain"]
    assert unsubscribe_path(message).startswith("/notifications/unsubscribe/")


def test_the_password_reset_email_is_in_the_members_saved_language(on_commit, alice, client):
    alice.language = "zh-hans"
    alice.save()
    client.cookies["agora_language"] = "en"
    with on_commit():
        response = client.post(
            "/accounts/password/reset/", {"email": "alice@example.com"}, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert response.status_code == 302
    message = parsed(mail.outbox[-1])
    assert "密码重置" in str(message["Subject"])
    assert message["Auto-Submitted"] == "auto-generated"
