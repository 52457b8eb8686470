from django.urls import path

from ticketing.loyalty import api

urlpatterns = [
    path("users/me/loyalty", api.MyLoyaltyView.as_view(), name="my-loyalty"),
    path("users/me/loyalty/history", api.MyLoyaltyHistoryView.as_view(),
         name="my-loyalty-history"),
    path("admin/users/<id:user_id>/loyalty", api.UserLoyaltyView.as_view(),
         name="admin-user-loyalty"),
    path("admin/matches/<id:match_id>/loyalty-distribution",
         api.MatchLoyaltyDistributionView.as_view(), name="admin-match-loyalty-distribution"),
]
