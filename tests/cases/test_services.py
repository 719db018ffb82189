"""The case lifecycle of product §4, driven through the services as the people would."""

import hashlib
from datetime import date
from decimal import Decimal

import pytest
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import ValidationError

from cases import services
from cases.ledger import ledger_verify
from cases.models import Agreement, Case, CaseEvent, DeadlinePolicy, Offer, Resolution, Status
from cases.op import Op
from cases.rules import Action, Party, case_available_actions
from core.errors import ActionNotAllowed, InvalidTransition, ValidationFailed
from tests import factories as f
from tests.cases.helpers import offer
from tests.cases.test_evidence import image_bytes, upload
from tests.conftest import at

E = CaseEvent.Type


def event_types(case: Case) -> list[str]:
    return list(case.events.order_by("seq").values_list("type", flat=True))


class TestFiling:
    def test_complaint_against_active_merchant_goes_to_the_merchant(self, file_case, xiaodian):
        case = file_case()
        assert case.status == Status.SUBMITTED
        assert case.office == xiaodian
        # Filed Monday 2026-03-02: acknowledge by Wed 03-04, settle by Mon 03-16 (10 working days).
        assert case.acknowledge_due_at == at(2026, 3, 4, 23, 59, 59)
        assert case.settle_due_at == at(2026, 3, 16, 23, 59, 59)
        assert event_types(case) == [E.FILED]
        assert case.next_action_at is not None

    @pytest.mark.parametrize("odr_status", ["not_onboarded", "applied", "suspended", "exited"])
    def test_complaint_against_merchant_not_active_goes_to_the_regulator(
        self, file_case, odr_status, xiaodian
    ):
        merchant = f.MerchantFactory(odr_status=odr_status)
        case = file_case(merchant=merchant)
        assert case.status == Status.REGULATOR_INTAKE
        assert case.office == xiaodian
        assert case.intake_due_at == at(2026, 3, 11, 23, 59, 59)  # 7 working days

    def test_case_goes_to_the_most_specific_office_containing_the_merchant(
        self, file_case, offices
    ):
        taiyuan_merchant = f.MerchantFactory(region_code="140108", odr_status="not_onboarded")
        assert file_case(merchant=taiyuan_merchant).office == offices["140100"]
        elsewhere = f.MerchantFactory(region_code="330106", odr_status="not_onboarded")
        assert file_case(merchant=elsewhere).office == offices["000000"]

    def test_case_numbers_are_unique_and_not_sequential(self, file_case):
        numbers = [file_case().number for _ in range(5)]
        assert len(set(numbers)) == 5
        assert all(n.startswith("20260302-") and len(n) == 17 for n in numbers)
        assert len({n[-8:] for n in numbers}) == 5

    def test_filing_without_facts_is_refused_beside_the_field(self, file_case):
        with pytest.raises(ValidationFailed) as error:
            file_case(facts="  ")
        assert error.value.field == "facts"
        assert Case.objects.count() == 0

    def test_purchase_in_the_future_is_refused(self, file_case):
        with pytest.raises(ValidationFailed) as error:
            file_case(purchase_date=date(2026, 4, 1))
        assert error.value.field == "purchase_date"


