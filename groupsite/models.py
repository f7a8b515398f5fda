from django.contrib.auth.models import AbstractUser
from django.db import models
from django.urls import reverse


class User(AbstractUser):
    """A person on the site; the profile fields are what other members see beside their posts."""

    display_name = models.CharField(max_length=80, blank=True, help_text="How your name appears on your posts.")
    affiliation = models.CharField(
        max_length=120, blank=True, help_text='Where you speak from, e.g. "clinician, Shanghai" or "biotech investor".'
    )
    bio = models.TextField(max_length=1000, blank=True, help_text="A few sentences about you (plain text).")

    def __str__(self):
        return self.public_name

    def get_absolute_url(self):
        return reverse("profile", args=[self.username])

    @property
    def public_name(self) -> str:
        return self.display_name or self.username
