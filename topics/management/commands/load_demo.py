from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from topics.demo import DEMO_PASSWORD, USERS, load_demo_content
from topics.models import Membership


class Command(BaseCommand):
    help = "Load the China CAR-T demo group, its topics, two demo accounts and starter threads. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--quiet", action="store_true", help="Print nothing.")
        parser.add_argument(
            "--allow-without-debug",
            action="store_true",
            help="Run even with DEBUG off (the demo accounts' passwords are public: never on a real site).",
        )

    def handle(self, *args, quiet: bool, allow_without_debug: bool, **options):
        if not settings.DEBUG and not allow_without_debug:
            raise CommandError("load_demo creates accounts with published passwords; it only runs with DEBUG on.")
        result = load_demo_content()
        if quiet:
            return
        self.stdout.write(
            self.style.SUCCESS(f"Demo content ready: {settings.SITE_URL}{result['group'].get_absolute_url()}")
        )
        for spec in USERS:
            note = "   (group owner)" if spec["role"] == Membership.Role.OWNER else ""
            self.stdout.write(f"  {spec['username']:<10} {spec['email']} / {DEMO_PASSWORD}{note}")
        self.stdout.write("  (local demo accounts only)")
