"""Demo follows: the demo members follow each other, so the Following feed and the follow
notifications of their next works, models and topics have someone to show."""

from __future__ import annotations

from agora.accounts.models import User
from agora.following.services import set_following

# follower → the members they follow
FOLLOWS = {
    "bob": ["alice", "chenwei"],
    "chenwei": ["alice", "linxiao"],
    "linxiao": ["chenwei"],
    "alice": ["linxiao"],
}


def seed(*, out) -> None:
    members = {u.username: u for u in User.objects.filter(username__in=list(FOLLOWS))}
    made = 0
    for follower, followed in FOLLOWS.items():
        for name in followed:
            if follower in members and name in members:
                set_following(follower=members[follower], member=members[name], follow=True)
                made += 1
    if made:
        out.write(f"Demo follows: {made}.")
