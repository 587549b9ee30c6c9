import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from agora.conftest import make_member
from agora.showcase import services
from agora.showcase.models import Launch, PartnerRequest, TrySignup, Upvote


def launch_for(owner, **kw):
    data = {
        "name": "TinyDiffusion",
        "tagline": "DDPM on a laptop",
        "audience": "Students",
        "website": "https://tiny.example.org",
        "description": "Readable code.",
    }
    data.update(kw)
    return services.create_launch(owner=owner, **data)


@pytest.mark.django_db
def test_post_a_launch_and_upvote_once(alice_client, alice, bob, client):
    response = alice_client.post(
        "/launches/new/",
        {
            "name": "TinyDiffusion",
            "tagline": "DDPM on a laptop",
            "audience": "Students",
            "website": "https://tiny.example.org",
            "repository": "",
            "description": "Readable **code**.",
        },
    )
    launch = Launch.objects.get()
    assert response["Location"] == launch.get_absolute_url()
    client.force_login(bob)
    client.post(f"/launches/{launch.id}/vote/")
    again = client.post(f"/launches/{launch.id}/vote/", follow=True)
    assert "already upvoted" in again.content.decode()
    launch.refresh_from_db()
    assert launch.vote_count == 1
    assert "TinyDiffusion" in client.get("/launches/?period=day").content.decode()
    with pytest.raises(ValidationError, match="your own launch"):
        services.upvote(user=alice, launch=launch)


@pytest.mark.django_db(transaction=True)
def test_concurrent_double_upvote_counts_once():
    owner, voter = make_member("owner"), make_member("voter")
    launch = launch_for(owner)
    barrier = threading.Barrier(2)

    def vote():
        barrier.wait()
        services.upvote(user=voter, launch=launch)
        connection.close()

    threads = [threading.Thread(target=vote) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    launch.refresh_from_db()
    assert (launch.vote_count, Upvote.objects.count()) == (1, 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [("website", "javascript:alert(1)"), ("repository", "ftp://x"), ("website", "")],
)
def test_invalid_launch_urls_are_refused(alice_client, field, value):
    data = {
        "name": "TinyDiffusion",
        "tagline": "DDPM on a laptop",
        "audience": "Students",
        "website": "https://tiny.example.org",
        "repository": "",
        "description": "Readable.",
    }
    data[field] = value
    response = alice_client.post("/launches/new/", data)
    assert response.status_code == 400
    assert not Launch.objects.exists()


@pytest.mark.django_db
def test_try_signups_need_consent_and_only_the_owner_exports(alice, bob, charlie, client):
    launch = launch_for(alice)
    client.force_login(bob)
    refused = client.post(f"/launches/{launch.id}/try/", {"note": "me!"}, follow=True)
    assert "Tick the box" in refused.content.decode()
    assert not TrySignup.objects.exists()
    client.post(f"/launches/{launch.id}/try/", {"note": '=HYPERLINK("x")', "consent": "on"})
    signup = TrySignup.objects.get()
    assert "can see my username, my email" in signup.consent_text
    client.force_login(charlie)
    assert client.get(f"/launches/{launch.id}/signups.csv").status_code == 403
    client.force_login(alice)
    csv_text = client.get(f"/launches/{launch.id}/signups.csv").content.decode()
    assert "bob,bob@example.com,\"'=HYPERLINK" in csv_text


@pytest.mark.django_db
def test_partner_requests_match_skills_and_expire(alice, bob, client):
    alice.skills = ["pytorch", "diffusion"]
    alice.save()
    bob.skills = ["illustration"]
    bob.save()
    author = make_member("founder")
    client.force_login(author)
    response = client.post(
        "/partners/new/",
        {
            "title": "Need a diffusion engineer",
            "role": "engineer",
            "skills": "diffusion, video",
            "location": "",
            "remote": "on",
            "days": "30",
            "description": "Let us build.",
        },
    )
    req = PartnerRequest.objects.get()
    assert response["Location"] == req.get_absolute_url()
    page = client.get(req.get_absolute_url()).content.decode()
    assert "Alice Martin" in page and ">bob<" not in page  # matching members shown to the author
    client.force_login(alice)
    assert (
        "Need a diffusion engineer" in client.get("/").content.decode()
    )  # suggested on her dashboard
    assert "/messages/new/?to=founder" in client.get(req.get_absolute_url()).content.decode()
    PartnerRequest.objects.update(expires_at=timezone.now() - timedelta(days=1))
    assert "Need a diffusion engineer" not in client.get("/partners/").content.decode()
    assert client.get(req.get_absolute_url()).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("days", "0", "between 1 and 180"),
        ("days", "999", "between 1 and 180"),
        ("remote", "", "remote is fine"),
    ],
)
def test_bad_partner_requests_are_refused(alice_client, field, value, message):
    data = {
        "title": "Need a diffusion engineer",
        "role": "engineer",
        "skills": "diffusion",
        "location": "",
        "remote": "on",
        "days": "30",
        "description": "Let us build.",
    }
    data[field] = value
    response = alice_client.post("/partners/new/", data)
    assert response.status_code == 400 and message in response.content.decode()
    assert not PartnerRequest.objects.exists()
