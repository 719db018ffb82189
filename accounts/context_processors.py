from .roles import role_of


def roles(request) -> dict:
    user = getattr(request, "user", None)
    return {"role": role_of(user) if user is not None else None}
