"""Ticket packages API.

Fan:
GET  /api/matches/<id>/packages                 active packages, ordered, with availability
POST /api/cart/add-package                      {match_id, package_id, quantity} -> the cart
Match Manager:
GET  /api/admin/matches/<id>/packages           with sold / available / sold_out
POST /api/admin/matches/<id>/packages           create (201)
GET|PATCH|DELETE /api/admin/matches/<id>/packages/<pid>   PATCH with `version` (stale: 409);
                                                DELETE only with nothing sold (409)
POST /api/admin/matches/<id>/packages/reorder   {package_ids: [...]} every one, once
POST|DELETE /api/admin/matches/<id>/packages/<pid>/image   multipart `image`
GET|POST /api/admin/matches/<id>/packages/<pid>/options
PATCH|DELETE /api/admin/matches/<id>/packages/<pid>/options/<oid>
GET  /api/admin/matches/<id>/packages/sales     ?package_id=&sponsorship_only=&date_from=&date_to=
GET  /api/admin/matches/<id>/packages/sales.csv the same, one row per ticket holder"""

from decimal import Decimal

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.parsers import MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from core.bounds import ITEMS_MAX
from core.drf import validated
from core.errors import ValidationFailed
from core.roles import HasRole, Role
from core.tables import csv_response
from ticketing.api.carts import CART_ADD_LIMIT, cart_data
from ticketing.packages.models import OPTIONS_MAX, OptionKind, Package, PackageOption
from ticketing.packages.services import admin as package_admin
from ticketing.packages.services import sales
from ticketing.packages.services.catalog import packages_for_fans
from ticketing.services import cart as carts

MATCH_MANAGER = HasRole(Role.MATCH_MANAGER)
ID = {"min_value": 1, "max_value": 2**31 - 1}


class PackageIn(serializers.Serializer):
    name = serializers.CharField(max_length=100)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)
    price = serializers.DecimalField(max_digits=10, decimal_places=2, min_value=0)
    seats_per_package = serializers.IntegerField(min_value=1, max_value=50)
    zone_ids = serializers.ListField(child=serializers.IntegerField(**ID), allow_empty=False,
                                     max_length=ITEMS_MAX)
    quantity_limit = serializers.IntegerField(min_value=0, max_value=2**31 - 1,
                                              required=False, allow_null=True)
    is_sponsorship = serializers.BooleanField(required=False, default=False)
    display_order = serializers.IntegerField(min_value=0, max_value=2**31 - 1, required=False)
    is_active = serializers.BooleanField(required=False, default=True)


class PackageUpdateIn(PackageIn):
    version = serializers.IntegerField(min_value=1)


class ReorderIn(serializers.Serializer):
    package_ids = serializers.ListField(child=serializers.IntegerField(**ID), allow_empty=False,
                                        max_length=ITEMS_MAX)


class OptionIn(serializers.Serializer):
    kind = serializers.ChoiceField(OptionKind.choices)
    label = serializers.CharField(max_length=200)
    choices = serializers.ListField(child=serializers.CharField(max_length=100), required=False,
                                    default=list, max_length=10)
    is_required = serializers.BooleanField(required=False, default=False)
    is_active = serializers.BooleanField(required=False, default=True)
    display_order = serializers.IntegerField(min_value=0, max_value=1000, required=False)


class ImageIn(serializers.Serializer):
    image = serializers.FileField()


class CartAddPackageIn(serializers.Serializer):
    match_id = serializers.IntegerField(**ID)
    package_id = serializers.IntegerField(**ID)
    quantity = serializers.IntegerField(min_value=1, max_value=10, default=1)


# --- rendering --------------------------------------------------------------------------------

def _url(request, field) -> str | None:
    return request.build_absolute_uri(field.url) if field else None


def option_data(option: PackageOption) -> dict:
    return {"id": option.pk, "kind": option.kind, "label": option.label,
            "choices": option.choices, "is_required": option.is_required,
            "is_active": option.is_active, "display_order": option.display_order}


