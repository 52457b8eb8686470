"""What the seating layer tells the layers above, after commit."""

from django.dispatch import Signal

# `log`: the MatchAuditLog of a change to a match; the after-sale tells its ticket holders when
# its notification_preference is "notify".
match_changed = Signal()

# `match_id`: seat statuses or standing holds of the match changed: holds, releases, admin
# changes, seats given back (sent by `selectors.status_summary_invalidate`, which those call,
# after their commit where they have one; a sale is ticketing's `order_completed`). The live
# match dashboard refreshes.
seat_statuses_changed = Signal()
