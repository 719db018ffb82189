from django.db import transaction

from core.credit_code import normalize_credit_code, validate_credit_code
from core.regions import validate_region_code

from .models import Merchant


@transaction.atomic
def merchant_find_or_create_respondent(
    *, name: str, region_code: str, credit_code: str = "", address: str = ""
) -> Merchant:
    """Return the business a complaint is against, creating a not-onboarded one if unknown.

    A known credit code identifies the merchant whatever name the consumer typed. Otherwise the
    same name in the same region does, unless that merchant's own credit code differs from the
    one typed (then they are two businesses). The region must be one of the national table.
    """
    name, region_code = name.strip(), region_code.strip()
    validate_region_code(region_code)
    credit_code = normalize_credit_code(credit_code)
    if credit_code:
        validate_credit_code(credit_code)
        merchant = Merchant.objects.filter(credit_code=credit_code).first()
        if merchant is not None:
            return merchant
    same_name = Merchant.objects.filter(name=name, region_code=region_code)
    if credit_code:
        same_name = same_name.filter(credit_code__isnull=True)
    merchant = same_name.order_by("pk").first()
    if merchant is not None:
        return merchant
    return Merchant.objects.create(
        name=name,
        region_code=region_code,
        credit_code=credit_code or None,
        address=address.strip(),
        odr_status=Merchant.OdrStatus.NOT_ONBOARDED,
    )
