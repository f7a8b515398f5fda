from django import forms

from groupsite.models import User


class ProfileForm(forms.ModelForm):
    class Meta:
        model = User
        fields = ["display_name", "affiliation", "bio"]
        widgets = {"bio": forms.Textarea(attrs={"rows": 4})}
