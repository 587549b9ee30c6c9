"""Followers hear about a followed member's new works, models and topics in their bell (on by
default, one switch in the notification settings), and never about what they may not see."""

import re

import pytest

from agora.following.services import set_following
from agora.following.signals import member_shared
from agora.following.tests.test_following import lab_model, work
from agora.forum import services as forum
from agora.notifications import services as notifications
from agora.notifications.models import Notification, NotificationSettings


@pytest.fixture
def on_commit(django_capture_on_commit_callbacks):
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def followers(alice, bob, charlie):
    """alice and charlie follow bob."""
    set_following(follower=alice, member=bob, follow=True)
    set_following(follower=charlie, member=bob, follow=True)
    return bob


@pytest.fixture
def secret(db, bob):
    """A category only the Insiders group (bob) may see."""
    from django.contrib.auth.models import Group

    from agora.forum.models import Access, Category, CategoryGroupAccess

    category = Category.objects.create(slug="secret", name="Secret", everyone_access=Access.NONE)
    insiders = Group.objects.create(name="Insiders")
    bob.groups.add(insiders)
    CategoryGroupAccess.objects.create(category=category, group=insiders, access=Access.CREATE)
    return category


def bell(client, member) -> str:
    client.force_login(member)
    return client.get("/notifications/").content.decode()


def publish_model(on_commit, owner, name, *, private=False):
    """A model as publish_model announces it (the run's checkpoint needs a real training)."""
    with on_commit():
        model = lab_model(owner, name, private=private)
        if not private:
            member_shared.send(sender=type(model), kind="model", object_id=model.pk)
    return model


@pytest.mark.django_db
def test_followers_hear_of_a_new_work_model_and_topic(client, on_commit, bob, followers, alice):
    from agora.forum.models import Category

    lounge = Category.objects.create(slug="lounge", name="Lounge")
    with on_commit():
        shared = work(bob, "Paper cranes at dusk")
    publish_model(on_commit, bob, "Crane DDPM")
    with on_commit():
        forum.create_topic(author=bob, category=lounge, title="How I fold cranes", raw="Slowly.")
    page = bell(client, alice)
    assert "bob shared a new work: “Paper cranes at dusk”" in page
    assert "bob published a new model: “Crane DDPM”" in page
    assert "bob started a new topic: “How I fold cranes”" in page
    # the bell counts them, and opening one goes to the work
    assert 'aria-label="Notifications, 3 unread"' in page
    first = Notification.objects.get(user=alice, work=shared)
    response = client.get(f"/notifications/{first.id}/open/")
    assert response.status_code == 302 and response["Location"] == shared.get_absolute_url()
    # running the job twice tells nobody twice
    notifications.notify_followers(kind="work", object_id=shared.pk)
    assert Notification.objects.filter(user=alice, work=shared).count() == 1
    # bob himself, who follows nobody, hears nothing of his own things
    assert not Notification.objects.filter(user=bob).exists()


@pytest.mark.django_db
def test_canary_an_opted_out_follower_and_private_or_hidden_things_tell_nobody(
    client, on_commit, bob, followers, alice, charlie, secret
):
    """charlie turned it off; alice may not see bob's private work and model, nor the Secret
    category bob posts in: nobody hears of anything."""
    client.force_login(charlie)
    response = client.post(
        "/notifications/settings/",
        {"email_on_mention": "on", "email_on_reply": "on", "email_on_private_message": "on"},
    )
    assert response.status_code == 302
    assert NotificationSettings.objects.get(user=charlie).notify_on_followed is False
    with on_commit():
        work(bob, "Public cranes")  # charlie opted out: only alice hears of it
        work(bob, "Private sketch of cranes", private=True)
    publish_model(on_commit, bob, "Secret Crane VAE", private=True)
    with on_commit():
        forum.create_topic(author=bob, category=secret, title="Insiders crane plans", raw="Hush.")
    notifications.notify_followers(kind="model", object_id=bob.lab_models.get().pk)
    assert list(Notification.objects.values_list("user__username", "work__title")) == [
        ("alice", "Public cranes")
    ]
    page = bell(client, alice)
    for hidden in ("Private sketch", "Secret Crane VAE", "Insiders crane plans"):
        assert hidden not in page
    assert "No notifications yet." in bell(client, charlie)


@pytest.mark.django_db
def test_a_mature_work_reaches_only_followers_who_opted_in_to_its_level(
    client, on_commit, bob, followers, alice, charlie
):
    from agora.gallery.models import ViewerSettings, Work

    ViewerSettings.objects.create(user=alice, max_nsfw=Work.NSFW.MATURE)
    with on_commit():
        shared = work(bob, "Cranes after dark")
        Work.objects.filter(pk=shared.pk).update(nsfw=Work.NSFW.MATURE)
    notifications.notify_followers(kind="work", object_id=shared.pk)
    assert "Cranes after dark" in bell(client, alice)
    assert "Cranes after dark" not in bell(client, charlie)


@pytest.mark.django_db
def test_a_work_made_private_later_leaves_the_bell(client, on_commit, bob, followers, alice):
    with on_commit():
        shared = work(bob, "Cranes, first draft")
    assert "Cranes, first draft" in bell(client, alice)
    type(shared).objects.filter(pk=shared.pk).update(private=True)
    page = bell(client, alice)
    assert "Cranes, first draft" not in page and "No notifications yet." in page


@pytest.mark.django_db
def test_the_setting_is_on_by_default_and_shown_on_the_settings_page(client, alice):
    client.force_login(alice)
    page = client.get("/notifications/settings/").content.decode()
    assert "Tell me when a member I follow shares a new work, model or topic" in page
    assert re.search(r'<input type="checkbox" name="notify_on_followed"[^>]*checked', page)


@pytest.mark.django_db
def test_demo_members_follow_each_other_once(alice, bob):
    import io

    from agora.conftest import make_member
    from agora.following import demo
    from agora.following.models import Follow

    make_member("chenwei")
    make_member("linxiao")
    demo.seed(out=io.StringIO())
    demo.seed(out=io.StringIO())  # seed_demo runs again on every start
    assert Follow.objects.count() == sum(len(v) for v in demo.FOLLOWS.values())
    assert Follow.objects.filter(follower=bob, followed=alice).exists()