class TestNegotiation:
    def test_acknowledging_starts_negotiation_and_keeps_the_settlement_clock(
        self, file_case, mallory
    ):
        case = file_case()
        settle = case.settle_due_at
        case = services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
        assert case.status == Status.NEGOTIATING
        assert case.settle_due_at == settle
        assert case.acknowledge_due_at is None
        assert event_types(case) == [E.FILED, E.ACKNOWLEDGED]

    def test_merchant_message_acknowledges_a_submitted_case(self, file_case, mallory):
        case = file_case()
        services.case_post_message(
            case=case, actor=mallory, body="您好，我们在核实。", now=at(2026, 3, 3, 9)
        )
        case.refresh_from_db()
        assert case.status == Status.NEGOTIATING
        assert event_types(case) == [E.FILED, E.ACKNOWLEDGED, E.MESSAGE_POSTED]

    def test_accepting_an_offer_settles_and_counts_the_money(self, file_case, alice, mallory):
        case = file_case()
        made = offer(case, mallory, at(2026, 3, 3, 9))
        case.refresh_from_db()
        assert case.status == Status.NEGOTIATING
        assert case.offer_due_at == at(2026, 3, 10, 23, 59, 59)  # 7 calendar days
        services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 9))
        case.refresh_from_db()
        assert case.status == Status.SETTLED
        assert case.offer_due_at is None and case.settle_due_at is None
        agreement = case.current_agreement()
        assert agreement.kind == Agreement.Kind.NEGOTIATED
        assert agreement.amount == Decimal("299.00")
        made.refresh_from_db()
        assert made.status == Offer.Status.ACCEPTED

    def test_only_one_offer_is_open_at_a_time(self, file_case, mallory):
        case = file_case()
        offer(case, mallory, at(2026, 3, 3, 9))
        case.refresh_from_db()
        assert Action.MAKE_OFFER not in case_available_actions(
            case, mallory, now=at(2026, 3, 3, 10)
        )
        with pytest.raises(ActionNotAllowed):
            offer(case, mallory, at(2026, 3, 3, 10))

    def test_rejecting_a_final_offer_ends_negotiation(self, file_case, alice, mallory):
        case = file_case()
        offer(case, mallory, at(2026, 3, 3, 9), is_final=True)
        services.offer_reject(case=case, actor=alice, reason="金额太低", now=at(2026, 3, 4, 9))
        case.refresh_from_db()
        assert case.status == Status.NOT_SETTLED
        assert case.choice_due_at == at(2026, 3, 19, 23, 59, 59)  # 15 calendar days
        assert event_types(case)[-1] == E.OFFER_REJECTED
        assert event_types(case).count(E.OFFER_REJECTED) == 1

    def test_rejecting_an_ordinary_offer_keeps_negotiating(self, file_case, alice, mallory):
        case = file_case()
        offer(case, mallory, at(2026, 3, 3, 9))
        services.offer_reject(case=case, actor=alice, reason="金额太低", now=at(2026, 3, 4, 9))
        case.refresh_from_db()
        assert case.status == Status.NEGOTIATING
        assert Action.MAKE_OFFER in case_available_actions(case, mallory, now=at(2026, 3, 4, 10))

    def test_merchant_declines_then_consumer_escalates(self, file_case, alice, mallory, xiaodian):
        case = file_case()
        services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
        with pytest.raises(ValidationFailed):
            services.case_decline(case=case, actor=mallory, reason="", now=at(2026, 3, 3, 10))
        case = services.case_decline(
            case=case, actor=mallory, reason="超过保修期", now=at(2026, 3, 3, 10)
        )
        assert case.status == Status.NOT_SETTLED
        case = services.case_escalate(case=case, actor=alice, now=at(2026, 3, 5, 10))
        assert case.status == Status.REGULATOR_INTAKE
        assert case.intake_due_at == at(2026, 3, 16, 23, 59, 59)

    def test_consumer_can_close_a_case_that_was_not_settled(self, file_case, alice, mallory):
        case = file_case()
        services.case_acknowledge(case=case, actor=mallory, now=at(2026, 3, 3, 9))
        services.case_decline(case=case, actor=mallory, reason="超过保修期", now=at(2026, 3, 3, 10))
        case = services.case_close(case=case, actor=alice, now=at(2026, 3, 4, 10))
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.NOT_SETTLED)
        assert case.rating_due_at == at(2026, 4, 3, 23, 59, 59)

    def test_consumer_withdraws(self, file_case, alice):
        case = file_case()
        case = services.case_withdraw(
            case=case, actor=alice, reason="已自行解决", now=at(2026, 3, 3, 9)
        )
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.WITHDRAWN)
        assert case.next_action_at == case.rating_due_at


