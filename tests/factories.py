"""factory-boy factories: valid starting rows. Reach later states through the services."""

import io

import factory
from django.core.files.uploadedfile import SimpleUploadedFile
from factory.django import DjangoModelFactory
from PIL import Image

from accounts.models import User
from cases.evidence import CheckedFile, check_evidence_file
from consumers.models import ConsumerProfile
from core.credit_code import ALPHABET, check_character
from merchants.models import Merchant, MerchantMembership
from regulators.models import Office, RegulatorMembership

PASSWORD = "correct-horse-battery-staple"


def licence_upload(name: str = "营业执照.png") -> SimpleUploadedFile:
    """A photo of a business licence as a browser uploads it (a small PNG)."""
    out = io.BytesIO()
    Image.new("RGB", (64, 40), (200, 30, 30)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


def licence_file() -> CheckedFile:
    """A business licence as an application carries it: the upload, checked."""
    return check_evidence_file(licence_upload())


def credit_code(n: int, region: str = "140105") -> str:
    body = f"91{region}" + f"{n:09d}".translate(str.maketrans("0123456789", ALPHABET[:10]))
    return body + check_character(body)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@example.cn")
    name = factory.Sequence(lambda n: f"用户{n}")
    password = factory.PostGenerationMethodCall("set_password", PASSWORD)

    @factory.post_generation
    def _save(obj, create, extracted, **kwargs):
        if create:
            obj.save()


class ConsumerFactory(UserFactory):
    phone = factory.Sequence(lambda n: f"138{n:08d}")
    profile = factory.RelatedFactory(
        "tests.factories.ConsumerProfileFactory", factory_related_name="user"
    )


class ConsumerProfileFactory(DjangoModelFactory):
    class Meta:
        model = ConsumerProfile

    user = factory.SubFactory(UserFactory)


class OfficeFactory(DjangoModelFactory):
    class Meta:
        model = Office
        django_get_or_create = ["region_code"]

    name = factory.LazyAttribute(lambda o: f"市场监管局 {o.region_code}")
    region_code = "000000"
    level = Office.Level.NATIONAL
    parent = None


class MerchantFactory(DjangoModelFactory):
    class Meta:
        model = Merchant

    name = factory.Sequence(lambda n: f"商户{n}有限公司")
    credit_code = factory.Sequence(lambda n: credit_code(n))
    region_code = "140105"
    address = "太原市小店区"
    industry = "retail"
    odr_status = Merchant.OdrStatus.ACTIVE


class MerchantMembershipFactory(DjangoModelFactory):
    class Meta:
        model = MerchantMembership

    user = factory.SubFactory(UserFactory)
    merchant = factory.SubFactory(MerchantFactory)
    role = MerchantMembership.Role.OWNER


class RegulatorMembershipFactory(DjangoModelFactory):
    class Meta:
        model = RegulatorMembership

    user = factory.SubFactory(UserFactory)
    office = factory.SubFactory(OfficeFactory)
    role = RegulatorMembership.Role.OFFICER
