from django import forms
from django.conf import settings

from discussions.markdown import validate_renderable

BODY_HELP = "Markdown: **bold**, *italic*, [links](https://example.org), lists, > quotes, ``` code ```, tables."


class PostForm(forms.Form):
    body = forms.CharField(
        label="Your reply",
        max_length=settings.POST_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 8, "data-preview": "true"}),
        help_text=BODY_HELP,
        validators=[validate_renderable],
        error_messages={"required": "Write something before posting."},
    )


class ThreadForm(forms.Form):
    title = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the thread a title."},
        widget=forms.TextInput(attrs={"autocomplete": "off"}),
    )
    body = forms.CharField(
        label="Opening post",
        max_length=settings.POST_BODY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 10, "data-preview": "true"}),
        help_text=BODY_HELP,
        validators=[validate_renderable],
        error_messages={"required": "Write the opening post."},
    )
