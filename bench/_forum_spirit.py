"""Seeds Spirit with bench/forum.py's data set.

Runs under Spirit's own interpreter, with DJANGO_SETTINGS_MODULE and PYTHONPATH pointing at the
bench's Spirit project (forum.py sets both).
"""

from __future__ import annotations

import argparse
import json
import time
from collections import Counter
from pathlib import Path

import django
from forum import (
    CATEGORIES,
    POSTS_PER_PAGE,
    TOPICS_PER_PAGE,
    batches,
    progress,
    usernames,
)  # bench/ is sys.path[0]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, required=True)
    parser.add_argument("--posts-per-topic", type=int, required=True)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args()

    django.setup()
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from spirit.admin.forms import BasicConfigForm
    from spirit.category.models import Category
    from spirit.comment.models import Comment
    from spirit.core.utils.markdown import Markdown
    from spirit.topic.models import Topic
    from spirit.user.models import UserProfile

    # The same page sizes as Agora's, set as Spirit's admin would.
    config = BasicConfigForm()
    data = {name: form_field.initial for name, form_field in config.fields.items()}
    data |= {"topics_per_page": TOPICS_PER_PAGE, "comments_per_page": POSTS_PER_PAGE}
    config = BasicConfigForm(data=data)
    if not config.is_valid():
        raise RuntimeError(f"Spirit refused its configuration: {config.errors.as_json()}")
    config.save()

    user_model = get_user_model()
    unusable = make_password(None)
    users = user_model.objects.bulk_create(
        [
            user_model(username=name, email=f"{name}@example.com", password=unusable)
            for name in usernames()
        ]
    )
    UserProfile.objects.bulk_create(
        [UserProfile(user=user, nickname=user.username, is_verified=True) for user in users]
    )
    categories = [
        Category.objects.create(title=name, description=desc, color=color, sort=i + 10)
        for i, (name, _name_zh, _slug, desc, color) in enumerate(CATEGORIES)
    ]
    html: dict[str, str] = {}
    topic_urls: list[str] = []
    started = time.monotonic()
    done = 0
    counts = Counter[int]()
    for batch in batches(count=args.topics, posts_per_topic=args.posts_per_topic):
        with transaction.atomic():
            rows = Topic.objects.bulk_create(
                [
                    Topic(
                        user=users[seed.author],
                        category=categories[seed.category],
                        title=seed.title,
                        date=seed.created_at,
                        last_active=seed.bumped_at,
                        reindex_at=seed.created_at,
                        comment_count=len(seed.posts),
                    )
                    for seed in batch
                ]
            )
            comments = []
            for seed, topic in zip(batch, rows, strict=True):
                topic_urls.append(topic.get_absolute_url())
                for post in seed.posts:
                    counts[post.author] += 1
                    if post.text not in html:
                        html[post.text] = Markdown().render(post.text)
                    comments.append(
                        Comment(
                            user=users[post.author],
                            topic=topic,
                            comment=post.text,
                            comment_html=html[post.text],
                            date=post.at,
                        )
                    )
            Comment.objects.bulk_create(comments, batch_size=2000)
        done += len(batch)
        progress("spirit", done, args.topics, started)
    profiles = list(UserProfile.objects.all())
    index_of = {user.pk: i for i, user in enumerate(users)}
    for profile in profiles:
        profile.comment_count = counts[index_of[profile.user_id]]
    UserProfile.objects.bulk_update(profiles, ["comment_count"])
    args.out.write_text(
        json.dumps(
            {
                "latest": "/",
                "topics": topic_urls,
                "categories": [c.get_absolute_url() for c in categories],
            }
        )
    )


if __name__ == "__main__":
    main()
