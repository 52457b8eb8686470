from quotas import api, import_api, portal_api

urlpatterns = [*api.urlpatterns, *portal_api.urlpatterns]
urlpatterns += import_api.urlpatterns
