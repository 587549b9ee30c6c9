"""Seeds Misago with bench/forum.py's data set (the same users, categories, topics and posts).

Runs under Misago's own interpreter (`--misago-venv`), with DJANGO_SETTINGS_MODULE and PYTHONPATH
pointing at the bench's Misago settings (forum.py sets both). Posts are stored with their
Markdown rendered by Python-Markdown, the library Misago's own parser is built on; threads and
categories are synchronised by Misago's own methods; the eight categories copy the default
category's permissions, as Misago's own fake-data command does. The page sizes are set to
Agora's through Misago's own threads settings form (the one its admin shows).
"""

from __future__ import annotations

import argparse
import json
import sys
import time

import django
from forum import (  # bench/ is sys.path[0]
    CATEGORIES,
    POSTS_PER_PAGE,
    TOPICS_PER_PAGE,
    batches,
    progress,
    usernames,
)

sys.path.pop(0)  # ...and holds a markdown.py of its own, which would shadow Python-Markdown

AVATARS = [{"size": 400, "url": "/static/misago/img/blank-avatar.png"}]


def set_page_sizes() -> dict:
    """Agora's page sizes through Misago's threads settings form, as its admin saves them; no
    orphans (Misago's default of 6 would show up to 26 posts on a thread's last page)."""
    from misago.conf.admin.forms.threads import ThreadsSettingsForm
    from misago.conf.models import Setting

    settings = {
        s.setting: s for s in Setting.objects.filter(setting__in=ThreadsSettingsForm.settings)
    }
    initial = {name: setting.value for name, setting in settings.items()}
    data = {name: value for name, value in initial.items() if settings[name].python_type != "image"}
    data |= {
        "threads_per_page": TOPICS_PER_PAGE,
        "posts_per_page": POSTS_PER_PAGE,
        "posts_per_page_orphans": 0,
    }
    form = ThreadsSettingsForm(data, {}, request=None, initial=initial)
    if not form.is_valid():
        raise RuntimeError(f"Misago refused its settings: {form.errors.as_json()}")
    form.save(settings)
    return {
        s.setting: s.value
        for s in Setting.objects.filter(
            setting__in=["threads_per_page", "posts_per_page", "posts_per_page_orphans"]
        )
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--topics", type=int, required=True)
    parser.add_argument("--posts-per-topic", type=int, required=True)
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    django.setup()
    import markdown
    from django.contrib.auth import get_user_model
    from django.db import transaction
    from misago.acl.cache import clear_acl_cache
    from misago.categories.models import Category
    from misago.faker.categories import copy_acl_to_fake_category
    from misago.threads.models import Post, Thread

    print(f"  misago page sizes: {set_page_sizes()}", flush=True)

    # One member through Misago's create_user (rank, role, avatars), the others as copies of it
    # in one insert: create_user took seconds a member on the shared machine.
    user_model = get_user_model()
    names = usernames()
    existing = {u.username: u for u in user_model.objects.filter(username__in=names)}
    first = existing.get(names[0]) or user_model.objects.create_user(
        names[0], f"{names[0]}@example.com"
    )
    # create_user leaves `avatars` empty (sign-up fills it), and every page with a poster's
    # avatar then fails: the blank avatar Misago ships, for all.
    user_model.objects.filter(pk=first.pk).update(avatars=AVATARS)
    copies = []
    for name in names[1:]:
        if name not in existing:
            user = user_model(
                rank=first.rank,
                password=first.password,
                avatars=AVATARS,
                joined_on=first.joined_on,
                last_login=first.last_login,
            )
            user.set_username(name)
            user.set_email(f"{name}@example.com")
            copies.append(user)
    user_model.objects.bulk_create(copies)
    by_name = {u.username: u for u in user_model.objects.filter(username__in=names)}
    users = [by_name[name] for name in names]
    default = Category.objects.all_categories().first()
    root = Category.objects.root_category()
    categories = []
    for name, _name_zh, _slug, description, color in CATEGORIES:
        category = Category(description=description, color=color)
        category.set_name(name)
        category.insert_at(root, position="last-child", save=True)
        copy_acl_to_fake_category(default, category)
        categories.append(category)
    clear_acl_cache()
    html: dict[str, str] = {}
    thread_urls: list[str] = []
    started, done = time.monotonic(), 0
    for batch in batches(count=args.topics, posts_per_topic=args.posts_per_topic):
        with transaction.atomic():
            threads = []
            for seed in batch:
                starter = users[seed.author]
                thread = Thread(
                    category=categories[seed.category],
                    started_on=seed.created_at,
                    last_post_on=seed.bumped_at,
                    starter=starter,
                    starter_name=starter.username,
                    starter_slug=starter.slug,
                    last_poster_name=starter.username,
                    last_poster_slug=starter.slug,
                    replies=len(seed.posts) - 1,
                )
                thread.set_title(seed.title)
                threads.append(thread)
            threads = Thread.objects.bulk_create(threads)
            posts = []
            for seed, thread in zip(batch, threads, strict=True):
                for post in seed.posts:
                    if post.text not in html:
                        html[post.text] = markdown.markdown(post.text)
                    poster = users[post.author]
                    posts.append(
                        Post(
                            category=thread.category,
                            thread=thread,
                            poster=poster,
                            poster_name=poster.username,
                            original=post.text,
                            parsed=html[post.text],
                            posted_on=post.at,
                            updated_on=post.at,
                        )
                    )
            Post.objects.bulk_create(posts, batch_size=2000)
            for thread in threads:
                thread_posts = list(thread.post_set.order_by("id"))
                thread.set_first_post(thread_posts[0])
                thread.set_last_post(thread_posts[-1])
                thread.save()
                thread_urls.append(thread.get_absolute_url())
        done += len(batch)
        progress("misago", done, args.topics, started)
    for category in categories:
        category.synchronize()
        category.save()
    with open(args.out, "w") as out:
        json.dump(
            {
                "latest": "/",
                "topics": thread_urls,
                "categories": [c.get_absolute_url() for c in categories],
            },
            out,
        )


if __name__ == "__main__":
    main()
