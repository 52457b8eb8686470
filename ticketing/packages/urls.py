from django.urls import path

from ticketing.packages import api

ADMIN = "admin/matches/<id:match_id>/packages"

urlpatterns = [
    path("matches/<id:match_id>/packages", api.MatchPackagesView.as_view(),
         name="match-packages"),
    path("cart/add-package", api.CartAddPackageView.as_view(), name="cart-add-package"),
    path(ADMIN, api.AdminPackagesView.as_view(), name="admin-packages"),
    path(f"{ADMIN}/reorder", api.AdminPackagesReorderView.as_view(),
         name="admin-packages-reorder"),
    path(f"{ADMIN}/sales", api.AdminSalesView.as_view(), name="admin-package-sales"),
    path(f"{ADMIN}/sales.csv", api.AdminSalesCsvView.as_view(), name="admin-package-sales-csv"),
    path(f"{ADMIN}/<id:package_id>", api.AdminPackageView.as_view(), name="admin-package"),
    path(f"{ADMIN}/<id:package_id>/image", api.AdminPackageImageView.as_view(),
         name="admin-package-image"),
    path(f"{ADMIN}/<id:package_id>/options", api.AdminOptionsView.as_view(),
         name="admin-package-options"),
    path(f"{ADMIN}/<id:package_id>/options/<id:option_id>", api.AdminOptionView.as_view(),
         name="admin-package-option"),
]
