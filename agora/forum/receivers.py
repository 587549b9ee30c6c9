"""The forum follows its own signals: a first post hidden or shown again takes the topic's list
thumbnail with it."""

from __future__ import annotations

from django.dispatch import receiver

from agora.forum import signals
from agora.forum.models import Post


@receiver(signals.post_hidden_or_deleted)
def first_post_visibility_changed(sender, *, post_id, **kwargs) -> None:
    from agora.forum.services import refresh_topic_image

    row = Post.objects.filter(pk=post_id).values_list("topic_id", "number").first()
    if row is not None and row[1] == 1:
        refresh_topic_image(topic_id=row[0])
