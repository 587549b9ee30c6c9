"""What followed members do that their followers may hear about. Sent on commit with ids only
(a new topic is the forum's own `post_created`)."""

from django.dispatch import Signal

member_shared = Signal()  # kind ("work" or "model"), object_id
