"""Fixed parameters of the generator: the string schemas of the raw-data contract, the
vocabularies values are drawn from, id widths, time and rate constants, random-stream ids.

Pure data (and the array type aliases the other modules share); nothing here draws or writes.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
import pyarrow as pa

from custseg.contract import COLUMNS

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]
BoolArray = npt.NDArray[np.bool_]

# ---------------------------------------------------------------------------
# The raw-data contract
# ---------------------------------------------------------------------------

SCHEMAS: dict[str, pa.Schema] = {
    table: pa.schema([pa.field(name, pa.string()) for name in columns])
    for table, columns in COLUMNS.items()
}
ID_COLUMN = {
    "customers": "customer_id",
    "transactions": "transaction_id",
    "interactions": "interaction_id",
}
TYPE_COLUMN = {"transactions": "transaction_type", "interactions": "interaction_type"}
TIME_COLUMN = {
    "customers": "registered_at",
    "transactions": "transaction_at",
    "interactions": "occurred_at",
}

# ---------------------------------------------------------------------------
# Vocabularies
# ---------------------------------------------------------------------------

COUNTRIES = ("US", "DE", "FR", "GB", "NL", "ES", "IT")
COUNTRY_WEIGHTS = (0.46, 0.13, 0.09, 0.11, 0.05, 0.07, 0.06)
COUNTRY_CALLING_CODES = (1, 49, 33, 44, 31, 34, 39)
EURO_COUNTRIES = ("DE", "FR", "NL", "ES", "IT")
ACQUISITION_CHANNELS = ("organic", "paid_search", "social", "referral", "email", "affiliate")
ACQUISITION_WEIGHTS = (0.32, 0.22, 0.18, 0.12, 0.08, 0.08)
CATEGORIES = ("apparel", "electronics", "home", "beauty", "books", "sports", "toys", "grocery")
CATEGORY_WEIGHTS = (0.22, 0.12, 0.14, 0.12, 0.10, 0.10, 0.08, 0.12)
CATEGORY_PRICE_FACTOR = (1.0, 2.6, 1.5, 0.6, 0.35, 1.2, 0.7, 0.45)
SALES_CHANNELS = ("web", "app", "store")
SALES_CHANNEL_WEIGHTS = (0.55, 0.33, 0.12)
TRANSACTION_TYPES = ("purchase", "refund")
CURRENCIES = ("USD", "EUR")  # code 0 = empty (reporting currency), 1 = USD, 2 = EUR
EUR_PER_USD = 1 / 1.09
INTERACTION_TYPES = (
    "visit",
    "email_open",
    "email_click",
    "support_ticket",
    "complaint",
    "referral",
    "review",
)
VISIT, EMAIL_OPEN, EMAIL_CLICK, SUPPORT_TICKET, COMPLAINT, REFERRAL, REVIEW = range(7)
INTERACTION_CHANNELS = ("web", "app", "store", "email", "phone")
WEB, APP, STORE, EMAIL, PHONE = range(5)
FIRST_NAMES = (
    "anna", "ben", "carla", "david", "emma", "felix", "grace", "hugo", "ines", "jonas",
    "karin", "leo", "maria", "noah", "olivia", "paul", "quinn", "rosa", "sam", "tara",
    "umar", "vera", "will", "xenia", "yusuf", "zoe", "lucas", "mia", "elena", "marco",
)  # fmt: skip
LAST_NAMES = (
    "smith", "mueller", "martin", "jones", "garcia", "rossi", "dubois", "jansen", "brown",
    "schmidt", "bernard", "taylor", "lopez", "bianchi", "visser", "wilson", "fischer",
    "moreau", "evans", "romero", "ricci", "dekker", "clark", "weber", "laurent", "walker",
)  # fmt: skip
EMAIL_DOMAINS = ("example.com", "example.org", "example.net", "mail.example")
# Hour-of-day weights (UTC) for events: quiet nights, evening peak.
HOUR_WEIGHTS = (
    1.0, 0.6, 0.4, 0.3, 0.3, 0.4, 0.8, 1.5, 2.2, 2.8, 3.2, 3.4,
    3.6, 3.4, 3.2, 3.2, 3.4, 3.8, 4.4, 5.0, 5.2, 4.6, 3.4, 2.0,
)  # fmt: skip
# Offsets (minutes) of the transactions written with an explicit UTC offset.
UTC_OFFSETS_MINUTES = (120, 60, -300, -240, 330, 540, -480, 0)
SHARE_WITH_OFFSET = 0.05
SHARE_WITH_Z = 0.02

SECONDS_PER_DAY = 86_400
DAYS_PER_YEAR = 365.25
DAYS_PER_MONTH = 30.44
TRANSACTION_ID_WIDTH = 9
INTERACTION_ID_WIDTH = 9
BAD_ID_WIDTH = 8
DEFAULT_TRANSACTIONS_PER_BUYER = 10.0
TRANSACTIONS_PER_CUSTOMER_WHEN_TARGETED = 20.0
PILOT_CUSTOMERS = 20_000
# Bounds of the purchase-rate multiplier found by calibration, and of the multiplier
# applied to engagement (visits, e-mails, referrals) so short spans stay plausible.
INTENSITY_LIMITS = (0.05, 20.0)
ENGAGEMENT_LIMITS = (0.5, 3.0)

# Random streams: spawn_key (STREAM, chunk index) of the SeedSequence.
GOOD_STREAM, BAD_STREAM, PILOT_STREAM = 0, 1, 2
