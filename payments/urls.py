from django.urls import path

from payments import api

urlpatterns = [
    path("webhooks/stripe", api.StripeWebhookView.as_view(), name="webhook-stripe"),
]
