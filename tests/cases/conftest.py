import pytest

from cases import services
from tests.conftest import at


@pytest.fixture
def file_case(alice, acme, offices):
    """File a complaint by alice against acme (or as given) at a fixed instant."""

    def file(consumer=None, merchant=None, now=None, **fields):
        defaults = {
            "subject": "耳机无法开机",
            "facts": "收到的耳机无法开机。",
            "claim": "退货退款",
            "amount_claimed": "299.00",
        }
        defaults.update(fields)
        return services.case_file(
            consumer=consumer or alice,
            merchant=merchant or acme,
            now=now or at(2026, 3, 2, 10),
            **defaults,
        )

    return file
