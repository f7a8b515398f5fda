"""The search page's form: the query and its filters, each checked against what the searcher may see."""

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from discussions.models import Post
from discussions.search.query import MAX_QUERY_CHARS, Filters
from groupsite.models import User
from groupsite.text import CleanCharField
from topics.models import Group, Topic


class SearchForm(forms.Form):
    q = CleanCharField(
        label=_("Search for"), required=False, max_length=MAX_QUERY_CHARS, multiline=False,
        widget=forms.TextInput(attrs={"type": "search"}),
    )
    group = forms.ChoiceField(label=_("Group"), required=False)
    topic = forms.SlugField(label=_("Topic (its web address)"), required=False, max_length=60)
    author = CleanCharField(
        label=_("Author"), required=False, max_length=150, multiline=False,
        help_text=_("A username or the name shown on posts."),
    )
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    role = forms.ChoiceField(label=_("Post role"), required=False, choices=[("", _("Any"))] + Post.Role.choices)

    def __init__(self, data, *, groups: list[Group]):
        super().__init__(data)
        self.groups = {group.slug: group for group in groups}
        self.fields["group"].choices = [("", _("All your groups"))] + [(slug, g.name) for slug, g in self.groups.items()]

    def clean(self):
        data = super().clean()
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        if data.get("topic") and not data.get("group"):
            self.add_error("topic", _("Choose the topic's group too."))
        elif data.get("topic"):
            topic = Topic.objects.filter(group=self.groups[data["group"]], slug=data["topic"]).first()
            if topic is None:
                self.add_error("topic", _("This group has no topic with that web address."))
            data["topic_object"] = topic
        return data

    def filters(self) -> Filters:
        data = self.cleaned_data
        author_ids = None
        if data.get("author"):
            name = data["author"]
            # The username, or the name shown on posts (a Chinese name like 李梅 is typed as it shows).
            people = User.objects.filter(Q(username__iexact=name) | Q(display_name__iexact=name))
            author_ids = list(people.values_list("pk", flat=True)[:20])
        return Filters(
            group=self.groups.get(data.get("group") or ""),
            topic=data.get("topic_object"),
            author_ids=author_ids,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            role=data.get("role") or "",
        )