class TestFulfilment:
    def settled(self, file_case, alice, mallory):
        case = file_case()
        offer(case, mallory, at(2026, 3, 3, 9))
        services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 9))
        return case

    def test_merchant_marks_fulfilled_and_consumer_confirms(self, file_case, alice, mallory):
        case = self.settled(file_case, alice, mallory)
        services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 6, 9))
        case.refresh_from_db()
        assert case.confirm_due_at == at(2026, 3, 13, 23, 59, 59)
        services.agreement_confirm(case=case, actor=alice, now=at(2026, 3, 7, 9))
        case.refresh_from_db()
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.SETTLED)
        case = services.case_rate(
            case=case, actor=alice, rating=5, comment="满意", now=at(2026, 3, 8, 9)
        )
        assert case.rating == 5
        assert case.next_action_at is None

    def test_both_parties_write_and_attach_while_the_agreement_awaits_fulfilment(
        self, file_case, alice, mallory, olivia
    ):
        case = self.settled(file_case, alice, mallory)
        asked = services.case_post_message(
            case=case, actor=mallory, body="请提供收款账号", now=at(2026, 3, 4, 10)
        )
        answered = services.case_post_message(
            case=case, actor=alice, body="尚未收到退款", now=at(2026, 3, 4, 11)
        )
        receipt = services.evidence_add(
            case=case,
            actor=mallory,
            file=upload(image_bytes(), "receipt.png", "image/png"),
            description="退款凭证",
            now=at(2026, 3, 4, 12),
        )
        assert [asked.author_party, answered.author_party] == [Party.MERCHANT, Party.CONSUMER]
        assert receipt.case_id == case.pk
        for person in (alice, mallory):
            assert {Action.POST_MESSAGE, Action.ADD_EVIDENCE} <= case_available_actions(
                Case.objects.get(pk=case.pk), person, now=at(2026, 3, 4, 13)
            )
        # The office of a negotiated settlement does not join the parties' thread.
        assert Action.POST_MESSAGE not in case_available_actions(
            Case.objects.get(pk=case.pk), olivia, now=at(2026, 3, 4, 13)
        )

    def test_the_thread_closes_with_the_case(self, file_case, alice, mallory):
        case = self.settled(file_case, alice, mallory)
        services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 6, 9))
        services.agreement_confirm(case=case, actor=alice, now=at(2026, 3, 7, 9))
        for person in (alice, mallory):
            with pytest.raises(ActionNotAllowed):
                services.case_post_message(
                    case=case, actor=person, body="还有一件事", now=at(2026, 3, 7, 10)
                )

    def test_breach_of_a_negotiated_settlement_goes_to_the_regulator(
        self, file_case, alice, mallory
    ):
        case = self.settled(file_case, alice, mallory)
        services.agreement_report_breach(
            case=case, actor=alice, description="未退款", now=at(2026, 3, 21, 9)
        )
        case.refresh_from_db()
        assert case.status == Status.REGULATOR_INTAKE

    def test_breach_of_a_mediated_agreement_ends_as_failed_mediation(
        self, file_case, alice, olivia
    ):
        case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
        services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        services.mediation_conclude(
            case=case,
            actor=olivia,
            remedy="refund",
            amount="100",
            fulfil_by=date(2026, 3, 10),
            text="退款100元",
            now=at(2026, 3, 5, 9),
        )
        case.refresh_from_db()
        assert case.status == Status.SETTLED
        services.agreement_report_breach(
            case=case, actor=alice, description="未退款", now=at(2026, 3, 12, 9)
        )
        case.refresh_from_db()
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.MEDIATION_FAILED)
        assert case.events.order_by("seq").last().data["advice"] == "arbitration_or_court"


