"""Signals ticketing sends to the apps above it."""

from django.dispatch import Signal

# Sent with `match_id` and `count` when tickets need barcodes (issued, or re-coded by a
# transfer); a receiver answers with up to `count` codes the gates already know (the access
# control's spare codes, once the match was exported). The rest are drawn at random.
barcodes_wanted = Signal()

# Sent with `user` and `match_id` when a fan adds to a cart; a receiver answers with how many
# tickets of the match are promised to the fan elsewhere (live petrol PINs), counted against
# MAX_TICKETS_PER_FAN_PER_MATCH.
tickets_promised = Signal()

# Sent with `order_id` and `match_id` once an order's completion commits (a sale, a quota claim
# or a petrol-station sale): invoicing queues its invoice, the live match dashboard refreshes.
order_completed = Signal()