def package_data(request, package: Package, *, options=None) -> dict:
    return {"id": package.pk, "match_id": package.match_id, "name": package.name,
            "description": package.description, "price": str(package.price),
            "seats_per_package": package.seats_per_package,
            "zones": [{"id": z.pk, "name": z.name} for z in package.zones.all()],
            "quantity_limit": package.quantity_limit, "sold": package.sold_count,
            "held": package.held_count, "available": package.available,
            "sold_out": package.sold_out, "is_sponsorship": package.is_sponsorship,
            "display_order": package.display_order, "is_active": package.is_active,
            "image_url": _url(request, package.image),
            "thumbnail_url": _url(request, package.thumbnail),
            "options": [option_data(o) for o in (options if options is not None
                                                 else package.options.all())],
            "version": package.version}


def _fan_data(request, package: Package) -> dict:
    data = package_data(request, package, options=package.active_options)
    for name in ("held", "version", "is_active", "display_order"):
        data.pop(name)
    return data


# --- fans -------------------------------------------------------------------------------------

@extend_schema(tags=["packages"])
class MatchPackagesView(APIView):
    @extend_schema(responses={200: OpenApiTypes.OBJECT},
                   summary="The match's packages on sale, in display order")
    def get(self, request, match_id: int):
        return Response({"packages": [_fan_data(request, p)
                                      for p in packages_for_fans(match_id=match_id)]})


@extend_schema(tags=["cart"])
class CartAddPackageView(APIView):
    throttle_classes = [CART_ADD_LIMIT]

    @extend_schema(request=CartAddPackageIn, responses={201: OpenApiTypes.OBJECT},
                   summary="Hold packages (their seats together where possible) in the cart")
    def post(self, request):
        data = validated(CartAddPackageIn, request.data)
        view = carts.cart_add_package(user=request.user, request=request, **data)
        return Response(cart_data(view), status=status.HTTP_201_CREATED)


# --- Match Manager ----------------------------------------------------------------------------

@extend_schema(tags=["packages"])
class AdminPackagesView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, match_id: int):
        packages = (Package.objects.filter(match_id=match_id)
                    .prefetch_related("zones", "options"))
        return Response({"packages": [package_data(request, p) for p in packages]})

    @extend_schema(request=PackageIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, match_id: int):
        package = package_admin.package_create(actor=request.user, match_id=match_id,
                                               data=validated(PackageIn, request.data),
                                               request=request)
        return Response(package_data(request, package), status=status.HTTP_201_CREATED)


@extend_schema(tags=["packages"])
class AdminPackageView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, match_id: int, package_id: int):
        return Response(package_data(request, package_admin.package_get(
            match_id=match_id, package_id=package_id)))

    @extend_schema(request=PackageUpdateIn, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, match_id: int, package_id: int):
        data = validated(PackageUpdateIn, request.data, partial=True)
        if "version" not in data:
            raise ValidationFailed("Send the version you read.", code="version_required",
                                   field="version")
        package = package_admin.package_update(
            actor=request.user, match_id=match_id, package_id=package_id,
            version=data.pop("version"), data=data, request=request)
        return Response(package_data(request, package))

    @extend_schema(responses={204: None})
    def delete(self, request, match_id: int, package_id: int):
        package_admin.package_delete(actor=request.user, match_id=match_id,
                                     package_id=package_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["packages"])
