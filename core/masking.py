"""How personal data is shown to someone who may not see it in full (product §6)."""


def mask_phone(phone: str) -> str:
    """Return a mobile number with its middle four digits hidden: 138****1234."""
    phone = (phone or "").strip()
    if len(phone) < 7:
        return "*" * len(phone)
    return f"{phone[:3]}****{phone[-4:]}"


def mask_name(name: str) -> str:
    """Return a name with all but its first character hidden: 张*, 王**."""
    name = (name or "").strip()
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def mask_email(email: str) -> str:
    """Return an address with the local part hidden but its first character: a***@example.cn."""
    local, at, domain = (email or "").partition("@")
    return f"{local[:1]}***{at}{domain}" if at else mask_name(email)
