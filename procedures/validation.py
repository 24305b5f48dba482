"""The rules a record must meet, shared by the admin forms and the content loader.

Each rule is written once here; the admin turns a problem into a form error, the loader into an error
naming the file and line.
"""

import re

from django.core.validators import RegexValidator

SLUG_REGEX = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"
SLUG_PATTERN = re.compile(SLUG_REGEX)
SLUG_MESSAGE = "Use lower-case letters, digits and single hyphens, e.g. si-joint-fusion."

slug_validator = RegexValidator(SLUG_REGEX, SLUG_MESSAGE)
