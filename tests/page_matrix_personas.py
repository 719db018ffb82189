"""The world of the page matrix (tests/test_page_matrix.py): its personas, each signed in once,
and the rows their pages are opened on. Built once per module, through the services.

The office tree: national → Shanxi (140000) → Taiyuan (140100) → Xiaodian (140105) and Yingze
(140106), two sibling district offices.

consumer_a          filed case_a against merchant 1 (active, Xiaodian), with an evidence file
consumer_b          filed case_b against merchant 2 (active, Yingze)
agent_1, owner_1    merchant 1's staff        agent_2, owner_2    merchant 2's staff
officer_xiaodian    officer of Xiaodian       officer_yingze      officer of Yingze
supervisor_taiyuan  supervisor of Taiyuan, the office above both districts
applicant           applied (merchant_apply) for 龙城家电, which carol had complained about
                    before (case_pre, with the Xiaodian office); carol wrote to it after
admin_without_totp  is_staff and is_superuser, no second factor
anonymous           no session

Regulator staff have a TOTP authenticator. Each persona is signed in once (``force_login``); every
request of the matrix carries that session.
"""

import io
from dataclasses import dataclass, field
from unittest import mock

from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from accounts.totp import totp_activate_with_secret
from api.services import api_token_create
from cases import services as case_services
from cases.evidence import check_evidence_file
from cases.models import Case, Evidence, Notification
from merchants import services as merchant_services
from merchants.models import (
    Merchant,
    MerchantInvitation,
    MerchantMembership,
    ReplyTemplate,
    WebhookDelivery,
    WebhookEndpoint,
)
from merchants.webhooks import webhook_endpoint_create
from regulators.models import BusinessInvitation, Office
from regulators.services import business_invite
from tests import factories as f
from tests.conftest import TEST_NOW, on_day

ANON = "anonymous"
A, B = "consumer_a", "consumer_b"
AG1, OW1, AG2, OW2 = "agent_1", "owner_1", "agent_2", "owner_2"
OX, OY, SUP = "officer_xiaodian", "officer_yingze", "supervisor_taiyuan"
APP = "applicant"
ADM = "admin_without_totp"
PERSONAS = [ANON, A, B, AG1, OW1, AG2, OW2, OX, OY, SUP, APP, ADM]

# The instant every request of the matrix is made at: the suite's (ODR_TEST_NOW); the world is
# built over the three days before it.
INSTANT = TEST_NOW
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
# The link of merchant 1's staff invitation (its SHA-256 is what is stored).
INVITATION_TOKEN = "page-matrix-invitation-token-0123456789abcdefgh"
# Credit codes of the businesses the world makes, apart from the factories' sequence.
PRIOR_CODE = f.credit_code(700_001, region="140109")
SNACK_CODE = f.credit_code(700_002, region="140109")
NEW_BUSINESS_CODE = f.credit_code(700_003, region="140109")


def png(name: str = "receipt.png") -> SimpleUploadedFile:
    out = io.BytesIO()
    Image.new("RGB", (8, 8), (0, 90, 200)).save(out, "PNG")
    return SimpleUploadedFile(name, out.getvalue(), content_type="image/png")


@dataclass
class World:
    users: dict  # persona → User (no anonymous)
    sessions: dict  # persona → session key
    offices: dict  # region code → Office
    merchant_1: Merchant
    merchant_2: Merchant
    prior: Merchant  # 龙城家电: complained about, then applied for by the applicant
    snack: Merchant  # 柳巷小吃店: not onboarded, in Xiaodian
    case_a: Case
    case_b: Case
    case_pre: Case  # carol's, against the prior business, with the Xiaodian office
    case_snack: Case  # carol's, against the snack bar, with the Xiaodian office
    evidence_a: Evidence
    agent_1_membership: MerchantMembership
    invitation_1: MerchantInvitation
    template_1: ReplyTemplate
    webhook_1: WebhookEndpoint
    delivery_1: WebhookDelivery
    applicant_webhook: WebhookEndpoint
    media: str  # where the world's files are (evidence, the business licence)
    token_1: object
    letter: BusinessInvitation
    notification_1: Notification  # owner_1's: case_a was filed
    extra: dict = field(default_factory=dict)

    def user(self, persona: str):
        return self.users.get(persona)

    def client(self, persona: str) -> Client:
        """A fresh client; signed in (with the persona's session) unless anonymous."""
        client = Client(enforce_csrf_checks=False)
        if persona != ANON:
            client.cookies[settings.SESSION_COOKIE_NAME] = self.sessions[persona]
        return client

    def numbers(self) -> dict[str, str]:
        return {
            "case_a": self.case_a.number,
            "case_b": self.case_b.number,
            "case_pre": self.case_pre.number,
            "case_snack": self.case_snack.number,
        }


