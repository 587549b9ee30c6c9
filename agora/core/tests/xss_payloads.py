"""One corpus of hostile text for every field that accepts user input.

Every payload that would run script sets `window.__xss` (the browser test's canary) or calls
alert() (its dialog listener). MARKDOWN payloads go into Markdown bodies (posts, articles, event
descriptions, comments, model cards...); TEXT payloads into one-line fields rendered by templates
(titles, names, tags, taglines...), where auto-escaping must hold in text and in attributes.
"""

from __future__ import annotations

from agora.core.tests.test_markdown import XSS_PAYLOADS as _MARKDOWN_SAFETY

CANARY = "window.__xss=1"

TEXT = [
    f"<script>{CANARY}</script>",
    f'"><script>{CANARY}</script>',
    f"'><img src=x onerror={CANARY}>",
    f'" onmouseover="{CANARY}" x="',
    f"' onfocus='{CANARY}' autofocus x='",
    f"</title><script>{CANARY}</script>",
    f"</textarea><svg onload={CANARY}>",
    f"</script><script>{CANARY}</script>",
    f"<svg><script>{CANARY}</script></svg>",
    f"<math><mi xlink:href=javascript:{CANARY}>x</mi></math>",
    f"javascript:{CANARY}",
    f"<a hx-get=/accounts/logout/ hx-trigger=load hx-on:click={CANARY}>x</a>",
    f'<div hx-on::load="{CANARY}">x</div>',
    f"<iframe srcdoc='<script>parent.{CANARY}</script>'>",
    "{{ request.user.password }}{% debug %}",
    "${7*7}<%= 7*7 %>",
    f"<!--<script>{CANARY}</script>-->",
    f"<![CDATA[<script>{CANARY}</script>]]>",
    "<img src=x onerror=alert(1)//",
    "\u202e<script>alert(1)</script>",
]

MARKDOWN = [
    *_MARKDOWN_SAFETY,
    *TEXT,
    f"<svg><animate onbegin={CANARY} attributeName=x dur=1s>",
    f'<svg><a xlink:href="javascript:{CANARY}"><text x=20 y=20>x</text></a></svg>',
    f"<svg><foreignObject><iframe src=javascript:{CANARY}></iframe></foreignObject></svg>",
    f'<math href="javascript:{CANARY}">x</math>',
    f"<math><maction actiontype=statusline xlink:href=javascript:{CANARY}>x</maction></math>",
    f"<details open ontoggle={CANARY}>",
    f"<video><source onerror={CANARY}></video>",
    f'<meta http-equiv="refresh" content="0;url=javascript:{CANARY}">',
    '<base href="https://evil.example/">',
    f"<img src=x onerror={CANARY}",  # broken markup, unclosed
    f"<<script>script>{CANARY}<</script>/script>",
    f"<scr<script>ipt>{CANARY}</scr</script>ipt>",
    f'```mermaid\ngraph LR\nA["<img src=x onerror={CANARY}>"]-->B\n```',
    f"```mermaid\n%%{{init: {{'securityLevel': 'loose'}}}}%%\ngraph LR\nA-->B\n"
    f'click A href "javascript:{CANARY}"\n```',
    f"```mermaid\nsequenceDiagram\nAlice->>Bob: <script>{CANARY}</script>\n```",
    f"[x](data:text/html,<script>{CANARY}</script>)",
    f"![x](javascript:{CANARY})",
    f"$\\href{{javascript:{CANARY}}}{{x}}$",
]

MARKDOWN_BODY = "Hostile corpus follows.\n\n" + "\n\n".join(MARKDOWN)


def title(i: int) -> str:
    """A short one-line payload that fits title limits (at least 15 characters)."""
    text = TEXT[i % len(TEXT)]
    return (text + " padding title")[:120]
