"""A Hypothesis state machine drives random actions and clock advances through the services and
the sweep, and checks the case after every step (product §4–6)."""

import io
from datetime import datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import override_settings
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule
from PIL import Image

from cases import services
from cases.deadlines import calendar_days_deadline, local_date, working_days_deadline
from cases.due import case_apply_due
from cases.ledger import ledger_verify
from cases.models import (
    DEADLINES,
    TRANSITIONS,
    WORKING_DAYS,
    Case,
    CaseEvent,
    DeadlinePolicy,
    Status,
)
from cases.rules import Action, case_available_actions
from cases.sweep import sweep_deadlines
from cases.timers import pending_timers
from core.calendar import load_calendar
from core.errors import ActionNotAllowed
from tests import factories as f
from tests.conftest import at

ACTORS = ["consumer", "merchant", "officer", "other_officer", "supervisor", "outsider"]


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (2, 2), "red").save(out, "PNG")
    return out.getvalue()


TINY_PNG = _png()


def _call(action: Action, case: Case, actor, now: datetime, people: dict):
    s = services
    fulfil_by = local_date(now) + timedelta(days=5)
    calls = {
        Action.ACKNOWLEDGE: lambda: s.case_acknowledge(case=case, actor=actor, now=now),
        Action.POST_MESSAGE: lambda: s.case_post_message(
            case=case, actor=actor, body="消息", now=now
        ),
        Action.POST_NOTE: lambda: s.case_post_message(
            case=case, actor=actor, body="备注", internal=True, now=now
        ),
        Action.MAKE_OFFER: lambda: s.offer_make(
            case=case,
            actor=actor,
            remedy="refund",
            amount="10.00",
            fulfil_by=fulfil_by,
            text="退款",
            is_final=now.minute % 2 == 0,
            now=now,
        ),
        Action.ACCEPT_OFFER: lambda: s.offer_accept(case=case, actor=actor, now=now),
        Action.REJECT_OFFER: lambda: s.offer_reject(
            case=case, actor=actor, reason="不同意", now=now
        ),
        Action.DECLINE: lambda: s.case_decline(case=case, actor=actor, reason="不同意", now=now),
        Action.WITHDRAW: lambda: s.case_withdraw(case=case, actor=actor, now=now),
        Action.ESCALATE: lambda: s.case_escalate(case=case, actor=actor, now=now),
        Action.CLOSE: lambda: s.case_close(case=case, actor=actor, now=now),
        Action.ACCEPT: lambda: s.case_accept(case=case, actor=actor, now=now),
        Action.REJECT_INTAKE: lambda: s.case_reject_intake(
            case=case, actor=actor, reason_code="too_old", now=now
        ),
        Action.TRANSFER: lambda: s.case_transfer(
            case=case,
            actor=actor,
            reason="管辖",
            now=now,
            to_office=people["other_office"]
            if case.office_id == people["office"].pk
            else people["office"],
        ),
        Action.CONCLUDE_MEDIATION: lambda: s.mediation_conclude(
            case=case,
            actor=actor,
            remedy="refund",
            amount="5",
            fulfil_by=fulfil_by,
            text="调解协议",
            now=now,
        ),
        Action.TERMINATE_MEDIATION: lambda: s.mediation_terminate(
            case=case, actor=actor, reason_code="party_absent", now=now
        ),
        Action.MARK_FULFILLED: lambda: s.agreement_mark_fulfilled(case=case, actor=actor, now=now),
        Action.CONFIRM_FULFILMENT: lambda: s.agreement_confirm(case=case, actor=actor, now=now),
        Action.REPORT_BREACH: lambda: s.agreement_report_breach(
            case=case, actor=actor, description="未履行", now=now
        ),
        Action.RATE: lambda: s.case_rate(case=case, actor=actor, rating=4, now=now),
        Action.ADD_EVIDENCE: lambda: s.evidence_add(
            case=case,
            actor=actor,
            file=SimpleUploadedFile("photo.png", TINY_PNG, content_type="image/png"),
            now=now,
        ),
        Action.OPEN_REFERRAL: lambda: s.referral_open(
            case=case, actor=actor, law="《广告法》", now=now
        ),
        Action.EXTEND_REFERRAL: lambda: s.referral_extend(
            case=case, actor=actor, reason="检测", now=now
        ),
        Action.DECIDE_REFERRAL: lambda: s.referral_decide(
            case=case, actor=actor, outcome="no_case", now=now
        ),
        Action.RECORD_CALLBACK: lambda: s.callback_record(
            case=case, actor=actor, satisfied=True, now=now
        ),
    }
    return calls[action]()


