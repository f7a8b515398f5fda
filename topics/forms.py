from django import forms

from topics.models import Group


class JoinRequestForm(forms.Form):
    """Asks the group's membership questions, one required field per question."""

    def __init__(self, *args, group: Group, **kwargs):
        super().__init__(*args, **kwargs)
        self.questions = group.question_list
        for index, question in enumerate(self.questions):
            self.fields[f"answer_{index}"] = forms.CharField(
                label=question,
                max_length=2000,
                widget=forms.Textarea(attrs={"rows": 3}),
                error_messages={"required": "Please answer this question."},
            )

    def answers(self) -> list[tuple[str, str]]:
        return [(question, self.cleaned_data[f"answer_{i}"]) for i, question in enumerate(self.questions)]


class EmailInvitationForm(forms.Form):
    email = forms.EmailField(label="Email address to invite")
