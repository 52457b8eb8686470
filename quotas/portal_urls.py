from django.urls import path

from quotas import views

app_name = "portal"

urlpatterns = [
    path("magic/<str:token>/", views.magic_login, name="magic"),
]
