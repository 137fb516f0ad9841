"""A custom user model with a UUID primary key, as Django's docs suggest for one.

Django creates its key column as `uuid` on PostgreSQL, as MariaDB's native `uuid` with Django
5.0+ on MariaDB 10.7+ (`has_native_uuid_field`), and as `char(32)` hex everywhere else
(SQLite, MySQL, MariaDB with Django < 5.0). The groups and permissions tables are
`uuidaccounts_member_groups` / `uuidaccounts_member_user_permissions`, keyed by `member_id`
of the same type.
"""

import uuid

from django.contrib.auth.models import AbstractUser
from django.db import models


class Member(AbstractUser):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
