"""ISO 4217 currency codes accepted for money fields (deal ``currency``, product ``currency``).

The maintained list: the active codes of ISO 4217 List One for currencies and funds in use,
without precious metals (XAU, XAG, XPT, XPD), bond-market units (XBA to XBD), the SDR and other
supranational units (XDR, XSU, XUA), and the test / no-currency codes (XTS, XXX). Update it
here when ISO publishes an amendment (https://www.six-group.com/en/products-services/
financial-information/data-standards.html). Codes withdrawn recently but still seen in data
(ANG, until the Caribbean guilder XCG fully replaces it) stay listed for a transition period.

Amounts are integers in the currency's minor unit (cents for USD, yen for JPY).
"""

CURRENCY_CODES = frozenset(
    """
    AED AFN ALL AMD ANG AOA ARS AUD AWG AZN BAM BBD BDT BGN BHD BIF BMD BND BOB BOV BRL BSD
    BTN BWP BYN BZD CAD CDF CHE CHF CHW CLF CLP CNY COP COU CRC CUP CVE CZK DJF DKK DOP DZD
    EGP ERN ETB EUR FJD FKP GBP GEL GHS GIP GMD GNF GTQ GYD HKD HNL HTG HUF IDR ILS INR IQD
    IRR ISK JMD JOD JPY KES KGS KHR KMF KPW KRW KWD KYD KZT LAK LBP LKR LRD LSL LYD MAD MDL
    MGA MKD MMK MNT MOP MRU MUR MVR MWK MXN MXV MYR MZN NAD NGN NIO NOK NPR NZD OMR PAB PEN
    PGK PHP PKR PLN PYG QAR RON RSD RUB RWF SAR SBD SCR SDG SEK SGD SHP SLE SOS SRD SSP STN
    SVC SYP SZL THB TJS TMT TND TOP TRY TTD TWD TZS UAH UGX USD USN UYI UYU UYW UZS VED VES
    VND VUV WST XAF XCD XCG XOF XPF YER ZAR ZMW ZWG
    """.split()  # noqa: SIM905 - one code per word reads better than 166 lines
)

DEFAULT_CURRENCY = "USD"


def normalize_currency(value: str) -> str | None:
    """The upper-case code if ``value`` is an accepted ISO 4217 code (either case), else None."""
    if not isinstance(value, str):
        return None
    code = value.strip().upper()
    return code if code in CURRENCY_CODES else None


# Digits of the minor unit where it is not 2 (ISO 4217): amounts are stored in minor units.
MINOR_UNIT_DIGITS = {
    **dict.fromkeys(
        [
            "BIF",
            "CLP",
            "DJF",
            "GNF",
            "ISK",
            "JPY",
            "KMF",
            "KRW",
            "PYG",
            "RWF",
            "UGX",
            "UYI",
            "VND",
            "VUV",
            "XAF",
            "XOF",
            "XPF",
        ],
        0,
    ),
    **dict.fromkeys(["BHD", "IQD", "JOD", "KWD", "LYD", "OMR", "TND"], 3),
    **dict.fromkeys(["CLF", "UYW"], 4),
}
SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£", "JPY": "¥", "INR": "₹", "KRW": "₩"}


def format_money(amount: int | None, currency: str, *, whole: bool = False) -> str:
    """``format_money(480000, "USD")`` -> ``"$4,800.00"``; ``whole=True`` drops the minor
    unit (``"$4,800"``) for dense displays. Unknown symbols put the code after the number."""
    if amount is None:
        return ""
    digits = MINOR_UNIT_DIGITS.get(currency, 2)
    major = amount / 10**digits
    number = f"{major:,.0f}" if whole or digits == 0 else f"{major:,.{digits}f}"
    symbol = SYMBOLS.get(currency)
    return f"{symbol}{number}" if symbol else f"{number} {currency}"