# The cases each persona has a standing on (product §2, §6); any other case number on a page
# they get is a leak.
STANDING = {
    ANON: set(),
    A: {"case_a"},
    B: {"case_b"},
    AG1: {"case_a"},
    OW1: {"case_a"},
    AG2: {"case_b"},
    OW2: {"case_b"},
    OX: {"case_a", "case_pre", "case_snack"},
    OY: {"case_b"},
    SUP: {"case_a", "case_b", "case_pre", "case_snack"},
    APP: set(),
    ADM: set(),
}


def _signed_in_session(user) -> str:
    """Sign ``user`` in once; return the session key."""
    client = Client()
    client.force_login(user)
    return client.session.session_key


def _offices() -> dict:
    national = f.OfficeFactory(name="国家市场监督管理总局", region_code="000000", level=0)
    shanxi = f.OfficeFactory(
        name="山西省市场监管局", region_code="140000", level=1, parent=national
    )
    taiyuan = f.OfficeFactory(name="太原市市场监管局", region_code="140100", level=2, parent=shanxi)
    xiaodian = f.OfficeFactory(
        name="小店区市场监管局", region_code="140105", level=3, parent=taiyuan
    )
    yingze = f.OfficeFactory(name="迎泽区市场监管局", region_code="140106", level=3, parent=taiyuan)
    return {o.region_code: o for o in (national, shanxi, taiyuan, xiaodian, yingze)}


def _complaint(consumer, merchant, now, **fields) -> Case:
    return case_services.case_file(
        consumer=consumer,
        merchant=merchant,
        subject=fields.pop("subject", "耳机无法开机"),
        facts=fields.pop("facts", "收到的耳机无法开机。"),
        claim=fields.pop("claim", "退货退款"),
        amount_claimed=fields.pop("amount_claimed", "299.00"),
        now=now,
        **fields,
    )


