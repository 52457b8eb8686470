from ticketing.models.accounts import (
    CROATIA,
    ApiSession,
    IdentityDocument,
    Profile,
    SavedProfile,
    User,
    UserManager,
    UserStatus,
)
from ticketing.models.carts import Cart, CartItem, CartPackage, CartStatus
from ticketing.models.orders import (
    MONEY,
    HolderSource,
    Order,
    OrderItem,
    OrderSource,
    OrderStatus,
    RefundState,
    Ticket,
    TicketStatus,
)

__all__ = [
    "CROATIA", "MONEY", "ApiSession", "Cart", "CartItem", "CartPackage", "CartStatus",
    "HolderSource", "IdentityDocument", "Order", "OrderItem", "OrderSource", "OrderStatus",
    "Profile",
    "RefundState", "SavedProfile", "Ticket", "TicketStatus", "User", "UserManager", "UserStatus",
]
