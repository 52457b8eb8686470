from quotas import api, portal_api

urlpatterns = [*api.urlpatterns, *portal_api.urlpatterns]
