"""ISO 4217 active currency codes (list one, 2025), without funds and metals,
and each currency's minor unit.

Kept as data rather than a dependency: the list changes rarely, and when it
does a one-line edit here is the whole upgrade. Shared by every area that
takes a currency from a person (suppliers, plans).
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from babel.numbers import get_currency_precision

ISO_4217 = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BRL
    BSD BTN BWP BYN BZD CAD CDF CHF CLP CNY COP CRC CUP CVE CZK DJF DKK DOP DZD EGP
    ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR
    IQD IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL
    LYD MAD MDL MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MYR MZN NAD NGN NIO NOK NPR
    NZD OMR PAB PEN PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD
    SHP SLE SOS SRD SSP STN SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX
    USD UYU UZS VES VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - a block of codes reads better than 150 quoted strings
)


def currency_problem(code: str | None) -> str | None:
    """None when ``code`` is an ISO 4217 currency, else a message a user can act on."""
    if not code:
        return "Currency is required (an ISO 4217 code such as EUR or USD)."
    if code not in ISO_4217:
        return (
            f"{code!r} is not an ISO 4217 currency code; use three letters such as EUR, USD or GBP."
        )
    return None


def minor_unit(currency: str) -> Decimal:
    """The smallest amount of the currency: 0.01 EUR, 1 JPY, 0.001 BHD."""
    return Decimal(1).scaleb(-get_currency_precision(currency))


def to_minor_unit(amount: Decimal, currency: str) -> Decimal:
    """Rounded half up to the currency's minor unit (as a bank's statement would)."""
    return amount.quantize(minor_unit(currency), rounding=ROUND_HALF_UP)
