from django.urls import path

from ticketing.api import accounts as api
from ticketing.api import carts as cart_api
from ticketing.api import catalog as catalog_api
from ticketing.api import orders as orders_api

urlpatterns = [
    path("auth/login", api.LoginView.as_view(), name="auth-login"),
    path("auth/refresh", api.RefreshView.as_view(), name="auth-refresh"),
    path("auth/logout", api.LogoutView.as_view(), name="auth-logout"),
    path("users/me/profile", api.ProfileView.as_view(), name="profile"),
    path("users/me/saved-profiles", api.SavedProfileListView.as_view(), name="saved-profiles"),
    path("users/me/saved-profiles/<id:profile_id>", api.SavedProfileDetailView.as_view(),
         name="saved-profile"),
    path("users/me/push-tokens", api.PushTokenView.as_view(), name="push-tokens"),
    path("matches", catalog_api.MatchCatalogListView.as_view(), name="matches"),
    path("matches/<id:match_id>/zones", catalog_api.MatchZonesView.as_view(),
         name="match-zones"),
    path("cart", cart_api.CartView.as_view(), name="cart"),
    path("cart/add", cart_api.CartAddView.as_view(), name="cart-add"),
    path("checkout", orders_api.CheckoutView.as_view(), name="checkout"),
    path("orders/<id:order_id>", orders_api.OrderDetailView.as_view(), name="order"),
    path("orders/<id:order_id>/retry-payment", orders_api.OrderRetryPaymentView.as_view(),
         name="order-retry-payment"),
    path("orders/<id:order_id>/pay-local", orders_api.OrderPayLocalView.as_view(),
         name="order-pay-local"),
    path("tickets/<id:ticket_id>", orders_api.TicketDetailView.as_view(), name="ticket"),
]
