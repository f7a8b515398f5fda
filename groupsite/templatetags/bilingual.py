"""`{% bilingual prompt as text %}`: the version of a prompt, briefing or outcome a page shows its reader."""

from django import template

from topics import bilingual as texts

register = template.Library()


@register.simple_tag(takes_context=True)
def bilingual(context, obj):
    """The reader's language's version if a moderator wrote one (or the one ?lang= asks for), else the original;
    with a link to the other version when there is one. Read `text.title`, `text.context_html`, `text.lang`."""
    request = context.get("request")
    return texts.version(obj, texts.wanted_language(request), query=request.GET if request is not None else None)