class TestRegulator:
    def intake_case(self, file_case):
        return file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))

    def test_accept_opens_mediation_with_45_working_days(self, file_case, olivia):
        case = self.intake_case(file_case)
        case = services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        assert case.status == Status.MEDIATION
        # 45 working days: Qingming (04-06) and Labour Day (05-01..05) skipped; the
        # make-up working Saturday 05-09 is the 45th.
        assert case.mediation_due_at == at(2026, 5, 9, 23, 59, 59)
        assert case.intake_due_at is None

    def test_not_accepting_needs_a_reason_code_and_other_needs_text(self, file_case, olivia):
        case = self.intake_case(file_case)
        with pytest.raises(ValidationFailed):
            services.case_reject_intake(
                case=case, actor=olivia, reason_code="nonsense", now=at(2026, 3, 3, 9)
            )
        with pytest.raises(ValidationFailed) as error:
            services.case_reject_intake(
                case=case, actor=olivia, reason_code="other", now=at(2026, 3, 3, 9)
            )
        assert error.value.field == "reason_text"
        case = services.case_reject_intake(
            case=case, actor=olivia, reason_code="too_old", now=at(2026, 3, 3, 9)
        )
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.NOT_ACCEPTED)

    def test_transfer_moves_the_case_and_restarts_the_clock(self, file_case, olivia, offices):
        case = self.intake_case(file_case)
        case = services.case_transfer(
            case=case,
            actor=olivia,
            to_office=offices["140106"],
            reason="商户实际经营地在迎泽区",
            now=at(2026, 3, 9, 9),
        )
        assert case.office == offices["140106"]
        assert case.status == Status.REGULATOR_INTAKE
        assert case.intake_due_at == at(2026, 3, 18, 23, 59, 59)
        with pytest.raises(ActionNotAllowed):
            services.case_accept(case=case, actor=olivia, now=at(2026, 3, 9, 10))

    def test_mediator_offer_needs_both_parties(self, file_case, alice, olivia, mallory):
        # A suspended business: its complaints go to the regulator, and its staff, approved
        # once, still take part for the business.
        merchant = f.MerchantFactory(odr_status="suspended")
        staff = f.MerchantMembershipFactory(merchant=merchant).user
        case = file_case(merchant=merchant)
        services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        offer(case, olivia, at(2026, 3, 4, 9))
        services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 10))
        case.refresh_from_db()
        assert case.status == Status.MEDIATION
        services.offer_accept(case=case, actor=staff, now=at(2026, 3, 4, 11))
        case.refresh_from_db()
        assert case.status == Status.SETTLED
        assert case.current_agreement().kind == Agreement.Kind.MEDIATED

    def test_terminating_mediation_records_the_reason(self, file_case, olivia):
        case = self.intake_case(file_case)
        services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        case = services.mediation_terminate(
            case=case, actor=olivia, reason_code="party_absent", now=at(2026, 3, 4, 9)
        )
        assert (case.status, case.resolution) == (Status.CLOSED, Resolution.MEDIATION_FAILED)
        assert case.events.order_by("seq").last().data["reason_code"] == "party_absent"

    def test_referral_runs_beside_mediation_and_is_extended_once(self, file_case, olivia):
        case = self.intake_case(file_case)
        services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
        referral = services.referral_open(
            case=case, actor=olivia, law="《广告法》", now=at(2026, 3, 3, 10)
        )
        assert referral.decide_due_at == at(2026, 3, 24, 23, 59, 59)  # 15 working days
        case.refresh_from_db()
        assert case.status == Status.MEDIATION
        services.referral_extend(case=case, actor=olivia, reason="需要检测", now=at(2026, 3, 20, 9))
        referral.refresh_from_db()
        assert referral.decide_due_at == at(2026, 4, 15, 23, 59, 59)  # Qingming 04-06 skipped
        with pytest.raises(ActionNotAllowed):
            services.referral_extend(case=case, actor=olivia, reason="再延", now=at(2026, 3, 21, 9))
        services.referral_decide(
            case=case, actor=olivia, outcome="case_opened", now=at(2026, 3, 30, 9)
        )
        referral.refresh_from_db()
        assert referral.status == "case_opened"
        assert case.events.filter(type=E.REFERRAL_OPENED, internal=True).exists()

    def test_regulator_notes_are_internal(self, file_case, olivia):
        case = self.intake_case(file_case)
        services.case_post_message(
            case=case, actor=olivia, body="商户有多次投诉", internal=True, now=at(2026, 3, 3, 9)
        )
        assert case.events.get(type=E.NOTE_POSTED).internal is True


class TestPermissionsFromOutside:
    """Another merchant, another consumer, another office, an anonymous visitor."""

    def test_other_merchant_cannot_act(self, file_case, trent):
        case = file_case()
        with pytest.raises(ActionNotAllowed) as error:
            services.case_acknowledge(case=case, actor=trent, now=at(2026, 3, 3, 9))
        assert error.value.code == "not_your_case"
        assert case.events.count() == 1

    def test_other_consumer_cannot_withdraw(self, file_case, bob):
        case = file_case()
        with pytest.raises(ActionNotAllowed) as error:
            services.case_withdraw(case=case, actor=bob, now=at(2026, 3, 3, 9))
        assert error.value.code == "not_your_case"

    def test_other_office_cannot_accept(self, file_case, yves):
        case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
        with pytest.raises(ActionNotAllowed) as error:
            services.case_accept(case=case, actor=yves, now=at(2026, 3, 3, 9))
        assert error.value.code == "not_your_case"

    def test_supervising_office_sees_but_cannot_act(self, file_case, sam):
        case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
        assert case_available_actions(case, sam, now=at(2026, 3, 3, 9)) == set()
        with pytest.raises(ActionNotAllowed) as error:
            services.case_accept(case=case, actor=sam, now=at(2026, 3, 3, 9))
        assert error.value.code == "action_not_available"

    def test_anonymous_cannot_act(self, file_case):
        case = file_case()
        with pytest.raises(ActionNotAllowed) as error:
            services.case_withdraw(case=case, actor=AnonymousUser(), now=at(2026, 3, 3, 9))
        assert error.value.code == "not_your_case"

    def test_consumer_cannot_acknowledge_for_the_merchant(self, file_case, alice):
        case = file_case()
        with pytest.raises(ActionNotAllowed) as error:
            services.case_acknowledge(case=case, actor=alice, now=at(2026, 3, 3, 9))
        assert error.value.code == "action_not_available"
        case.refresh_from_db()
        assert case.status == Status.SUBMITTED


