"""Demo data: offices, merchants in every ODR status, staff, consumers, and cases in every status.

Idempotent: people, offices and merchants are looked up by their natural keys, and each demo
case by its fixed case number (``DEMO_CASES``), so running it again changes nothing. Cases are
reached through the services, exactly as the people would reach them.

The demo case numbers and the consumers' phones are fixed so that the README can list them for
public tracking (``/cases/track/``). Real case numbers start with the filing date; the demo ones
share one fixed date part, because demo cases are filed relative to the day the command runs.
"""

from datetime import timedelta
from decimal import Decimal

from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.totp import totp_activate_with_secret
from cases import services
from cases.deadlines import local_date
from cases.models import Case
from consumers.services import consumer_profile_create
from core.credit_code import check_character
from merchants.models import ODR_TRANSITIONS, Merchant, MerchantEvent, MerchantMembership
from merchants.services import merchant_event_record
from regulators.models import ComplainantFlag, Office, RegulatorMembership
from regulators.services import callback_sample, complainant_flag
from regulators.stats import office_stats_refresh

PASSWORD = "demo-password-2026"
TOTP_SECRET = "JBSWY3DPEHPK3PXP"

OFFICES = [
    # region, name, level, parent region
    ("000000", "国家市场监督管理总局", Office.Level.NATIONAL, None),
    ("140000", "山西省市场监督管理局", Office.Level.PROVINCE, "000000"),
    ("140100", "太原市市场监督管理局", Office.Level.CITY, "140000"),
    ("140105", "太原市小店区市场监督管理局", Office.Level.COUNTY, "140100"),
    ("140106", "太原市迎泽区市场监督管理局", Office.Level.COUNTY, "140100"),
]

REGULATORS = [
    ("officer.xiaodian@demo.odr.cn", "赵警官", "140105", RegulatorMembership.Role.OFFICER),
    ("supervisor.xiaodian@demo.odr.cn", "钱科长", "140105", RegulatorMembership.Role.SUPERVISOR),
    ("officer.yingze@demo.odr.cn", "孙干事", "140106", RegulatorMembership.Role.OFFICER),
    ("supervisor.taiyuan@demo.odr.cn", "李处长", "140100", RegulatorMembership.Role.SUPERVISOR),
    # The demo has district offices in Taiyuan only: a complaint about a business elsewhere lands
    # at the national office (or Shanxi's), whose officers handle it.
    ("officer.shanxi@demo.odr.cn", "周科员", "140000", RegulatorMembership.Role.OFFICER),
    ("officer.national@demo.odr.cn", "吴科员", "000000", RegulatorMembership.Role.OFFICER),
]

S = Merchant.OdrStatus
MERCHANTS = [
    # key, name, org code seed, region, status, staff (email, name, role)
    (
        "acme",
        "太原爱克美数码有限公司",
        1,
        "140105",
        S.ACTIVE,
        [
            ("owner@acme.demo.odr.cn", "周店长", MerchantMembership.Role.OWNER),
            ("agent@acme.demo.odr.cn", "吴客服", MerchantMembership.Role.AGENT),
        ],
    ),
    (
        "jinwei",
        "太原晋味食品有限公司",
        2,
        "140106",
        S.ACTIVE,
        [
            ("owner@jinwei.demo.odr.cn", "郑经理", MerchantMembership.Role.OWNER),
        ],
    ),
    (
        "longcheng",
        "太原龙城家电有限公司",
        3,
        "140105",
        S.APPLIED,
        [
            ("owner@longcheng.demo.odr.cn", "王老板", MerchantMembership.Role.OWNER),
        ],
    ),
    (
        "fenhe",
        "太原汾河服饰有限公司",
        4,
        "140106",
        S.REJECTED,
        [
            ("owner@fenhe.demo.odr.cn", "冯老板", MerchantMembership.Role.OWNER),
        ],
    ),
    (
        "jinci",
        "太原晋祠旅游服务有限公司",
        5,
        "140105",
        S.SUSPENDED,
        [
            ("owner@jinci.demo.odr.cn", "陈经理", MerchantMembership.Role.OWNER),
        ],
    ),
    (
        "shuangta",
        "太原双塔教育咨询有限公司",
        6,
        "140105",
        S.EXITED,
        [
            ("owner@shuangta.demo.odr.cn", "褚校长", MerchantMembership.Role.OWNER),
        ],
    ),
    ("liuxiang", "柳巷小吃店", 7, "140106", S.NOT_ONBOARDED, []),
]

