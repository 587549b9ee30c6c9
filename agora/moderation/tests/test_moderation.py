from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agora.conftest import make_member
from agora.forum import services as forum
from agora.forum.models import Category, Post, Topic
from agora.moderation import services
from agora.moderation.models import CommunitySettings, Flag, MemberStats, StaffAction


@pytest.fixture
def lounge(db):
    return Category.objects.create(slug="lounge", name="Lounge")


def trusted(user, level=1):
    MemberStats.objects.filter(user=user).update(trust_level=level)
    return user


@pytest.mark.django_db
def test_flagging_needs_a_reason_and_is_once_per_member(alice, bob, lounge, client):
    post = forum.create_topic(
        author=alice, category=lounge, title="Buy cheap pills", raw="spam spam"
    ).posts.get()
    client.force_login(bob)
    response = client.post(f"/p/{post.id}/flag/", {"reason": "nonsense"}, follow=True)
    assert "Choose why you are flagging" in response.content.decode()
    client.post(f"/p/{post.id}/flag/", {"reason": "spam"})
    again = client.post(f"/p/{post.id}/flag/", {"reason": "spam"}, follow=True)
    assert "already flagged" in again.content.decode()
    assert Flag.objects.count() == 1
    with pytest.raises(ValidationError, match="your own post"):
        services.flag_post(user=alice, post=post, reason="spam")


@pytest.mark.django_db
def test_enough_flags_from_trusted_members_hide_a_post_until_reviewed(alice, lounge, staff, client):
    post = forum.create_topic(
        author=alice, category=lounge, title="Questionable post", raw="Hmm"
    ).posts.get()
    flaggers = [make_member(f"flagger{i}", trust_level=1) for i in range(3)]
    newbie = make_member("newbie", trust_level=0)  # trust level 0 flags do not count towards hiding
    services.flag_post(user=newbie, post=post, reason="spam")
    for member in flaggers[:2]:
        services.flag_post(user=member, post=post, reason="inappropriate")
    post.refresh_from_db()
    assert not post.hidden
    services.flag_post(user=flaggers[2], post=post, reason="off_topic")
    post.refresh_from_db()
    assert post.hidden
    client.force_login(make_member("reader"))
    page = client.get(post.topic.get_absolute_url() + "?page=1").content.decode()
    assert "hidden by the community" in page and "Hmm" not in page.split("post-raw")[0]

    client.force_login(staff)
    queue = client.get("/review/").content.decode()
    assert "Questionable post" in queue and "Inappropriate" in queue
    client.post(f"/review/{post.id}/", {"decision": "disagree"})
    post.refresh_from_db()
    assert not post.hidden
    assert not Flag.objects.filter(resolution="pending").exists()
    assert StaffAction.objects.filter(action="flags_disagreed", post=post).exists()


@pytest.mark.django_db
def test_members_cannot_see_the_review_queue_or_resolve(alice, bob, lounge, client):
    post = forum.create_topic(
        author=alice, category=lounge, title="Some topic here", raw="Body"
    ).posts.get()
    client.force_login(bob)
    assert client.get("/review/").status_code == 403
    assert client.post(f"/review/{post.id}/", {"decision": "agree_delete"}).status_code == 403
    post.refresh_from_db()
    assert post.deleted_at is None


@pytest.mark.django_db
def test_staff_actions_are_logged(alice, staff, lounge, django_capture_on_commit_callbacks):
    topic = forum.create_topic(author=alice, category=lounge, title="To be moderated", raw="Body")
    with django_capture_on_commit_callbacks(execute=True):
        forum.set_topic_state(actor=staff, topic=topic, closed=True)
        forum.delete_post(actor=staff, post=topic.posts.get())
    assert set(StaffAction.objects.values_list("action", flat=True)) == {"state", "delete_post"}


@pytest.mark.django_db
def test_new_members_are_rate_limited_with_a_time_to_retry(lounge):
    newbie = make_member("newbie", trust_level=0)
    rules = CommunitySettings.current()
    for i in range(rules.new_member_topics_per_day):
        forum.create_topic(
            author=newbie, category=lounge, title=f"My topic number {i}", raw=f"Body {i}"
        )
    with pytest.raises(ValidationError) as refused:
        forum.create_topic(author=newbie, category=lounge, title="One topic too many", raw="Extra")
    assert "You can start another in 23\xa0hours" in refused.value.messages[0]
    assert Topic.objects.count() == rules.new_member_topics_per_day
    # Once the oldest leaves the window, posting works again.
    Topic.objects.filter(author=newbie).update(created_at=timezone.now() - timedelta(days=2))
    forum.create_topic(author=newbie, category=lounge, title="Back again tomorrow", raw="Hello")


@pytest.mark.django_db
def test_new_members_links_images_and_mentions_are_limited(lounge, alice):
    newbie = make_member("newbie", trust_level=0)
    links = " ".join(f"https://example.org/{i}" for i in range(3))
    with pytest.raises(ValidationError, match="at most 2 links"):
        forum.create_topic(author=newbie, category=lounge, title="Link collection", raw=links)
    with pytest.raises(ValidationError, match="at most 0 images"):
        forum.create_topic(
            author=newbie, category=lounge, title="Look at this", raw="![x](/media/a.png)"
        )
    with pytest.raises(ValidationError, match="mention at most 2"):
        forum.create_topic(
            author=newbie, category=lounge, title="Hello everyone", raw="@alice @bob @carol"
        )
    trusted(newbie, level=2)
    forum.create_topic(author=newbie, category=lounge, title="Link collection", raw=links)
    assert not Post.objects.filter(raw__contains="@carol").exists()


@pytest.mark.django_db
def test_the_limit_message_reaches_the_member_through_the_form(lounge, client):
    newbie = make_member("newbie", trust_level=0)
    client.force_login(newbie)
    raw = "see https://a.example https://b.example https://c.example"
    response = client.post(
        "/new-topic/", {"title": "Three links here", "category": lounge.id, "raw": raw}
    )
    assert response.status_code == 400
    assert "New members can post at most 2 links" in response.content.decode()


@pytest.mark.django_db
def test_trust_level_rises_with_activity_and_thresholds_are_editable(alice, bob, lounge):
    rules = CommunitySettings.current()
    rules.tl1_topics_entered = 1
    rules.tl1_posts_read = 1
    rules.save()
    topic = forum.create_topic(author=alice, category=lounge, title="Read me please", raw="Body")
    MemberStats.objects.filter(user=bob).update(trust_level=0)
    assert services.refresh_stats(user_id=bob.id).trust_level == 0
    forum.record_read(user=bob, topic=topic, up_to=1)
    stats = services.refresh_stats(user_id=bob.id)
    assert (stats.topics_entered, stats.posts_read, stats.trust_level) == (1, 1, 1)


@pytest.mark.django_db
def test_staff_set_a_locked_trust_level(alice, staff):
    with pytest.raises(Exception, match="Only staff"):
        services.set_trust_level(actor=alice, member=alice, level=4)
    stats = services.set_trust_level(actor=staff, member=alice, level=4)
    assert stats.trust_level_locked
    assert services.refresh_stats(user_id=alice.id).trust_level == 4


@pytest.mark.django_db
def test_visits_are_counted_once_a_day(alice_client, alice):
    alice_client.get("/")
    alice_client.get("/latest/")
    assert services.refresh_stats(user_id=alice.id).days_visited == 1
