"""What the seating layer tells the layers above, after commit."""

from django.dispatch import Signal

# `log`: the MatchAuditLog of a change to a match; the after-sale tells its ticket holders when
# its notification_preference is "notify".
match_changed = Signal()
