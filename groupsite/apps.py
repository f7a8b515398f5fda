from django.apps import AppConfig


class GroupsiteConfig(AppConfig):
    name = "groupsite"
    verbose_name = "Accounts and site"

    def ready(self):
        from groupsite import languages

        languages.drop_empty_fallbacks()
