import pytest
from django.core import mail

from agora.core.models import OutboundEmail
from agora.forum import services as forum
from agora.forum.models import NotificationLevel
from agora.notifications import tasks
from agora.notifications.models import Notification, NotificationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    """Run the forum's on-commit signals (and so the eager tasks) as a real commit would."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


def start(on_commit, author, category, raw="Opening post text", title="A topic to talk about"):
    with on_commit():
        return forum.create_topic(author=author, category=category, title=title, raw=raw)


def reply(on_commit, author, topic, raw, reply_to=None):
    with on_commit():
        return forum.create_post(author=author, topic=topic, raw=raw, reply_to=reply_to)


def kinds_of(user):
    return sorted(Notification.objects.filter(user=user).values_list("kind", flat=True))


def test_reply_to_a_post_notifies_its_author_once(on_commit, alice, bob, charlie, lounge):
    topic = start(on_commit, alice, lounge)
    answer = reply(on_commit, bob, topic, "An answer from bob")
    reply(on_commit, charlie, topic, "Replying to bob here", reply_to=answer)
    notification = Notification.objects.get(user=bob)
    assert (notification.kind, notification.actor, notification.post.number) == (
        "reply",
        charlie,
        3,
    )
    # alice started the topic and watches it: she hears about both posts, as 'reply' for the
    # one that answered the topic and as 'watching' for the other.
    assert kinds_of(alice) == ["reply", "watching"]
    assert kinds_of(charlie) == []  # never the actor


def test_mention_notifies_the_member_but_not_the_author(on_commit, alice, bob, lounge):
    topic = start(on_commit, alice, lounge, raw="Hey @bob and @alice, look at this")
    assert kinds_of(bob) == ["mention"]
    assert kinds_of(alice) == []
    assert Notification.objects.get(user=bob).topic == topic


def test_mention_in_a_private_category_skips_who_cannot_see_it(
    on_commit, alice, bob, charlie, secret
):
    start(on_commit, bob, secret, raw="Only insiders: @charlie @alice should not hear")
    assert Notification.objects.count() == 0
    start(on_commit, bob, secret, raw="And @nobody_here is nobody", title="Another topic here")
    assert Notification.objects.count() == 0


def test_mention_in_a_private_message_reaches_only_participants(on_commit, alice, bob, charlie):
    with on_commit():
        forum.create_private_topic(
            author=alice, recipients=[bob], title="Just between us", raw="Hi bob, cc @charlie"
        )
    assert kinds_of(bob) == ["private_message"]
    assert kinds_of(charlie) == []


def test_quote_notifies_the_quoted_author(on_commit, alice, bob, charlie, lounge):
    topic = start(on_commit, alice, lounge)
    quoted = reply(on_commit, bob, topic, "Diffusion beats GANs on diversity")
    link = f"/t/{topic.slug}/{topic.id}/{quoted.number}/#post-{quoted.number}"
    raw = f"> @bob [wrote]({link}):\n> Diffusion beats GANs on diversity\n\nI disagree."
    reply(on_commit, charlie, topic, raw)
    notification = Notification.objects.get(user=bob)
    assert (notification.kind, notification.actor) == ("quote", charlie)


def test_mention_outranks_reply_for_the_same_post(on_commit, alice, bob, lounge):
    topic = start(on_commit, alice, lounge)
    answer = reply(on_commit, bob, topic, "An answer from bob")
    reply(on_commit, alice, topic, "@bob thanks, that helps", reply_to=answer)
    assert kinds_of(bob) == ["mention"]


def test_like_notifies_the_post_author(on_commit, alice, bob, lounge):
    topic = start(on_commit, alice, lounge)
    with on_commit():
        forum.like_post(user=bob, post=topic.posts.get())
    notification = Notification.objects.get(user=alice)
    assert (notification.kind, notification.actor) == ("like", bob)


def test_watching_a_topic_hears_every_post_and_muting_silences_it(
    on_commit, alice, bob, charlie, lounge
):
    topic = start(on_commit, alice, lounge)
    forum.set_topic_notification_level(user=charlie, topic=topic, level=NotificationLevel.WATCHING)
    reply(on_commit, bob, topic, "First reply by bob")
    reply(on_commit, bob, topic, "Second reply by bob")
    assert kinds_of(charlie) == ["watching", "watching"]
    # alice created the topic (watching) but mutes it: nothing, not even a mention.
    forum.set_topic_notification_level(user=alice, topic=topic, level=NotificationLevel.MUTED)
    before = Notification.objects.filter(user=alice).count()
    reply(on_commit, bob, topic, "@alice are you there?")
    assert Notification.objects.filter(user=alice).count() == before


def test_tracking_hears_only_what_is_addressed_to_the_member(
    on_commit, alice, bob, charlie, lounge
):
    topic = start(on_commit, alice, lounge)
    reply(on_commit, charlie, topic, "Charlie posts once, so tracks")
    reply(on_commit, bob, topic, "Bob writes something general")
    assert kinds_of(charlie) == []


def test_running_the_task_twice_creates_nothing_more(on_commit, alice, bob, lounge):
    topic = start(on_commit, alice, lounge)
    post = reply(on_commit, bob, topic, "@alice hello again")
    assert kinds_of(alice) == ["mention"]
    emails = OutboundEmail.objects.count()
    assert tasks.notify_post_created(post.id) == 0
    assert kinds_of(alice) == ["mention"]
    assert OutboundEmail.objects.count() == emails


def test_mention_queues_one_email_in_the_members_language(on_commit, alice, bob, lounge):
    bob.language = "en"
    bob.save()
    with on_commit():
        topic = start(on_commit, alice, lounge, raw="Welcome @bob to the lounge")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["bob@example.com"]
    assert "mentioned you" in message.subject and topic.title in message.subject
    assert f"http://127.0.0.1:8000{topic.posts.get().get_absolute_url()}" in message.body


def test_no_email_when_the_member_turned_it_off(on_commit, alice, bob, lounge):
    NotificationSettings.objects.create(user=bob, email_on_mention=False)
    start(on_commit, alice, lounge, raw="Welcome @bob to the lounge")
    assert kinds_of(bob) == ["mention"]
    assert OutboundEmail.objects.count() == 0 and mail.outbox == []


def test_like_sends_no_email(on_commit, alice, bob, lounge):
    topic = start(on_commit, alice, lounge)
    with on_commit():
        forum.like_post(user=bob, post=topic.posts.get())
    assert OutboundEmail.objects.count() == 0


def test_a_member_who_cannot_see_the_category_is_not_notified_of_replies(
    on_commit, alice, bob, secret
):
    topic = start(on_commit, bob, secret)
    reply(on_commit, bob, topic, "@alice @charlie nobody here can read this")
    assert Notification.objects.filter(user=alice).count() == 0


def test_unknown_or_deleted_ids_are_ignored(on_commit, alice, bob, lounge):
    assert tasks.notify_post_created(999_999) == 0
    assert tasks.notify_post_liked(999_999) is False
    topic = start(on_commit, alice, lounge)
    post = reply(on_commit, bob, topic, "@alice soon deleted")
    Notification.objects.all().delete()
    forum.delete_post(actor=bob, post=post)
    assert tasks.notify_post_created(post.id) == 0


def test_a_member_watching_a_category_hears_new_topics(on_commit, alice, bob, lounge):
    from agora.forum.models import CategoryUser

    CategoryUser.objects.create(
        user=bob, category=lounge, notification_level=NotificationLevel.WATCHING
    )
    topic = start(on_commit, alice, lounge)
    reply(on_commit, bob, topic, "Bob replies, so he tracks the topic now")
    reply(on_commit, alice, topic, "Alice answers in general")
    assert kinds_of(bob) == ["watching", "watching"]


def test_quote_link_parsing():
    from agora.notifications.services import mentioned_names, quoted_posts

    raw = (
        "> @bob [wrote](/t/ddpm-from-scratch/12/3/#post-3):\n> text @carol\n\n"
        "see [this](https://agora.example/t/%E5%A6%82%E4%BD%95/7/1/) and @dave"
    )
    assert quoted_posts(raw) == [(12, 3), (7, 1)]
    assert mentioned_names(raw) == ["dave"]
