"""The petrol station's counter at /petrol/ (E12-F2, E12-F3): server-rendered pages for
Petrol Staff, signed in with their own password at /petrol/login/. Each form posts to a view
that calls quotas.petrol.services.sales; a refusal shows its message on the page."""

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from core.errors import DomainError
from core.roles import Role, user_has_role
from quotas.petrol.api import counter_view
from quotas.petrol.models import PaymentMethod, PetrolSale
from quotas.petrol.services import sales


class PetrolLoginView(LoginView):
    template_name = "petrol/login.html"
    redirect_authenticated_user = True


def petrol_staff_only(view):
    @login_required(login_url="petrol:login")
    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not user_has_role(request.user, Role.PETROL_STAFF):
            return render(request, "petrol/forbidden.html",
                          {"reason": "This page is for Petrol Staff."}, status=403)
        try:
            sales.staff_station(request.user)
        except DomainError as exc:
            return render(request, "petrol/forbidden.html", {"reason": exc.detail}, status=403)
        return view(request, *args, **kwargs)

    return wrapped


def _refused(request, exc: DomainError, template: str, context: dict):
    messages.error(request, exc.detail)
    return render(request, template, context, status=exc.status_code)


@require_http_methods(["GET", "POST"])
@petrol_staff_only
def home(request):
    """Type the fan's PIN: its seats are reserved and the counter page opens."""
    if request.method == "POST":
        try:
            found = sales.pin_lookup(staff=request.user, pin=request.POST.get("pin", ""),
                                     request=request)
        except DomainError as exc:
            return _refused(request, exc, "petrol/home.html", {})
        return redirect("petrol:counter", reservation_id=found.reservation.pk)
    return render(request, "petrol/home.html", {})


@petrol_staff_only
def counter_page(request, reservation_id: int):
    try:
        found = sales.counter_at(staff=request.user, reservation_id=reservation_id)
    except DomainError as exc:
        return _refused(request, exc, "petrol/home.html", {})
    return render(request, "petrol/counter.html", {
        "counter": counter_view(found), "reservation": found.reservation,
        "methods": PaymentMethod.choices})


@require_POST
@petrol_staff_only
def counter_action(request, reservation_id: int, action: str):
    """verify, confirm or cancel; back to the counter page (or the sale's) with the outcome."""
    try:
        if action == "verify":
            sales.reservation_verify(staff=request.user, reservation_id=reservation_id,
                                     request=request)
            messages.success(request, "Identity checked: take the payment.")
        elif action == "confirm":
            sale = sales.reservation_confirm(
                staff=request.user, reservation_id=reservation_id, request=request,
                payment_method=request.POST.get("payment_method", ""),
                payment_reference=request.POST.get("payment_reference", ""))
            return redirect("petrol:sale", sale_id=sale.pk)
        else:
            sales.reservation_cancel(staff=request.user, reservation_id=reservation_id,
                                     reason=request.POST.get("reason", ""), request=request)
            messages.success(request, "Reservation cancelled: the seats are back.")
            return redirect("petrol:home")
    except DomainError as exc:
        messages.error(request, exc.detail)
    return redirect("petrol:counter", reservation_id=reservation_id)


@petrol_staff_only
def sale_page(request, sale_id: int):
    sale = (PetrolSale.objects.select_related("order", "reservation__pin__user")
            .filter(pk=sale_id, station=sales.staff_station(request.user)).first())
    if sale is None:
        return redirect("petrol:home")
    return render(request, "petrol/sale.html", {"sale": sale})
