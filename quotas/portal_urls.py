from django.urls import path

from quotas import views

app_name = "portal"

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("login/", views.portal_login, name="login"),
    path("logout/", views.portal_logout, name="logout"),
    path("magic/<str:token>/", views.magic_login, name="magic"),
    path("quotas/<id:quota_id>/", views.quota_page, name="quota"),
]
