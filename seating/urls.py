from seating.api import inventory, matches, venues

urlpatterns = [*venues.urlpatterns, *matches.urlpatterns, *inventory.urlpatterns]