# How each demo merchant reached its status: the steps of its history (merchants.models
# ODR_TRANSITIONS), the applicant's first and the regulator's after it.
E = MerchantEvent.Action
HISTORY = {
    S.APPLIED: [E.APPLIED],
    S.ACTIVE: [E.APPLIED, E.APPROVED],
    S.REJECTED: [E.APPLIED, E.REJECTED],
    S.SUSPENDED: [E.APPLIED, E.APPROVED, E.SUSPENDED],
    S.EXITED: [E.APPLIED, E.APPROVED, E.EXITED],
}

CONSUMERS = [
    ("alice@demo.odr.cn", "王爱丽", "13812341234"),
    ("bob@demo.odr.cn", "李博", "13900001111"),
    ("carol@demo.odr.cn", "张可乐", "13700002222"),
]


# Order reference -> fixed case number (the README lists them; keep the two in step).
DEMO_CASES = {
    "DEMO-01": "20260302-DEMCASEA",
    "DEMO-02": "20260302-DEMCASEB",
    "DEMO-03": "20260302-DEMCASEC",
    "DEMO-04": "20260302-DEMCASED",
    "DEMO-05": "20260302-DEMCASEE",
    "DEMO-06": "20260302-DEMCASEF",
    "DEMO-07": "20260302-DEMCASEG",
    "DEMO-08": "20260302-DEMCASEH",
    "DEMO-09": "20260302-DEMCASEJ",
    "DEMO-10": "20260302-DEMCASEK",
    "DEMO-11": "20260302-DEMCASEL",
}


def demo_credit_code(seed: int, region: str) -> str:
    body = f"91{region}MA{seed:07d}"
    return body + check_character(body)


