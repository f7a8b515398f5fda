from django.apps import AppConfig


class GroupsiteConfig(AppConfig):
    name = "groupsite"
    verbose_name = "Accounts and site"
