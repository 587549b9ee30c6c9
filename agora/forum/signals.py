"""Forum events other apps listen to (notifications, search indexing, webhooks). Sent on commit
with ids only, so a listener reads committed data and can hand the id to a Celery task."""

from django.dispatch import Signal

post_created = Signal()  # post_id
post_edited = Signal()  # post_id
post_hidden_or_deleted = Signal()  # post_id
post_liked = Signal()  # like_id
staff_action = Signal()  # actor_id, topic_id, action, details