class CaseMachine(RuleBasedStateMachine):
    people: dict = {}

    def __init__(self):
        super().__init__()
        # Each example runs in a savepoint that teardown rolls back: examples never see each
        # other's cases.
        self._atomic = transaction.atomic()
        self._atomic.__enter__()

    def teardown(self):
        transaction.set_rollback(True)
        self._atomic.__exit__(None, None, None)

    @initialize(
        active=st.booleans(),
        start=st.datetimes(min_value=datetime(2025, 1, 1), max_value=datetime(2026, 12, 20)),
    )
    def file(self, active, start):
        self.now = start.replace(tzinfo=at(2026, 1, 1).tzinfo)
        merchant = self.people["active"] if active else self.people["inactive"]
        self.people["merchant"] = self.people["staff_of"][merchant.pk]
        self.case = services.case_file(
            consumer=self.people["consumer"],
            merchant=merchant,
            subject="s",
            facts="f",
            claim="c",
            now=self.now,
        )
        self.policy = DeadlinePolicy.current()
        self.calendar = load_calendar()

    @rule(hours=st.integers(min_value=1, max_value=24 * 20))
    def advance_clock(self, hours):
        self.now += timedelta(hours=hours)

    @rule()
    def sweep(self):
        sweep_deadlines(self.now)
        self.case.refresh_from_db()
        assert all(t.at >= self.now for t in pending_timers(self.case, self.policy, self.calendar))

    @rule(actor_name=st.sampled_from(ACTORS), action=st.sampled_from(list(Action)))
    def act(self, actor_name, action):
        actor = self.people[actor_name]
        case_apply_due(self.case.pk, now=self.now, policy=self.policy, calendar=self.calendar)
        self.case.refresh_from_db()
        allowed = action in case_available_actions(self.case, actor, now=self.now)
        before = self.case.last_event_seq
        if allowed:
            _call(action, self.case, actor, self.now, self.people)
            self.case.refresh_from_db()
            assert self.case.last_event_seq > before
        else:
            with pytest.raises(ActionNotAllowed):
                _call(action, self.case, actor, self.now, self.people)
            self.case.refresh_from_db()
            assert self.case.last_event_seq == before

    @invariant()
    def only_table_transitions_each_with_its_event(self):
        if not hasattr(self, "case"):
            return
        case = Case.objects.get(pk=self.case.pk)
        events = list(case.events.order_by("seq"))
        status = events[0].data["to"]
        for event in events[1:]:
            if "to" in event.data:
                assert event.data["from"] == status
                pair = (event.data["to"], event.data.get("resolution", ""))
                assert pair in TRANSITIONS[status], (status, pair, event.type)
                status = event.data["to"]
        assert case.status == status

    @invariant()
    def chain_verifies(self):
        if hasattr(self, "case"):
            assert list(ledger_verify(Case.objects.filter(pk=self.case.pk))) == []

    @invariant()
    def deadlines_match_the_pure_functions(self):
        if not hasattr(self, "case"):
            return
        case = Case.objects.get(pk=self.case.pk)
        setters = {}
        for event in case.events.order_by("seq"):
            for key in event.data.get("deadlines", {}):
                setters[key] = event
        for kind in DEADLINES.values():
            due = kind.due_at(case)
            if due is None or kind.policy_days is None:
                continue
            event = setters[kind.key]
            days = getattr(self.policy, kind.policy_days)
            if kind.unit == WORKING_DAYS:
                expected = working_days_deadline(event.created_at, days, self.calendar)
                assert kind.is_provisional(case) == expected.provisional
            else:
                expected = calendar_days_deadline(event.created_at, days)
            assert due == expected.due_at, kind.key
        timers = pending_timers(case, self.policy, self.calendar)
        assert case.next_action_at == (timers[0].at if timers else None)

    @invariant()
    def closed_iff_resolution(self):
        if hasattr(self, "case"):
            case = Case.objects.get(pk=self.case.pk)
            assert (case.status == Status.CLOSED) == bool(case.resolution)
            assert CaseEvent.objects.filter(case=case).count() == case.last_event_seq


@pytest.mark.django_db
def test_random_lifecycles_keep_every_invariant(offices, tmp_path):
    active = f.MerchantFactory(odr_status="active")
    inactive = f.MerchantFactory(odr_status="not_onboarded")
    CaseMachine.people = {
        "consumer": f.ConsumerFactory(),
        "outsider": f.ConsumerFactory(),
        "active": active,
        "inactive": inactive,
        "staff_of": {
            active.pk: f.MerchantMembershipFactory(merchant=active).user,
            inactive.pk: f.MerchantMembershipFactory(merchant=inactive).user,
        },
        "officer": f.RegulatorMembershipFactory(office=offices["140105"]).user,
        "other_officer": f.RegulatorMembershipFactory(office=offices["140106"]).user,
        "supervisor": f.RegulatorMembershipFactory(
            office=offices["140100"], role="supervisor"
        ).user,
        "office": offices["140105"],
        "other_office": offices["140106"],
    }
    machine = settings(
        max_examples=60,
        stateful_step_count=30,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
    )(CaseMachine)
    from hypothesis.stateful import run_state_machine_as_test

    # Evidence files go to a temporary folder (examples roll back their rows, not their files).
    with override_settings(MEDIA_ROOT=tmp_path):
        run_state_machine_as_test(machine)
