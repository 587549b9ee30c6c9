import pytest

from agora.conftest import make_member
from agora.forum import services as forum
from agora.notifications.models import Notification, NotificationSettings

pytestmark = pytest.mark.django_db


@pytest.fixture
def mentioned(django_capture_on_commit_callbacks, alice, bob, lounge):
    """bob mentions alice: alice has one unread notification."""
    with django_capture_on_commit_callbacks(execute=True):
        topic = forum.create_topic(
            author=bob,
            category=lounge,
            title="Look at this sample",
            raw="What do you think @alice?",
        )
    return Notification.objects.get(user=alice, post=topic.posts.get())


def test_bell_shows_the_unread_count_and_it_drops_after_opening(alice_client, mentioned):
    page = alice_client.get("/latest/").content.decode()
    assert 'aria-label="Notifications, 1 unread"' in page
    listing = alice_client.get("/notifications/").content.decode()
    assert "mentioned you in “Look at this sample”" in listing
    response = alice_client.get(f"/notifications/{mentioned.id}/open/")
    assert response.status_code == 302
    assert response["Location"] == mentioned.post.get_absolute_url()
    page = alice_client.get("/latest/").content.decode()
    assert "unread" not in page.split('class="notification-bell"')[0].rsplit("<a", 1)[-1]
    assert 'aria-label="Notifications"' in page


def test_anonymous_visitors_have_no_bell_and_must_log_in(client, mentioned):
    assert "notification-bell" not in client.get("/latest/").content.decode()
    response = client.get("/notifications/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_another_member_cannot_open_or_mark_your_notification(client, bob, mentioned):
    client.force_login(bob)
    assert client.get(f"/notifications/{mentioned.id}/open/").status_code == 404
    assert client.post(f"/notifications/{mentioned.id}/open/").status_code == 404
    client.post("/notifications/read-all/")
    mentioned.refresh_from_db()
    assert mentioned.read_at is None


def test_mark_all_read(alice_client, mentioned):
    assert alice_client.get("/notifications/read-all/").status_code == 405
    response = alice_client.post("/notifications/read-all/")
    assert response.status_code == 302
    mentioned.refresh_from_db()
    assert mentioned.read_at is not None


def test_notification_page_costs_constant_queries(
    alice_client, alice, lounge, django_assert_max_num_queries
):
    def load() -> str:
        return alice_client.get("/notifications/").content.decode()

    authors = [make_member(f"member{i}") for i in range(3)]
    topic = forum.create_topic(author=alice, category=lounge, title="Busy topic", raw="Start")
    for i, author in enumerate(authors):
        post = forum.create_post(author=author, topic=topic, raw=f"Post number {i}")
        Notification.objects.create(user=alice, kind="reply", actor=author, topic=topic, post=post)
    load()
    with django_assert_max_num_queries(14) as few:
        load()
    for i in range(20):
        author = authors[i % 3]
        post = forum.create_post(author=author, topic=topic, raw=f"More post {i}")
        Notification.objects.create(user=alice, kind="reply", actor=author, topic=topic, post=post)
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = load()
    assert page.count('class="notification unread"') == 23


def test_notifications_of_deleted_posts_drop_out_of_the_list(alice_client, alice, mentioned):
    forum.delete_post(actor=mentioned.post.author, post=mentioned.post)
    assert "Look at this sample" not in alice_client.get("/notifications/").content.decode()


def test_settings_page_saves_the_email_choices(alice_client, alice):
    page = alice_client.get("/notifications/settings/").content.decode()
    assert 'name="email_on_mention"' in page and "checked" in page
    response = alice_client.post("/notifications/settings/", {"email_on_reply": "on"})
    assert response.status_code == 302
    preferences = NotificationSettings.objects.get(user=alice)
    assert (
        preferences.email_on_mention,
        preferences.email_on_reply,
        preferences.email_on_private_message,
    ) == (False, True, False)


def test_settings_need_login(client):
    response = client.post("/notifications/settings/", {"email_on_reply": "on"})
    assert response.status_code == 302
    assert NotificationSettings.objects.count() == 0
