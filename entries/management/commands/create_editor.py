"""`manage.py create_editor USERNAME`: a staff account in the Editors group."""

import getpass
import os

from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from entries.roles import EDITORS, ensure_editors_group

PASSWORD_VARIABLE = "DJANGO_EDITOR_PASSWORD"


class Command(BaseCommand):
    help = (
        "Create a staff user in the Editors group (or add an existing user to it). The "
        f"password is asked for, or read from {PASSWORD_VARIABLE} with --noinput."
    )

    def add_arguments(self, parser):
        parser.add_argument("username")
        parser.add_argument("--email", default="")
        parser.add_argument(
            "--noinput",
            "--no-input",
            action="store_false",
            dest="interactive",
            help=f"Do not prompt: the password comes from {PASSWORD_VARIABLE}.",
        )

    def handle(self, username, email, interactive, **options):
        User = get_user_model()
        user = User.objects.filter(username=username).first()
        password = None
        if user is None:
            password = self.read_password(interactive)
            user = User(username=username, email=email)
            try:
                validate_password(password, user)
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from None
        with transaction.atomic():
            group = ensure_editors_group()
            if password is not None:
                user.set_password(password)
            user.is_staff = True
            user.save()
            user.groups.add(group)
        verb = "Created" if password is not None else "Updated"
        self.stdout.write(f"{verb} editor {username!r} (staff, in the {EDITORS} group).")

    def read_password(self, interactive):
        if not interactive:
            password = os.environ.get(PASSWORD_VARIABLE, "")
            if not password:
                raise CommandError(f"--noinput needs the password in {PASSWORD_VARIABLE}.")
            return password
        password = getpass.getpass("Password: ")
        if password != getpass.getpass("Password (again): "):
            raise CommandError("The passwords do not match.")
        return password