class Command(BaseCommand):
    help = "Create demo offices, merchants, staff, consumers and cases (idempotent)."

    def handle(self, *args, **options):
        with transaction.atomic():
            offices = self._offices()
            self._regulators(offices)
            merchants, staff = self._merchants()
            consumers = self._consumers()
            self._admin()
        created = self._cases(offices, merchants, staff, consumers)
        self._regulator_lists()
        office_stats_refresh()  # the regulator dashboards read this rollup
        self.stdout.write(
            f"Demo data ready: {Office.objects.count()} offices, {Merchant.objects.count()} "
            f"merchants, {User.objects.count()} users, {Case.objects.count()} cases "
            f"({created} new). Password for every demo account: {PASSWORD}"
        )
        self._list_cases()

    # --- people and organisations --------------------------------------------------------

    def _user(self, email: str, name: str, phone: str = "") -> User:
        user, created = User.objects.get_or_create(
            email=email, defaults={"name": name, "phone": phone}
        )
        if created:
            user.set_password(PASSWORD)
            user.save()
        return user

    def _offices(self) -> dict[str, Office]:
        offices: dict[str, Office] = {}
        for region, name, level, parent in OFFICES:
            office, _ = Office.objects.get_or_create(
                region_code=region,
                defaults={"name": name, "level": level, "parent": offices.get(parent)},
            )
            offices[region] = office
        return offices

    def _regulators(self, offices) -> None:
        for email, name, region, role in REGULATORS:
            user = self._user(email, name)
            RegulatorMembership.objects.get_or_create(
                user=user, defaults={"office": offices[region], "role": role}
            )
            totp_activate_with_secret(user, TOTP_SECRET)

    def _merchants(self):
        merchants, staff = {}, {}
        now = timezone.now()
        for key, name, seed, region, status, people in MERCHANTS:
            merchant, _ = Merchant.objects.get_or_create(
                credit_code=demo_credit_code(seed, region),
                defaults={
                    "name": name,
                    "region_code": region,
                    "address": "山西省太原市",
                    "industry": "零售",
                    "contact_phone": "0351-1234567",
                    "odr_status": status,
                    "undertaking_accepted_at": (
                        None if status == S.NOT_ONBOARDED else now - timedelta(days=30)
                    ),
                    "pledges": ["offline_7_day_return"] if status == S.ACTIVE else [],
                    "odr_status_reason": {
                        S.REJECTED: "经营范围与申请材料不符",
                        S.SUSPENDED: "多次超期未处理投诉",
                        S.EXITED: "企业申请退出",
                    }.get(status, ""),
                },
            )
            merchants[key] = merchant
            for email, person, role in people:
                user = self._user(email, person)
                MerchantMembership.objects.get_or_create(
                    user=user, defaults={"merchant": merchant, "role": role}
                )
                staff.setdefault(key, user)
            if status in HISTORY and not merchant.history.exists():
                self._history(merchant, HISTORY[status], staff[key], now)
        return merchants, staff

    def _history(self, merchant, steps, applicant, now) -> None:
        office = Office.objects.for_region(merchant.region_code)
        officer = office.memberships.select_related("user").order_by("pk").first().user
        status = S.NOT_ONBOARDED
        for n, action in enumerate(steps):
            target = ODR_TRANSITIONS[action].target
            merchant_event_record(
                merchant=merchant,
                action=action,
                actor=applicant if action == E.APPLIED else officer,
                now=now - timedelta(days=30 - 10 * n),
                from_status=status,
                to_status=target,
                reason=merchant.odr_status_reason if target == merchant.odr_status else "",
            )
            status = target

    def _consumers(self) -> dict[str, User]:
        consumers = {}
        for email, name, phone in CONSUMERS:
            user = self._user(email, name, phone)
            # The phone is what public tracking asks for, so make sure it is the documented one.
            consumer_profile_create(user=user, phone=phone)
            # Demo consumers sign in with the phone as well as the email (unless someone else
            # verified the number first).
            taken = User.objects.filter(phone=phone, phone_verified=True).exists()
            if not user.phone_verified and not taken:
                user.phone_verified = True
                user.save(update_fields=["phone_verified"])
            consumers[email.split("@")[0]] = user
        return consumers

    def _admin(self) -> None:
        admin = self._user("admin@demo.odr.cn", "平台管理员")
        if not admin.is_superuser:
            admin.is_staff = admin.is_superuser = True
            admin.save(update_fields=["is_staff", "is_superuser"])
        # Platform admins sign in with a second factor, as regulator staff do.
        totp_activate_with_secret(admin, TOTP_SECRET)

    # --- cases ---------------------------------------------------------------------------

    def _regulator_lists(self) -> None:
        """Fill the regulator's callback list and abnormal-complainant list for the demo: every
        closed demo case is sampled for a callback, and the merchant of DEMO-03 flags it."""
        closed_days = {
            local_date(at)
            for at in Case.objects.filter(
                order_reference__in=DEMO_CASES, closed_at__isnull=False
            ).values_list("closed_at", flat=True)
        }
        for day in closed_days:
            callback_sample(day=day, share=1.0)
        flagged = Case.objects.filter(order_reference="DEMO-03").first()
        if flagged is not None and not ComplainantFlag.objects.filter(case=flagged).exists():
            complainant_flag(
                case=flagged,
                actor=flagged.merchant.memberships.first().user,
                reason="该消费者近期就同类商品多次投诉并索要高额赔偿。",
            )

    def _cases(self, offices, merchants, staff, consumers) -> int:
        now = timezone.now()
        alice, bob, carol = consumers["alice"], consumers["bob"], consumers["carol"]
        acme, jinwei, liuxiang = merchants["acme"], merchants["jinwei"], merchants["liuxiang"]
        longcheng = merchants["longcheng"]
        owner, jinwei_owner = staff["acme"], staff["jinwei"]
        yingze_officer = User.objects.get(email="officer.yingze@demo.odr.cn")
        s = services
        fulfil_by = local_date(now) + timedelta(days=7)

        def refund(case, actor, at, amount="299.00", final=False):
            return s.offer_make(
                case=case,
                actor=actor,
                remedy="refund",
                amount=amount,
                fulfil_by=fulfil_by,
                text=f"退款{amount}元，三个工作日内原路退回。",
                is_final=final,
                now=at,
            )

        def hours_ago(h: float):
            return now - timedelta(hours=h)

        scripts = {
            "DEMO-01": (alice, acme, "蓝牙耳机无法开机", lambda c: None),
            "DEMO-02": (
                alice,
                acme,
                "手机屏幕出现坏点",
                lambda c: (
                    s.case_post_message(
                        case=c, actor=owner, body="您好，请提供购买凭证和照片。", now=hours_ago(20)
                    ),
                    s.case_post_message(
                        case=c, actor=alice, body="已上传照片，请查收。", now=hours_ago(18)
                    ),
                    refund(c, owner, hours_ago(10), "1299.00"),
                ),
            ),
            "DEMO-03": (
                bob,
                acme,
                "平板电脑充电器发热",
                lambda c: (
                    s.case_acknowledge(case=c, actor=owner, now=hours_ago(40)),
                    s.case_decline(case=c, actor=owner, reason="已超过三包期限", now=hours_ago(30)),
                ),
            ),
            "DEMO-04": (
                bob,
                acme,
                "智能手表表带断裂",
                lambda c: (
                    refund(c, owner, hours_ago(40), "199.00"),
                    s.offer_accept(case=c, actor=bob, now=hours_ago(30)),
                ),
            ),
            "DEMO-05": (
                carol,
                liuxiang,
                "外卖食品变质",
                lambda c: (
                    s.case_post_message(
                        case=c, actor=carol, body="附上聊天记录截图。", now=hours_ago(20)
                    ),
                ),
            ),
            "DEMO-06": (
                alice,
                liuxiang,
                "预付卡余额无法使用",
                lambda c: (
                    s.case_accept(case=c, actor=yingze_officer, now=hours_ago(30)),
                    s.case_post_message(
                        case=c,
                        actor=yingze_officer,
                        body="请双方于本周五线上参加调解。",
                        now=hours_ago(25),
                    ),
                    s.case_post_message(
                        case=c,
                        actor=yingze_officer,
                        body="商户此前有类似投诉。",
                        internal=True,
                        now=hours_ago(24),
                    ),
                    s.referral_open(
                        case=c, actor=yingze_officer, law="《消费者权益保护法》", now=hours_ago(20)
                    ),
                ),
            ),
            "DEMO-07": (
                carol,
                acme,
                "耳机配件缺失",
                lambda c: (
                    refund(c, owner, hours_ago(60), "59.00"),
                    s.offer_accept(case=c, actor=carol, now=hours_ago(50)),
                    s.agreement_mark_fulfilled(case=c, actor=owner, now=hours_ago(40)),
                    s.agreement_confirm(case=c, actor=carol, now=hours_ago(30)),
                    s.case_rate(
                        case=c, actor=carol, rating=5, comment="处理及时", now=hours_ago(20)
                    ),
                ),
            ),
            "DEMO-08": (
                bob,
                jinwei,
                "月饼礼盒过期",
                lambda c: (
                    s.case_withdraw(
                        case=c, actor=bob, reason="已与商家线下协商解决", now=hours_ago(10)
                    ),
                ),
            ),
            "DEMO-09": (
                carol,
                liuxiang,
                "多年前的消费纠纷",
                lambda c: (
                    s.case_reject_intake(
                        case=c, actor=yingze_officer, reason_code="too_old", now=hours_ago(10)
                    ),
                ),
            ),
            "DEMO-10": (
                alice,
                jinwei,
                "网购干果短斤少两",
                lambda c: (
                    s.case_acknowledge(case=c, actor=jinwei_owner, now=hours_ago(30)),
                    refund(c, jinwei_owner, hours_ago(25), "30.00", final=True),
                    s.offer_reject(
                        case=c, actor=alice, reason="金额不足以弥补损失", now=hours_ago(20)
                    ),
                    s.case_escalate(case=c, actor=alice, now=hours_ago(10)),
                ),
            ),
            "DEMO-11": (bob, longcheng, "冰箱不制冷", lambda c: None),
        }
        created = 0
        for reference, (consumer, merchant, subject, script) in scripts.items():
            number = DEMO_CASES[reference]
            if Case.objects.filter(number=number).exists():
                continue
            earlier = Case.objects.filter(order_reference=reference, consumer=consumer).first()
            if earlier is not None:
                # Seeded before the numbers were fixed; renumbering would break its hash chain.
                self.stdout.write(
                    f"{reference} already exists as {earlier.number} (an earlier seed); "
                    f"{number} applies to a fresh database."
                )
                continue
            case = s.complaint_intake(
                respondent=merchant,
                consumer=consumer,
                subject=subject,
                facts=f"{subject}。购买后不久即出现问题，联系商家未果。",
                claim="退货退款或维修",
                amount_claimed=Decimal("299.00"),
                purchase_date=local_date(now) - timedelta(days=20),
                order_reference=reference,
                consent_disclosure=True,
                number=number,
                now=hours_ago(72),
            )
            script(case)
            created += 1
        return created

    def _list_cases(self) -> None:
        """Print the demo cases with what public tracking asks for: number and phone."""
        cases = Case.objects.filter(
            order_reference__in=DEMO_CASES, consumer__email__in=[c[0] for c in CONSUMERS]
        ).select_related("consumer")
        self.stdout.write("Demo cases (track them at /cases/track/ with the number and phone):")
        for case in sorted(cases, key=lambda c: (c.order_reference, c.number)):
            status = case.status + (f" ({case.resolution})" if case.resolution else "")
            self.stdout.write(
                f"  {case.number}  {case.order_reference}  {status:<21}  "
                f"{case.consumer.email:<20}  {case.contact_phone}"
            )