def build_world(media: str) -> World:
    offices: dict[str, Office] = _offices()
    users = {
        A: f.ConsumerFactory(email="consumer.a@example.cn", name="王爱丽", phone="13812341234"),
        B: f.ConsumerFactory(email="consumer.b@example.cn", name="李博", phone="13900001111"),
    }
    carol = f.ConsumerFactory(email="carol@example.cn", name="卡萝", phone="13700002222")
    merchant_1 = f.MerchantFactory(name="爱克美商贸有限公司", region_code="140105")
    merchant_2 = f.MerchantFactory(name="迎泽百货有限公司", region_code="140106")
    owner = MerchantMembership.Role.OWNER
    agent = MerchantMembership.Role.AGENT
    for persona, merchant, role in (
        (AG1, merchant_1, agent),
        (OW1, merchant_1, owner),
        (AG2, merchant_2, agent),
        (OW2, merchant_2, owner),
    ):
        users[persona] = f.MerchantMembershipFactory(
            user__email=f"{persona.replace('_', '.')}@example.cn", merchant=merchant, role=role
        ).user
    for persona, code, role in (
        (OX, "140105", "officer"),
        (OY, "140106", "officer"),
        (SUP, "140100", "supervisor"),
    ):
        users[persona] = f.RegulatorMembershipFactory(
            user__email=f"{persona.replace('_', '.')}@samr.cn", office=offices[code], role=role
        ).user
        totp_activate_with_secret(users[persona], TOTP_SECRET)
    users[APP] = f.UserFactory(email="applicant@example.cn", name="龙城老板")
    users[ADM] = f.UserFactory(email="admin@example.cn", is_staff=True, is_superuser=True)

    # Merchant 1's webhook, registered before its first complaint: that complaint's delivery.
    webhook_1, _secret = webhook_endpoint_create(
        merchant=merchant_1,
        actor=users[OW1],
        url="https://8.8.8.8/odr",
        events=["case.submitted", "case.message"],
        now=on_day(-3, 9),
    )
    case_a = _complaint(users[A], merchant_1, on_day(-2, 10))
    evidence_a = case_services.evidence_add(
        case=case_a, actor=users[A], file=png(), now=on_day(-2, 10, 5)
    )
    case_b = _complaint(users[B], merchant_2, on_day(-2, 10, 30), subject="衣服褪色")

    # A business complained about before anyone applied for it; then the applicant applies.
    prior = merchant_services.merchant_find_or_create_respondent(
        name="龙城家电", region_code="140105", credit_code=PRIOR_CODE, address="太原市小店区"
    )
    case_pre = _complaint(carol, prior, on_day(-2, 9), subject="冰箱不制冷")
    merchant_services.merchant_apply(
        users[APP],
        name="龙城家电",
        credit_code=PRIOR_CODE,
        region_code="140105",
        legal_representative="龙城",
        business_licence=check_evidence_file(png("营业执照.png")),
        address="太原市小店区长风街 2 号",
        industry="家电零售",
        contact_phone="0351-7654321",
        undertaking=True,
        now=on_day(-1, 9),
    )
    prior.refresh_from_db()
    assert prior.odr_status == Merchant.OdrStatus.APPLIED
    # The applicant, as the owner of the applied business, registers a webhook; carol writes on
    # her earlier complaint afterwards.
    applicant_webhook, _secret = webhook_endpoint_create(
        merchant=prior,
        actor=users[APP],
        url="https://8.8.4.4/odr",
        events=["case.message"],
        now=on_day(-1, 9, 30),
    )
    case_services.case_post_message(
        case=case_pre, actor=carol, body="请尽快处理，冰箱里的东西都坏了。", now=on_day(-1, 10)
    )

    snack = merchant_services.merchant_find_or_create_respondent(
        name="柳巷小吃店", region_code="140105", credit_code=SNACK_CODE, address="太原市小店区"
    )
    case_snack = _complaint(carol, snack, on_day(-2, 9, 30), subject="饭菜变质")
    letter = business_invite(
        merchant=snack,
        actor=users[OX],
        channel=BusinessInvitation.Channel.LETTER,
        now=on_day(-1, 11),
    )

    with mock.patch("merchants.services.secrets.token_urlsafe", return_value=INVITATION_TOKEN):
        invitation_1 = merchant_services.staff_invite(
            merchant=merchant_1,
            actor=users[OW1],
            email="invitee@example.cn",
            role=MerchantMembership.Role.AGENT,
            site_url="http://testserver/",
            now=on_day(-1, 12),
        )
    template_1 = merchant_services.reply_template_save(
        merchant=merchant_1, actor=users[OW1], title="问候", body="您好，{consumer_name}。"
    )
    token_1, _text = api_token_create(
        merchant=merchant_1, actor=users[OW1], name="ERP", scope="read", now=on_day(-1, 13)
    )

    world = World(
        users=users,
        sessions={persona: _signed_in_session(user) for persona, user in users.items()},
        offices=offices,
        merchant_1=merchant_1,
        merchant_2=merchant_2,
        prior=prior,
        snack=snack,
        case_a=Case.objects.get(pk=case_a.pk),
        case_b=Case.objects.get(pk=case_b.pk),
        case_pre=Case.objects.get(pk=case_pre.pk),
        case_snack=Case.objects.get(pk=case_snack.pk),
        evidence_a=evidence_a,
        agent_1_membership=MerchantMembership.objects.get(user=users[AG1]),
        invitation_1=invitation_1,
        template_1=template_1,
        webhook_1=webhook_1,
        delivery_1=WebhookDelivery.objects.get(endpoint=webhook_1),
        applicant_webhook=applicant_webhook,
        media=media,
        token_1=token_1,
        letter=letter,
        notification_1=Notification.objects.filter(user=users[OW1], event__case=case_a).earliest(
            "pk"
        ),
    )
    _check(world)
    return world


def _check(world: World) -> None:
    """What the matrix's rows rely on."""
    assert world.case_a.status == "submitted" and world.case_a.office == world.offices["140105"]
    assert world.case_b.office == world.offices["140106"]
    assert world.case_pre.status == "regulator_intake"
    assert world.case_pre.office == world.offices["140105"]
    assert world.case_snack.office == world.offices["140105"]
    assert world.snack.odr_status == Merchant.OdrStatus.NOT_ONBOARDED
