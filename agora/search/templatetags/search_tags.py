from django import template

from agora.forum.permissions import get_access
from agora.search.selectors import cached_related_topics as find_related

register = template.Library()


@register.simple_tag(takes_context=True)
def related_topics(context, topic, limit: int = 5):
    """{% related_topics topic as related %}: what the viewer may see, best first."""
    request = context["request"]
    return find_related(topic, request.user, limit, access=get_access(request))
