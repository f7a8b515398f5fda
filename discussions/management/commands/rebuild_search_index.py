from django.core.management.base import BaseCommand

from discussions.search.index import rebuild


class Command(BaseCommand):
    help = (
        "Index every thread, post, prompt, outcome and briefing for the search page afresh. Run it once after the "
        "migration that adds search, or after changing how text is indexed; the site keeps the index current itself."
    )

    def handle(self, *args, **options):
        count = rebuild()
        self.stdout.write(self.style.SUCCESS(f"Indexed {count} documents for search."))
