"""Wrong access tokens per client address: five within a minute, then a wait until the oldest
of them is a minute old; other addresses are not affected; the tracked addresses are bounded."""

from __future__ import annotations

from lpmsync.web.throttle import WrongTokenLimiter, client_address


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_five_wrong_tokens_lock_the_address_until_the_first_is_a_minute_old() -> None:
    clock = FakeClock()
    limiter = WrongTokenLimiter(clock=clock)
    for second in range(5):
        assert limiter.retry_after("10.0.0.1") == 0
        clock.now = 1000.0 + second * 10
        limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 20  # the first try (t=1000) ages out at 1060
    assert limiter.retry_after("10.0.0.2") == 0
    clock.now = 1059.5
    assert limiter.retry_after("10.0.0.1") == 1  # never "0 s" while still locked
    clock.now = 1060.0
    assert limiter.retry_after("10.0.0.1") == 0  # four tries left in the window: one more allowed
    limiter.failed("10.0.0.1")
    assert limiter.retry_after("10.0.0.1") == 10


def test_tries_spread_over_more_than_a_minute_never_lock() -> None:
    clock = FakeClock()
    limiter = WrongTokenLimiter(clock=clock)
    for _ in range(20):
        limiter.failed("10.0.0.1")
        clock.now += 15
        assert limiter.retry_after("10.0.0.1") == 0


def test_the_oldest_addresses_are_forgotten_beyond_the_bound() -> None:
    clock = FakeClock()
    limiter = WrongTokenLimiter(attempts=1, clock=clock, tracked=3)
    for address in ("a", "b", "c", "d"):
        limiter.failed(address)
    assert [limiter.retry_after(a) > 0 for a in ("a", "b", "c", "d")] == [False, True, True, True]


def test_the_client_address_comes_from_the_scope() -> None:
    assert client_address({"client": ("192.0.2.7", 51000)}) == "192.0.2.7"
    assert client_address({"client": None}) == "unknown"
    assert client_address({}) == "unknown"
