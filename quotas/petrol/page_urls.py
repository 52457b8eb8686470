from django.contrib.auth.views import LogoutView
from django.urls import path

from quotas.petrol import views

app_name = "petrol"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.PetrolLoginView.as_view(), name="login"),
    path("logout/", LogoutView.as_view(next_page="petrol:login"), name="logout"),
    path("reservations/<id:reservation_id>/", views.counter_page, name="counter"),
    path("reservations/<id:reservation_id>/verify", views.counter_action,
         {"action": "verify"}, name="verify"),
    path("reservations/<id:reservation_id>/confirm", views.counter_action,
         {"action": "confirm"}, name="confirm"),
    path("reservations/<id:reservation_id>/cancel", views.counter_action,
         {"action": "cancel"}, name="cancel"),
    path("sales/<id:sale_id>/", views.sale_page, name="sale"),
]