class AdminPackagesReorderView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(request=ReorderIn, responses={204: None})
    def post(self, request, match_id: int):
        data = validated(ReorderIn, request.data)
        package_admin.packages_reorder(actor=request.user, match_id=match_id,
                                       package_ids=data["package_ids"], request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


@extend_schema(tags=["packages"])
class AdminPackageImageView(APIView):
    permission_classes = [MATCH_MANAGER]
    parser_classes = [MultiPartParser]

    @extend_schema(request={"multipart/form-data": ImageIn},
                   responses={200: OpenApiTypes.OBJECT})
    def post(self, request, match_id: int, package_id: int):
        data = validated(ImageIn, request.data)
        package = package_admin.package_image_set(
            actor=request.user, match_id=match_id, package_id=package_id,
            uploaded=data["image"], request=request)
        return Response(package_data(request, package))

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def delete(self, request, match_id: int, package_id: int):
        package = package_admin.package_image_remove(
            actor=request.user, match_id=match_id, package_id=package_id, request=request)
        return Response(package_data(request, package))


@extend_schema(tags=["packages"])
class AdminOptionsView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(responses={200: OpenApiTypes.OBJECT})
    def get(self, request, match_id: int, package_id: int):
        package = package_admin.package_get(match_id=match_id, package_id=package_id)
        return Response({"options": [option_data(o) for o in package.options.all()],
                         "max": OPTIONS_MAX})

    @extend_schema(request=OptionIn, responses={201: OpenApiTypes.OBJECT})
    def post(self, request, match_id: int, package_id: int):
        option = package_admin.option_create(actor=request.user, match_id=match_id,
                                             package_id=package_id, request=request,
                                             data=validated(OptionIn, request.data))
        return Response(option_data(option), status=status.HTTP_201_CREATED)


@extend_schema(tags=["packages"])
class AdminOptionView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(request=OptionIn, responses={200: OpenApiTypes.OBJECT})
    def patch(self, request, match_id: int, package_id: int, option_id: int):
        data = validated(OptionIn, request.data, partial=True)
        option = package_admin.option_update(actor=request.user, match_id=match_id,
                                             package_id=package_id, option_id=option_id,
                                             data=data, request=request)
        return Response(option_data(option))

    @extend_schema(responses={204: None})
    def delete(self, request, match_id: int, package_id: int, option_id: int):
        package_admin.option_delete(actor=request.user, match_id=match_id,
                                    package_id=package_id, option_id=option_id, request=request)
        return Response(status=status.HTTP_204_NO_CONTENT)


# --- sales tracking (US9) ---------------------------------------------------------------------

class SalesFilterIn(serializers.Serializer):
    package_id = serializers.IntegerField(**ID, required=False, allow_null=True)
    sponsorship_only = serializers.BooleanField(required=False, default=False)
    date_from = serializers.DateTimeField(required=False, allow_null=True)
    date_to = serializers.DateTimeField(required=False, allow_null=True)


def _filter(request, match_id: int) -> sales.SalesFilter:
    return sales.SalesFilter(match_id=match_id, **validated(SalesFilterIn, request.query_params))


def _money_dict(row: dict) -> dict:
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in row.items()}


@extend_schema(tags=["packages"])
class AdminSalesView(GenericAPIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(parameters=[SalesFilterIn], responses={200: OpenApiTypes.OBJECT},
                   summary="Package sales: totals, per package, and purchases (paginated)")
    def get(self, request, match_id: int):
        f = _filter(request, match_id)
        summary = sales.sales_summary(f)
        page = self.paginate_queryset(sales.purchases(f))
        holders = sales.holders_of(page)
        response = self.get_paginated_response(
            [sales.purchase_data(p, holders.get(p.pk, [])) for p in page])
        response.data["totals"] = _money_dict(summary.totals)
        response.data["packages"] = [_money_dict(p) for p in summary.packages]
        return response


@extend_schema(tags=["packages"])
class AdminSalesCsvView(APIView):
    permission_classes = [MATCH_MANAGER]

    @extend_schema(parameters=[SalesFilterIn], responses={(200, "text/csv"): OpenApiTypes.STR},
                   summary="Package sales as CSV, one row per ticket holder")
    def get(self, request, match_id: int):
        f = _filter(request, match_id)
        return csv_response(file_name=f"package-sales-match-{match_id}.csv",
                            header=sales.CSV_HEADER, rows=sales.csv_rows(f))