def test_transition_table_refuses_anything_else(file_case, alice):
    case = file_case()
    op = Op(case, at(2026, 3, 3), None, None)
    with pytest.raises(InvalidTransition):
        op.transition(Status.MEDIATION, E.ACCEPTED)


def test_every_chain_verifies_after_a_full_lifecycle(file_case, alice, mallory):
    case = file_case()
    offer(case, mallory, at(2026, 3, 3, 9))
    services.offer_accept(case=case, actor=alice, now=at(2026, 3, 4, 9))
    services.agreement_mark_fulfilled(case=case, actor=mallory, now=at(2026, 3, 6, 9))
    services.agreement_confirm(case=case, actor=alice, now=at(2026, 3, 7, 9))
    case.refresh_from_db()
    assert list(ledger_verify()) == []
    assert case.last_event_seq == case.events.count()


def test_merchant_answers_but_does_not_propose_in_mediation(file_case, olivia):
    merchant = f.MerchantFactory(odr_status="not_onboarded")
    staff = f.MerchantMembershipFactory(merchant=merchant).user
    case = file_case(merchant=merchant)
    case = services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
    assert Action.MAKE_OFFER not in case_available_actions(case, staff, now=at(2026, 3, 3, 10))
    with pytest.raises(ActionNotAllowed):
        offer(case, staff, at(2026, 3, 3, 10))


def test_mediated_agreement_needs_a_fulfilment_date_not_in_the_past(file_case, olivia):
    case = file_case(merchant=f.MerchantFactory(odr_status="not_onboarded"))
    services.case_accept(case=case, actor=olivia, now=at(2026, 3, 3, 9))
    with pytest.raises(ValidationFailed) as error:
        services.mediation_conclude(
            case=case,
            actor=olivia,
            remedy="refund",
            amount="5",
            fulfil_by=date(2026, 3, 1),
            text="退款",
            now=at(2026, 3, 3, 10),
        )
    assert error.value.field == "fulfil_by"
    case.refresh_from_db()
    assert case.status == Status.MEDIATION


def test_filed_event_fixes_the_complaint_as_filed(file_case):
    case = file_case()
    data = case.events.get(type=E.FILED).data
    assert data["facts_sha256"] == hashlib.sha256(case.facts.encode()).hexdigest()
    assert data["merchant"] == case.merchant_id and data["amount_claimed"] == "299.00"


@pytest.mark.parametrize("reminders", [[3, 1], [5], []])
def test_deadline_policy_accepts_sensible_reminders(file_case, reminders):
    policy = DeadlinePolicy.current()
    policy.settle_reminder_working_days = reminders
    policy.full_clean()  # raises ValidationError if the schedule were refused
    policy.save()
    case = file_case()
    assert case.deadline_basis["settle"]["reminders"] == reminders


@pytest.mark.parametrize("reminders", [3, [0], [10], [1, 1], ["3"], [True]])
def test_deadline_policy_refuses_reminders_it_cannot_use(reminders):
    with pytest.raises(ValidationError) as error:
        DeadlinePolicy(settle_reminder_working_days=reminders).clean()
    assert "settle_reminder_working_days" in error.value.message_dict


class TestFilingDetails:
    def test_the_complaint_keeps_remedy_amount_paid_and_contact_phone(self, file_case, alice):
        case = file_case(claim_remedy="refund", amount_paid="318.50", contact_phone="13912345678")
        assert (case.claim_remedy, str(case.amount_paid), case.contact_phone) == (
            "refund",
            "318.50",
            "13912345678",
        )
        filed = case.events.get(type=CaseEvent.Type.FILED).data
        assert filed["claim_remedy"] == "refund" and filed["amount_paid"] == "318.50"

    def test_the_contact_phone_defaults_to_the_consumer_phone(self, file_case, alice):
        assert file_case().contact_phone == alice.phone

    @pytest.mark.parametrize(
        "field, value",
        [
            ("facts", "很" * 2001),
            ("claim", "退" * 501),
            ("subject", "题" * 101),
            ("contact_phone", "1381234123４"),  # a full-width digit
            ("contact_phone", "02312345678"),
            ("claim_remedy", "bribe"),
            ("amount_paid", "-1"),
        ],
    )
    def test_overlong_or_malformed_input_is_refused_beside_its_field(self, file_case, field, value):
        with pytest.raises(ValidationFailed) as refused:
            file_case(**{field: value})
        assert refused.value.field == field
        assert not Case.objects.exists()
