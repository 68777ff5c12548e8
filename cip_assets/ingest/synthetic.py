"""Synthetic e-commerce data in the canonical raw contract, with the ground truth kept beside it.

`generate(out_dir, ...)` writes one folder of Parquet part files per raw table, in the column
names and Arrow types of `contract.RAW_TABLES` (without `source` and the loader's `event_key`;
`attributes` JSON columns are JSON strings):

    out_dir/customers/part-00000.parquet          out_dir/feedback/part-*.parquet
    out_dir/order_lines/part-*.parquet            out_dir/campaign_exposures/part-*.parquet
    out_dir/events/part-*.parquet (with_events)    out_dir/truth/customers_truth/part-*.parquet
    out_dir/truth/feedback_truth/part-*.parquet   out_dir/manifest.json (written last)

The world it simulates
----------------------
* Customers join between `start` and `end` (more of them later: growth), live in a UK-heavy mix of
  11 countries, have an age and gender (both sometimes missing) and hidden traits: a heavy-tailed
  purchase rate, a satisfaction score, a discount affinity and a favourite category.
* Each customer has a monthly churn hazard driven by age band, country, satisfaction, discount
  affinity and purchase rate; their purchasing stops at an exponential churn time drawn from it.
  Orders arrive as an inhomogeneous Poisson process on [first_seen, churn) whose intensity follows a
  weekly cycle, a November/December peak (Black Friday, Christmas dip) and an hour-of-day curve.
* Orders hold 1-6 lines of products from a ~500-product catalogue in 8 categories (lognormal prices,
  popularity and a hidden quality). About 2% of orders are cancelled and ~3% of lines returned
  (more for apparel and shoes, unhappy customers and poor products). Lines carry a 5/10/20%
  discount with each customer's discount affinity. About 0.5% of orders are anonymous.
* Events: "tracked" customers (60%) leave sessions of view/cart/purchase events around each order
  (plus extra views and abandoned carts) and browsing-only sessions; 10% of those are anonymous.
* Feedback: reviews for ~15% of lines whose rating follows satisfaction, product quality and
  returns, with a title and a text whose sentiment follows the rating and whose topic (aspect)
  follows the product category; support messages, more for unhappy customers and in the 45 days
  before churn.
* One randomised discount campaign ~3 months before `end`: 30% of the customers known by then are
  assigned uniformly to control / discount_5 / discount_10 / discount_20. The true uplift in
  conversion is heterogeneous (larger for discount-affine and lapsing customers, smaller for loyal
  ones) and is written per customer and arm to the truth table.
* A few deliberately malformed rows (about 0.05%): negative unit_price and ordered_at in 2099 in
  order_lines, rating 7 in feedback; counted in the manifest under "malformed".
* Personal data planted once (in chunk 0): the first customer's city holds an e-mail address and a phone
  number (`PLANTED_CITY`) and the latest loaded review asks to be contacted by e-mail and phone
  (`PLANTED_REVIEW_TAIL`), so a run can show they reach the warehouse and the analyst copy and nothing else.

Determinism and scale
---------------------
Customers are generated in chunks; each chunk uses its own RNG seeded from (seed, chunk index),
and ids (orders, sessions, feedback) continue from the previous chunk. The output is therefore
identical, byte for byte, for the same seed, parameters and chunk size (`chunk_customers` and
`max_lines_per_chunk`, which together fix the effective chunk size recorded in the manifest);
another chunk size gives a different, equally valid, sample. Memory is bounded by the chunk:
the effective chunk is capped so that a chunk holds about `max_lines_per_chunk` order lines
(with their events); the catalogue and a small calibration sample are the only global state.
`lines_per_customer` sets the mean order lines per customer over the whole window (the purchase
rates are calibrated on a fixed pilot sample), so the order-line volume is about
customers * lines_per_customer whatever the window's length.

Limitations: campaign conversions and spend are outcomes of the campaign table only (they add no
order lines); the "at least one malformed row" guarantee holds per chunk with more than 1000
rows of that table; the text is assembled from a fixed phrase bank (a few hundred distinct
sentences), realistic in structure, not in variety.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path
from typing import Any, Iterator

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from cip_assets.ingest.contract import EVENT_TYPES, LOADER_COLUMNS, RAW_TABLES, STATUSES

GENERATOR_VERSION = 1

ARROW_TYPES = {
    "VARCHAR": pa.string(),
    "TIMESTAMP": pa.timestamp("us"),
    "INTEGER": pa.int32(),
    "DOUBLE": pa.float64(),
    "BOOLEAN": pa.bool_(),
    "JSON": pa.string(),
}
TABLES = ("customers", "order_lines", "events", "feedback", "campaign_exposures")


def arrow_schema(table: str) -> pa.Schema:
    """The Arrow schema of a canonical raw table as the generator writes it (no `source`, no `event_key`)."""
    cols = RAW_TABLES[table].columns
    return pa.schema([pa.field(c, ARROW_TYPES[t]) for c, t in cols.items() if c not in LOADER_COLUMNS])


CUSTOMERS_TRUTH_SCHEMA = pa.schema([
    ("customer_id", pa.string()),
    ("purchase_rate_monthly", pa.float64()),  # expected orders per 30.44 days while active, at mean season
    ("churn_hazard_monthly", pa.float64()),  # true hazard of stopping to purchase, per 30.44 days
    ("churned_at", pa.timestamp("us")),  # when purchasing stopped; null if still active at `end`
    ("satisfaction", pa.float64()),
    ("discount_affinity", pa.float64()),  # probability that a line carries a discount
    ("tracked", pa.bool_()),  # leaves behavioural events
    ("campaign_eligible", pa.bool_()),  # known before the campaign date
    ("base_conversion", pa.float64()),  # P(convert | control) in the campaign window
    ("effect_5", pa.float64()),  # true P(convert | arm) - P(convert | control)
    ("effect_10", pa.float64()),
    ("effect_20", pa.float64()),
])
FEEDBACK_TRUTH_SCHEMA = pa.schema([
    ("feedback_id", pa.string()),
    ("aspect", pa.string()),
    ("sentiment", pa.string()),  # negative / neutral / positive, as written in the text
])

# --- world constants ----------------------------------------------------------------------------
DAYS_PER_MONTH = 30.44
MEAN_LINES_PER_ORDER_P = np.array([0.45, 0.25, 0.14, 0.08, 0.05, 0.03])  # 1..6 lines
ANON_ORDER_RATE = 0.005
CANCEL_RATE = 0.02
TRACKED_SHARE = 0.6
ESTABLISHED_SHARE = 0.4
REVIEW_P_COMPLETED, REVIEW_P_RETURNED = 0.145, 0.35
MALFORMED_RATE = 0.0005
EVENT_SLICE_ROWS = 1_000_000  # events are converted to Arrow and written in slices
CAMPAIGN_LEAD_DAYS = 92
CAMPAIGN_SHARE = 0.3
ARMS = ("control", "discount_5", "discount_10", "discount_20")
ARM_DISCOUNT = np.array([0.0, 5.0, 10.0, 20.0])
ARM_STRENGTH = np.array([0.0, 0.35, 0.65, 1.0])  # share of the full (20%) logit uplift per arm
DISCOUNT_LEVELS = np.array([5.0, 10.0, 20.0])
DISCOUNT_P = np.array([0.4, 0.35, 0.25])

COUNTRIES = {  # country: (share, extra log churn hazard, cities)
    "United Kingdom": (0.45, 0.0, ["London", "Manchester", "Birmingham", "Leeds", "Glasgow", "Bristol",
                                    "Edinburgh", "Liverpool", "Cardiff", "Belfast"]),
    "Germany": (0.09, 0.2, ["Berlin", "Munich", "Hamburg", "Cologne", "Frankfurt"]),
    "France": (0.08, 0.2, ["Paris", "Lyon", "Marseille", "Toulouse", "Bordeaux"]),
    "United States": (0.07, 0.35, ["New York", "Los Angeles", "Chicago", "Austin", "Seattle"]),
    "Ireland": (0.06, 0.05, ["Dublin", "Cork", "Galway", "Limerick"]),
    "Netherlands": (0.05, 0.2, ["Amsterdam", "Rotterdam", "Utrecht", "The Hague"]),
    "Spain": (0.05, 0.2, ["Madrid", "Barcelona", "Valencia", "Seville"]),
    "Italy": (0.04, 0.2, ["Rome", "Milan", "Turin", "Naples"]),
    "Australia": (0.04, 0.35, ["Sydney", "Melbourne", "Brisbane", "Perth"]),
    "Canada": (0.04, 0.35, ["Toronto", "Vancouver", "Montreal", "Calgary"]),
    "Sweden": (0.03, 0.2, ["Stockholm", "Gothenburg", "Malmo"]),
}
GENDERS = ("female", "male", "other")
# personal data planted in chunk 0, so every run can show it stays in the warehouse and the analyst copy
# (tests/test_personal_data.py): contact details typed into the first customer's city box, and the latest
# valid review asking to be contacted
PLANTED_CUSTOMER_EMAIL, PLANTED_CUSTOMER_PHONE = "j.smith@example.org", "07700 900123"
PLANTED_CITY = f"{PLANTED_CUSTOMER_EMAIL}, tel. {PLANTED_CUSTOMER_PHONE}"
PLANTED_REVIEW_EMAIL, PLANTED_REVIEW_PHONE = "jane.doe@example.com", "+44 20 7946 0958"
PLANTED_REVIEW_TAIL = f" Please write to {PLANTED_REVIEW_EMAIL} or call {PLANTED_REVIEW_PHONE}."
GENDER_P = np.array([0.52, 0.46, 0.02])

# category: (products, popularity, median price, price sigma, extra quantity, return rate, brands,
#            adjectives, nouns)
CATEGORIES: dict[str, tuple] = {
    "Apparel": (90, 1.4, 25.0, 0.5, 0.2, 0.055, ["Northwind", "Loom & Co", "Urban Thread", "Fieldhouse"],
                ["Classic", "Slim-Fit", "Organic Cotton", "Oversized", "Linen", "Merino", "Relaxed", "Striped",
                 "Essential", "Vintage"],
                ["T-Shirt", "Hoodie", "Jeans", "Dress", "Jumper", "Shirt", "Jacket", "Chinos", "Skirt", "Cardigan"]),
    "Shoes": (50, 0.9, 60.0, 0.45, 0.05, 0.065, ["Stride", "Cobble", "Peakstep", "Hollow Oak"],
              ["Leather", "Canvas", "Suede", "Running", "Waterproof", "Lightweight", "Classic", "Chunky",
               "Slip-On", "Trail"],
              ["Trainers", "Boots", "Loafers", "Sandals", "Sneakers", "Brogues", "Slippers", "Ankle Boots",
               "Espadrilles", "Plimsolls"]),
    "Home": (80, 1.0, 30.0, 0.6, 0.3, 0.02, ["Hearthly", "Nordhaus", "Kiln & Crate", "Willowmere"],
             ["Ceramic", "Oak", "Velvet", "Scandinavian", "Glass", "Woven", "Minimalist", "Rustic", "Marble",
              "Bamboo"],
             ["Table Lamp", "Cushion", "Vase", "Throw", "Mirror", "Candle", "Storage Basket", "Photo Frame", "Rug",
              "Mug Set"]),
    "Beauty": (60, 1.0, 15.0, 0.5, 0.4, 0.012, ["Lumen", "Petal Lab", "Dewbright", "Verity"],
               ["Hydrating", "Vitamin C", "Gentle", "Nourishing", "Matte", "Repairing", "Brightening", "Overnight",
                "Fragrance-Free", "Hyaluronic"],
               ["Face Cream", "Serum", "Cleanser", "Lip Balm", "Shampoo", "Conditioner", "Body Lotion", "Face Mask",
                "Eye Cream", "Hand Cream"]),
    "Electronics": (60, 0.8, 90.0, 0.8, 0.05, 0.03, ["Voltix", "Auralis", "Nexon", "Brightcore"],
                    ["Wireless", "Bluetooth", "Smart", "Portable", "Noise-Cancelling", "Compact", "USB-C", "HD",
                     "Fast-Charging", "Ergonomic"],
                    ["Headphones", "Speaker", "Charger", "Power Bank", "Keyboard", "Mouse", "Webcam", "Earbuds",
                     "Smartwatch", "Desk Lamp"]),
    "Toys": (50, 0.7, 20.0, 0.6, 0.2, 0.015, ["Tinker Town", "Playroot", "Happy Hare", "Blocksmith"],
             ["Wooden", "Magnetic", "Plush", "Remote-Control", "Educational", "Giant", "Mini", "Glow-in-the-Dark",
              "Classic", "Stacking"],
             ["Building Blocks", "Puzzle", "Teddy Bear", "Car", "Train Set", "Board Game", "Doll", "Dinosaur",
              "Kite", "Craft Kit"]),
    "Sports": (50, 0.7, 35.0, 0.6, 0.2, 0.025, ["Kinetic", "Summit Gear", "Pacer", "Ironleaf"],
               ["Pro", "Lightweight", "Adjustable", "Non-Slip", "Foldable", "Insulated", "Breathable", "Compact",
                "Heavy-Duty", "Reflective"],
               ["Yoga Mat", "Dumbbells", "Water Bottle", "Resistance Bands", "Running Belt", "Jump Rope", "Gym Bag",
                "Foam Roller", "Cycling Gloves", "Tennis Balls"]),
    "Grocery": (60, 1.2, 6.0, 0.45, 0.9, 0.004, ["Good Harvest", "Meadow Pantry", "Bean & Leaf", "Olive Grove"],
                ["Organic", "Fairtrade", "Gluten-Free", "Dark", "Wholegrain", "Smoked", "Spiced", "Extra Virgin",
                 "Roasted", "Wild"],
                ["Coffee Beans", "Tea", "Chocolate", "Olive Oil", "Granola", "Honey", "Pasta", "Almonds",
                 "Peanut Butter", "Rice"]),
}
CATEGORY_NAMES = tuple(CATEGORIES)

ASPECTS = ("delivery", "quality", "size and fit", "price and value", "customer support",
           "returns and refunds", "packaging")
RETURNS_ASPECT = ASPECTS.index("returns and refunds")
ASPECT_WEIGHTS = {  # per category, in ASPECTS order
    "Apparel": [0.20, 0.20, 0.30, 0.12, 0.04, 0.10, 0.04],
    "Shoes": [0.18, 0.22, 0.32, 0.10, 0.04, 0.10, 0.04],
    "Home": [0.25, 0.30, 0.00, 0.15, 0.05, 0.07, 0.18],
    "Beauty": [0.20, 0.35, 0.00, 0.20, 0.05, 0.05, 0.15],
    "Electronics": [0.20, 0.40, 0.00, 0.15, 0.10, 0.10, 0.05],
    "Toys": [0.25, 0.35, 0.00, 0.15, 0.05, 0.05, 0.15],
    "Sports": [0.20, 0.30, 0.10, 0.20, 0.05, 0.10, 0.05],
    "Grocery": [0.30, 0.30, 0.00, 0.15, 0.05, 0.05, 0.15],
}
SENTIMENTS = ("negative", "neutral", "positive")
SENTIMENT_OF_RATING = np.array([0, 0, 0, 1, 2, 2])  # index by rating 1..5 (0 unused)

# review phrases per aspect, per sentiment (negative, neutral, positive)
ASPECT_PHRASES: dict[str, tuple[list[str], list[str], list[str]]] = {
    "delivery": (
        ["Delivery took almost two weeks.", "The parcel turned up days later than promised.",
         "The courier left it out in the rain."],
        ["Delivery was a day later than expected but fine.", "Arrived within the estimated window.",
         "Delivery was okay, nothing special."],
        ["Arrived the next day, super fast delivery.", "Delivery was quick and the courier was friendly.",
         "Came earlier than expected."]),
    "quality": (
        ["The quality is poor and it started falling apart within a week.", "Feels cheap and flimsy.",
         "Stopped working properly after a few days."],
        ["Quality is acceptable for the price.", "Decent quality, though not outstanding.", "It does the job."],
        ["Excellent quality, feels really well made.", "The build quality is superb.",
         "Great quality and it has lasted well."]),
    "size and fit": (
        ["The sizing is way off, it runs two sizes small.", "Did not fit at all despite ordering my usual size.",
         "Far too tight and uncomfortable."],
        ["Fit is slightly loose but wearable.", "Sizing is a little inconsistent.",
         "I had to size up but it fits now."],
        ["Fits perfectly, true to size.", "The fit is spot on.", "Really comfortable fit."]),
    "price and value": (
        ["Way overpriced for what you get.", "Not worth the money.", "Found it much cheaper elsewhere."],
        ["Fair price, nothing more.", "Price is about what I expected.", "Reasonable value if bought on sale."],
        ["Great value for money.", "Brilliant price for this quality.", "Worth every penny."]),
    "customer support": (
        ["Customer service never replied to my emails.", "Support was rude and unhelpful.",
         "Took ages to get anyone from customer service on the phone."],
        ["Customer service answered eventually.", "Support sorted it out after a couple of emails.",
         "Had to contact support once, it was fine."],
        ["Customer service was incredibly helpful.", "Support resolved my issue within minutes.",
         "Lovely customer service team."]),
    "returns and refunds": (
        ["Still waiting for my refund weeks after returning it.", "The returns process is a nightmare.",
         "They refused my return for no reason."],
        ["Returned it without much hassle.", "The refund took a while but arrived.",
         "Returns process was standard."],
        ["Returns were quick and free.", "Refund arrived within two days.",
         "Easy returns process, no questions asked."]),
    "packaging": (
        ["Arrived in a crushed box.", "The packaging was damaged and the item was scratched.",
         "So much unnecessary plastic packaging."],
        ["Packaging was basic but did the job.", "Standard packaging.", "Packaging was fine."],
        ["Beautifully packaged, ideal as a gift.", "Packaging was neat and recyclable.",
         "Very well packaged and protected."]),
}
# review text = opener prefix + product noun + opener suffix + " " + aspect phrase [+ 2nd phrase] [+ closer]
REVIEW_OPENERS: dict[str, list[tuple[str, str]]] = {
    "negative": [("Really disappointed with the ", "."), ("Not happy with the ", " at all."),
                 ("I regret buying the ", ".")],
    "neutral": [("The ", " is okay."), ("Mixed feelings about the ", "."), ("The ", " is fine, nothing special.")],
    "positive": [("Really happy with the ", "."), ("Love the ", "!"), ("Absolutely delighted with the ", ".")],
}
REVIEW_CLOSERS = {
    "negative": [" Would not recommend.", " Won't be ordering again.", ""],
    "neutral": ["", " Might order again.", " Average overall."],
    "positive": [" Would definitely recommend.", " Will buy again.", ""],
}
REVIEW_TITLES = {
    "negative": ["Disappointed", "Not great", "Would not buy again", "Very unhappy"],
    "neutral": ["It's okay", "Average", "Decent but not great"],
    "positive": ["Love it", "Great purchase", "Excellent", "Very pleased", "Five stars"],
}
# support messages per aspect: (text, sentiment)
SUPPORT_PHRASES: dict[str, list[tuple[str, str]]] = {
    "delivery": [("My order still hasn't arrived and the tracking hasn't updated in days.", "negative"),
                 ("The parcel was marked as delivered but I never received it.", "negative"),
                 ("Can you tell me when my order will be delivered?", "neutral")],
    "quality": [("The item stopped working after a week, what are my options?", "negative"),
                ("The product arrived damaged.", "negative"), ("Is there a warranty on this item?", "neutral")],
    "size and fit": [("The size I ordered doesn't fit, can I exchange it for a different size?", "neutral"),
                     ("Your size guide is wrong, everything runs small.", "negative"),
                     ("Which size should I order?", "neutral")],
    "price and value": [("I was charged more than the price shown at checkout.", "negative"),
                        ("The discount code didn't apply to my order.", "negative"),
                        ("Will this item go on sale soon?", "neutral")],
    "customer support": [("I've contacted you three times and nobody has replied.", "negative"),
                         ("Your chat agent closed my conversation without solving anything.", "negative"),
                         ("Can I speak to a manager please?", "neutral")],
    "returns and refunds": [("I returned the item two weeks ago and still haven't been refunded.", "negative"),
                            ("How do I return an item?", "neutral"),
                            ("My refund was for the wrong amount.", "negative")],
    "packaging": [("The box was crushed and the item inside was damaged.", "negative"),
                  ("Way too much plastic packaging for such a small item.", "negative"),
                  ("Can you send orders without a gift box?", "neutral")],
}
SUPPORT_ASPECT_P = np.array([0.30, 0.10, 0.08, 0.07, 0.15, 0.25, 0.05])
SUPPORT_TITLES = {"delivery": "Delivery issue", "quality": "Product problem", "size and fit": "Size exchange",
                  "price and value": "Billing question", "customer support": "Complaint about service",
                  "returns and refunds": "Refund request", "packaging": "Packaging complaint"}
CHURN_THREATS = [" Honestly, I'm thinking of taking my business elsewhere.",
                 " If this isn't sorted I'll close my account.", " This is the last time I order from you."]

MONTH_FACTOR = np.array([0.85, 0.8, 0.9, 0.92, 0.95, 0.92, 0.9, 0.88, 0.95, 1.0, 1.45, 1.6])
DOW_FACTOR = np.array([1.05, 1.0, 0.98, 1.0, 0.95, 0.9, 1.12])  # Monday..Sunday
HOUR_WEIGHTS = np.array([0.3, 0.2, 0.12, 0.1, 0.1, 0.15, 0.3, 0.6, 0.9, 1.0, 1.1, 1.2,
                         1.4, 1.3, 1.1, 1.0, 1.0, 1.1, 1.3, 1.6, 1.8, 1.7, 1.2, 0.6])


# --- small vectorised helpers -------------------------------------------------------------------
def _cdf(weights) -> np.ndarray:
    c = np.cumsum(np.asarray(weights, dtype=float))
    c /= c[-1]
    c[-1] = 1.0
    return c


def _draw(rng: np.random.Generator, cdf: np.ndarray, n: int) -> np.ndarray:
    """n draws of an index with the given cumulative distribution."""
    return np.minimum(np.searchsorted(cdf, rng.random(n), side="right"), len(cdf) - 1)


def _grouped_cdf(groups: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """G[j] = group[j] + cumulative share of item j within its group (items sorted by group)."""
    groups = np.asarray(groups)
    weights = np.asarray(weights, dtype=float)
    out = np.empty(len(weights))
    for g in np.unique(groups):  # a handful of groups
        m = groups == g
        out[m] = g + _cdf(weights[m])
    return out


def _draw_in_group(rng: np.random.Generator, gcdf: np.ndarray, group: np.ndarray) -> np.ndarray:
    """One item per entry of `group`, drawn with the item weights within that group."""
    u = group + rng.random(len(group))
    return np.minimum(np.searchsorted(gcdf, u, side="right"), len(gcdf) - 1)


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _str(values: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return pc.cast(pa.array(values, mask=mask), pa.string())


def _join(*parts) -> pa.Array:
    parts = [pa.scalar(p, pa.string()) if isinstance(p, str) else p for p in parts]
    return pc.binary_join_element_wise(*parts, pa.scalar("", pa.string()))


def _ids(prefix: str, numbers: np.ndarray, width: int) -> pa.Array:
    """'C0000001'-style ids, built in Arrow (no Python loop)."""
    digits = pc.utf8_lpad(_str(np.asarray(numbers, dtype=np.int64)), width=width, padding="0")
    return _join(prefix, digits)


def _take(values: pa.Array, idx: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
    return values.take(pa.array(np.asarray(idx, dtype=np.int64), mask=mask))


def _bools(values: np.ndarray, true: str = "true", false: str = "false") -> pa.Array:
    return _take(pa.array([false, true]), values.astype(np.int64))


class _Vocab:
    """Groups of phrases flattened into one Arrow array; pick a random phrase per row of a group."""

    def __init__(self, groups: list[list[str]]):
        self.values = pa.array([s for g in groups for s in g], pa.string())
        self.sizes = np.array([len(g) for g in groups])
        self.offsets = np.concatenate([[0], np.cumsum(self.sizes)[:-1]])

    def pick(self, rng: np.random.Generator, group: np.ndarray) -> np.ndarray:
        return self.offsets[group] + (rng.random(len(group)) * self.sizes[group]).astype(np.int64)

    def take(self, idx: np.ndarray) -> pa.Array:
        return _take(self.values, idx)


# --- calendar: seasonality and time sampling ----------------------------------------------------
class _Calendar:
    """Days [0, days) from `start`, with a daily purchase intensity of mean 1."""

    def __init__(self, start: str, end: str):
        d0, d1 = np.datetime64(start, "D"), np.datetime64(end, "D")
        if d1 < d0:
            raise ValueError(f"end {end} is before start {start}")
        self.start, self.end = str(d0), str(d1)
        self.days = int((d1 - d0).astype(np.int64)) + 1  # `end` is inclusive
        self.end_s = self.days * 86400  # exclusive, seconds from start
        self.t0_s = int(d0.astype("datetime64[s]").astype(np.int64))
        dates = d0 + np.arange(self.days)
        day_no = dates.astype(np.int64)
        dow = (day_no + 3) % 7  # 1970-01-01 was a Thursday; Monday = 0
        month_start = dates.astype("datetime64[M]")
        month = month_start.astype(np.int64) % 12
        dom = (dates - month_start.astype("datetime64[D]")).astype(np.int64) + 1
        w = MONTH_FACTOR[month] * DOW_FACTOR[dow]
        black_friday = np.flatnonzero((month == 10) & (dow == 4) & (dom >= 23) & (dom <= 29))
        w[black_friday] *= 2.2
        for offset, factor in ((1, 1.5), (2, 1.4), (3, 1.8)):  # weekend and Cyber Monday
            j = black_friday + offset
            w[j[j < self.days]] *= factor
        w[(month == 11) & (dom >= 24) & (dom <= 26)] *= 0.45
        w[(month == 0) & (dom == 1)] *= 0.6
        self.w = w / w.mean()
        self.W = np.concatenate([[0.0], np.cumsum(self.w)])
        self.hour_cdf = _cdf(HOUR_WEIGHTS)

    def cum(self, x: np.ndarray) -> np.ndarray:
        """Integrated intensity from day 0 to (fractional) day x."""
        k = np.clip(np.floor(x).astype(np.int64), 0, self.days - 1)
        return self.W[k] + self.w[k] * (x - k)

    def inv(self, u: np.ndarray) -> np.ndarray:
        k = np.clip(np.searchsorted(self.W, u, side="right") - 1, 0, self.days - 1)
        return np.clip(k + (u - self.W[k]) / self.w[k], 0.0, float(self.days))

    def sample(self, rng: np.random.Generator, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """One time (fractional days) per row in [a, b], with the season's intensity and the hour curve."""
        n = len(a)
        ca, cb = self.cum(a), self.cum(b)
        x = self.inv(ca + rng.random(n) * (cb - ca))
        hour = _draw(rng, self.hour_cdf, n)
        t = np.floor(x) + (hour + rng.random(n)) / 24.0
        t = np.where((t < a) | (t > b), x, t)  # the day's clock time fell outside the window
        return np.minimum(np.maximum(t, a), b)

    def seconds(self, t_days: np.ndarray) -> np.ndarray:
        return np.clip(np.floor(t_days * 86400.0).astype(np.int64), 0, self.end_s - 1)

    def ts(self, secs: np.ndarray, mask: np.ndarray | None = None) -> pa.Array:
        us = (np.asarray(secs, dtype=np.int64) + self.t0_s) * 1_000_000
        return pa.array(us, type=pa.timestamp("us"), mask=mask)


# --- catalogue ----------------------------------------------------------------------------------
class _Catalogue:
    def __init__(self, rng: np.random.Generator):
        cats, names, nouns, brands, prices, pop, qty_extra, ret = [], [], [], [], [], [], [], []
        for c, (n, popularity, median, sigma, extra, ret_rate, brand_list, adjs, noun_list) in enumerate(
                CATEGORIES.values()):  # 8 categories
            combos = rng.choice(len(adjs) * len(noun_list), size=n, replace=False)
            names += [f"{adjs[k // len(noun_list)]} {noun_list[k % len(noun_list)]}" for k in combos]
            nouns += [noun_list[k % len(noun_list)].lower() for k in combos]
            brands += [brand_list[k] for k in rng.integers(0, len(brand_list), n)]
            raw = median * rng.lognormal(0.0, sigma, n)
            prices.append(np.maximum(np.round(raw) - 0.01, 0.99))
            pop.append(popularity * rng.lognormal(0.0, 1.0, n))
            cats += [c] * n
            qty_extra += [extra] * n
            ret += [ret_rate] * n
        self.n = len(cats)
        self.cat = np.array(cats)
        self.price = np.concatenate(prices)
        self.popularity = np.concatenate(pop)
        self.quality = rng.normal(0.0, 0.5, self.n)
        self.qty_extra = np.array(qty_extra)
        self.return_rate = np.array(ret)
        self.cdf = _cdf(self.popularity)
        self.gcdf = _grouped_cdf(self.cat, self.popularity)
        self.cat_cdf = _cdf(np.bincount(self.cat, weights=self.popularity))
        self.ids = pa.array([f"P{i + 1:05d}" for i in range(self.n)], pa.string())
        self.names = pa.array(names, pa.string())
        self.nouns = pa.array(nouns, pa.string())
        self.brands = pa.array(brands, pa.string())
        self.categories = pa.array(CATEGORY_NAMES, pa.string())

    def draw(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return _draw(rng, self.cdf, n)

    def draw_in(self, rng: np.random.Generator, category: np.ndarray) -> np.ndarray:
        return _draw_in_group(rng, self.gcdf, category)


# --- customers and their hidden traits ----------------------------------------------------------
_COUNTRY_NAMES = tuple(COUNTRIES)
_COUNTRY_CDF = _cdf([v[0] for v in COUNTRIES.values()])
_COUNTRY_CHURN = np.array([v[1] for v in COUNTRIES.values()])
_CITY_COUNTRY = np.concatenate([[i] * len(v[2]) for i, v in enumerate(COUNTRIES.values())])
_CITY_NAMES = [city for v in COUNTRIES.values() for city in v[2]]
_CITY_GCDF = _grouped_cdf(_CITY_COUNTRY, np.concatenate(
    [1.0 / (np.arange(len(v[2])) + 1.0) ** 0.8 for v in COUNTRIES.values()]))


def _draw_customers(rng: np.random.Generator, n: int, cal: _Calendar) -> dict[str, np.ndarray]:
    c: dict[str, np.ndarray] = {}
    # 40% were customers before `start` and show up early in it; the others join, more of them later
    established = rng.random(n) < ESTABLISHED_SHARE
    a_days = np.where(established, rng.exponential(20.0, n), cal.days * rng.random(n) ** 0.85)
    a_s = np.floor(a_days * 86400.0).astype(np.int64)
    c["a_s"] = np.minimum(a_s, cal.end_s - 1)
    c["a"] = c["a_s"] / 86400.0
    c["country"] = _draw(rng, _COUNTRY_CDF, n)
    c["city"] = _draw_in_group(rng, _CITY_GCDF, c["country"])
    c["age"] = np.clip(18 + rng.gamma(2.2, 9.0, n), 18, 90).astype(np.int32)
    c["age_missing"] = rng.random(n) < 0.07
    c["gender"] = _draw(rng, _cdf(GENDER_P), n)
    c["gender_missing"] = rng.random(n) < 0.10
    sat = rng.standard_normal(n)
    aff = rng.beta(1.5, 8.5, n)
    rate = rng.lognormal(0.0, 1.0, n) * np.exp(0.25 * sat)
    c["sat"], c["aff"], c["rate"] = sat, aff, rate
    c["fav"] = _draw(rng, _cdf([v[1] * v[0] for v in CATEGORIES.values()]), n)
    c["tracked"] = rng.random(n) < TRACKED_SHARE
    age = c["age"]
    age_eff = np.select([c["age_missing"], age < 25, age < 35, age < 55], [0.1, 0.35, 0.15, 0.0], default=-0.2)
    log_h = (math.log(0.03) + age_eff + _COUNTRY_CHURN[c["country"]] - 0.45 * sat + 3.0 * (aff - 0.15)
             - 0.15 * np.log(rate))
    c["hazard"] = np.exp(log_h)  # per month
    life_days = rng.exponential(1.0, n) / c["hazard"] * DAYS_PER_MONTH
    churn_s = c["a_s"] + np.floor(np.minimum(life_days, 1e6) * 86400.0).astype(np.int64)
    c["churned"] = churn_s < cal.end_s
    c["churn_s"] = churn_s
    c["stop_s"] = np.where(c["churned"], churn_s, cal.end_s - 1)  # last second purchases may happen
    c["stop"] = np.minimum(c["a"] + life_days, float(cal.days))
    return c


def _rate_scale(seed: int, cal: _Calendar, lines_per_customer: float) -> float:
    """Orders per (intensity-weighted) day per unit of latent rate, so a customer averages the asked lines."""
    pilot = _draw_customers(np.random.default_rng([seed, 2]), 20_000, cal)
    exposure = pilot["rate"] * (cal.cum(pilot["stop"]) - cal.cum(pilot["a"]))
    mean_lines = float(np.dot(np.arange(1, 7), MEAN_LINES_PER_ORDER_P))
    return lines_per_customer / (mean_lines * max(float(exposure.mean()), 1e-12))


# --- one chunk ----------------------------------------------------------------------------------
class _Chunk:
    """Everything generated for customers [first, first + n): Arrow tables plus counters."""

    def __init__(self, k: int, first: int, n: int, *, seed: int, cal: _Calendar, cat: _Catalogue, scale: float,
                 offsets: dict[str, int], with_events: bool, id_width: int):
        self.rng = rng = np.random.default_rng([seed, 1, k])
        self.k = k
        self.cal, self.catalogue, self.scale = cal, cat, scale
        self.n = n
        self.c = _draw_customers(rng, n, cal)
        self.cust_ids = _ids("C", np.arange(first + 1, first + n + 1), id_width)
        self.malformed: dict[str, dict[str, int]] = {}
        self.tables: dict[str, pa.Table | Iterator[pa.Table]] = {}
        self._orders(scale, offsets["order"])
        self.tables["customers"] = self._customers_table()
        self.tables["order_lines"] = self._order_lines_table()
        self.n_sessions = 0
        if with_events:
            self.tables["events"] = self._events_table(offsets["session"])
        self.tables["feedback"], self.feedback_truth = self._feedback_tables(offsets["feedback"])
        self.tables["campaign_exposures"], self.truth, self.campaign = self._campaign_tables()

    # orders and lines (numpy arrays shared by the other tables)
    def _orders(self, scale: float, order_offset: int) -> None:
        rng, cal, c, cat = self.rng, self.cal, self.c, self.catalogue
        lam = scale * c["rate"] * (cal.cum(c["stop"]) - cal.cum(c["a"]))
        self.n_orders = rng.poisson(lam)
        oc = np.repeat(np.arange(self.n), self.n_orders)
        t = cal.sample(rng, c["a"][oc], c["stop"][oc])
        osec = np.clip(cal.seconds(t), c["a_s"][oc], c["stop_s"][oc])
        perm = np.argsort(osec, kind="stable")  # order ids follow time within the chunk
        self.oc, self.osec = oc[perm], osec[perm]
        no = len(oc)
        self.order_numbers = order_offset + np.arange(1, no + 1)
        self.anon = rng.random(no) < ANON_ORDER_RATE
        cancelled = rng.random(no) < CANCEL_RATE
        nl = 1 + _draw(rng, _cdf(MEAN_LINES_PER_ORDER_P), no)
        self.ostart = np.cumsum(nl) - nl
        lo = np.repeat(np.arange(no), nl)
        L = len(lo)
        self.lo = lo
        self.line_no = (np.arange(L) - self.ostart[lo] + 1).astype(np.int32)
        lc = self.oc[lo]
        self.lc = lc
        fav = rng.random(L) < 0.5
        prod = cat.draw(rng, L)
        prod[fav] = cat.draw_in(rng, c["fav"][lc[fav]])
        self.prod = prod
        self.qty = (1 + rng.poisson(cat.qty_extra[prod])).astype(np.int32)
        self.price = cat.price[prod].copy()
        discounted = rng.random(L) < c["aff"][lc]
        self.disc = np.where(discounted, DISCOUNT_LEVELS[_draw(rng, _cdf(DISCOUNT_P), L)], 0.0)
        p_ret = cat.return_rate[prod] * np.exp(-0.35 * c["sat"][lc] - 0.5 * cat.quality[prod])
        self.status = np.where(cancelled[lo], 1, np.where(rng.random(L) < p_ret, 2, 0)).astype(np.int8)
        self.lsec = self.osec[lo]
        # malformed rows: negative unit_price, ordered_at in 2099 (disjoint rows)
        n_neg, n_fut = self._n_malformed(L, 2)
        bad = rng.choice(L, n_neg + n_fut, replace=False) if L else np.zeros(0, np.int64)
        self.bad_line = np.zeros(L, bool)
        self.bad_line[bad] = True
        self.bad_neg, self.bad_fut = bad[:n_neg], bad[n_neg:]
        self.malformed["order_lines"] = {"negative_unit_price": int(n_neg), "future_ordered_at": int(n_fut)}

    def _n_malformed(self, rows: int, kinds: int) -> list[int]:
        counts = [int(self.rng.binomial(rows, MALFORMED_RATE / kinds)) if rows else 0 for _ in range(kinds)]
        if rows > 1000:
            counts = [max(1, n) for n in counts]
        return counts

    def _customers_table(self) -> pa.Table:
        c, cal = self.c, self.cal
        city = _take(pa.array(_CITY_NAMES), c["city"])
        if self.k == 0:  # the planted contact details (see PLANTED_CITY)
            city = pc.if_else(pa.array(np.arange(self.n) == 0), pa.scalar(PLANTED_CITY, pa.string()), city)
        return pa.Table.from_arrays([
            self.cust_ids,
            cal.ts(c["a_s"]),
            _take(pa.array(_COUNTRY_NAMES), c["country"]),
            city,
            pa.array(c["age"], pa.int32(), mask=c["age_missing"]),
            _take(pa.array(GENDERS), c["gender"], mask=c["gender_missing"]),
        ], schema=arrow_schema("customers"))

    def _order_lines_table(self) -> pa.Table:
        cal, cat = self.cal, self.catalogue
        secs = self.lsec.copy()
        if len(self.bad_fut):  # same day of the year, in 2099
            year_2099 = int(np.datetime64("2099-01-01", "s").astype(np.int64)) - cal.t0_s
            secs[self.bad_fut] = year_2099 + secs[self.bad_fut] % (365 * 86400)
        price = self.price.copy()
        price[self.bad_neg] = -price[self.bad_neg]
        order_ids = _ids("O", self.order_numbers, 9)
        return pa.Table.from_arrays([
            _take(order_ids, self.lo),
            pa.array(self.line_no, pa.int32()),
            _take(self.cust_ids, self.lc, mask=self.anon[self.lo]),
            cal.ts(secs),
            _take(cat.ids, self.prod),
            _take(cat.names, self.prod),
            _take(cat.categories, cat.cat[self.prod]),
            pa.array(self.qty, pa.int32()),
            pa.array(price, pa.float64()),
            pa.array(self.disc, pa.float64()),
            _take(pa.array(STATUSES), self.status),
        ], schema=arrow_schema("order_lines"))

    # events: sessions around orders of tracked customers, and browsing-only sessions
    def _events_table(self, session_offset: int) -> Iterator[pa.Table]:
        rng, cal, c, cat = self.rng, self.cal, self.c, self.catalogue
        VIEW, CART, REMOVE, PURCHASE = (EVENT_TYPES.index(e) for e in ("view", "cart", "remove_from_cart",
                                                                       "purchase"))
        sess, times, types, prods = [], [], [], []

        def add(s, t, kind, p):  # compact dtypes: events are the bulk of the memory
            sess.append(s.astype(np.int32))
            times.append(np.clip(t, 0, cal.end_s - 1).astype(np.int32))
            types.append(np.full(len(s), kind, np.int8))
            prods.append(p.astype(np.int16))

        # 1. purchase sessions: one per order of a tracked, identified customer
        po_mask = c["tracked"][self.oc] & ~self.anon
        po = np.flatnonzero(po_mask)
        s1 = len(po)
        t_end = self.osec[po]
        dur = np.clip(rng.lognormal(math.log(600), 0.8, s1), 60, 7200).astype(np.int64)
        s_start = np.maximum(t_end - dur, c["a_s"][self.oc[po]])
        dur = t_end - s_start
        session_of_order = np.full(len(self.oc), -1)
        session_of_order[po] = np.arange(s1)
        li = np.flatnonzero(po_mask[self.lo])
        ls = session_of_order[self.lo[li]]
        view_t = s_start[ls] + (rng.random(len(li)) * 0.7 * dur[ls]).astype(np.int64)
        cart_t = view_t + (rng.random(len(li)) * (t_end[ls] - view_t)).astype(np.int64)
        add(ls, view_t, VIEW, self.prod[li])
        add(ls, cart_t, CART, self.prod[li])
        add(ls, t_end[ls], PURCHASE, self.prod[li])
        es = np.repeat(np.arange(s1), rng.poisson(2.5, s1))  # extra views, mostly in the basket's category
        first_cat = cat.cat[self.prod[self.ostart[po]]]
        eprod = cat.draw(rng, len(es))
        same = rng.random(len(es)) < 0.6
        eprod[same] = cat.draw_in(rng, first_cat[es[same]])
        add(es, s_start[es] + (rng.random(len(es)) * dur[es]).astype(np.int64), VIEW, eprod)
        ab = np.flatnonzero(rng.random(s1) < 0.2)  # a product put in the cart, then removed
        aprod = cat.draw(rng, len(ab))
        ab_cart = s_start[ab] + (rng.random(len(ab)) * 0.8 * dur[ab]).astype(np.int64)
        ab_rm = ab_cart + (rng.random(len(ab)) * (t_end[ab] - ab_cart)).astype(np.int64)
        add(ab, ab_cart, CART, aprod)
        add(ab, ab_rm, REMOVE, aprod)

        # 2. browsing-only sessions while (and a little after) the customer is active
        tc = np.flatnonzero(c["tracked"])
        bc = np.repeat(tc, rng.poisson(1.2 * self.n_orders[tc] + 1.0))
        s2 = len(bc)
        b_end = np.minimum(c["stop"][bc] + 21.0, float(cal.days))
        b_start = np.maximum(cal.seconds(cal.sample(rng, c["a"][bc], b_end)), c["a_s"][bc])
        nv = 1 + rng.poisson(3.0, s2)
        vs = np.repeat(np.arange(s2), nv)
        vstart = np.cumsum(nv) - nv
        gaps = rng.exponential(90.0, len(vs))
        cs = np.cumsum(gaps)
        offset = cs - (cs[vstart] - gaps[vstart])[vs]
        view_t = b_start[vs] + offset.astype(np.int64)
        scat = np.where(rng.random(s2) < 0.6, c["fav"][bc], _draw(rng, cat.cat_cdf, s2))
        vprod = cat.draw_in(rng, scat[vs])
        add(s1 + vs, view_t, VIEW, vprod)
        carted = np.flatnonzero(rng.random(s2) < 0.3)
        c_t = view_t[vstart[carted] + nv[carted] - 1] + rng.exponential(60.0, len(carted)).astype(np.int64)
        c_prod = vprod[vstart[carted]]
        add(s1 + carted, c_t, CART, c_prod)
        removed = rng.random(len(carted)) < 0.45
        r_t = c_t[removed] + rng.exponential(120.0, int(removed.sum())).astype(np.int64)
        add(s1 + carted[removed], r_t, REMOVE, c_prod[removed])

        # sessions: customer, anonymity, id by start time
        s_cust = np.concatenate([self.oc[po], bc])
        s_anon = np.concatenate([np.zeros(s1, bool), rng.random(s2) < 0.1])
        s_first = np.concatenate([s_start, b_start])
        s_order = np.argsort(s_first, kind="stable")
        s_rank = np.empty_like(s_order)
        s_rank[s_order] = np.arange(len(s_order))
        self.n_sessions = len(s_order)
        sess_a = np.concatenate(sess)
        del sess
        t_a = np.concatenate(times)
        del times
        assert cal.end_s < (1 << 30)  # the sort key below packs seconds into 30 bits
        order = np.argsort((s_rank[sess_a].astype(np.int64) << 30) | t_a, kind="stable")
        sess_a, t_a = sess_a[order], t_a[order]
        types_a = np.concatenate(types)[order]
        prod_a = np.concatenate(prods)[order]
        del order, types, prods
        session_ids = _ids("S", session_offset + 1 + s_rank, 10)
        self.n_events = len(sess_a)

        def pieces():  # Arrow strings are built and written a slice at a time
            for i in range(0, max(len(sess_a), 1), EVENT_SLICE_ROWS):
                sl = slice(i, i + EVENT_SLICE_ROWS)
                se, pr = sess_a[sl], prod_a[sl]
                yield pa.Table.from_arrays([
                    cal.ts(t_a[sl]),
                    _take(pa.array(EVENT_TYPES), types_a[sl]),
                    _take(self.cust_ids, s_cust[se], mask=s_anon[se]),
                    _take(session_ids, se),
                    _take(cat.ids, pr),
                    _take(cat.categories, cat.cat[pr]),
                    _take(cat.brands, pr),
                    pa.array(cat.price[pr], pa.float64()),
                ], schema=arrow_schema("events"))

        return pieces()

    # feedback: product reviews and support messages
    def _feedback_tables(self, feedback_offset: int) -> tuple[pa.Table, pa.Table]:
        rng, cal, c, cat = self.rng, self.cal, self.c, self.catalogue
        # reviews
        status = self.status
        p = np.where(status == 2, REVIEW_P_RETURNED, REVIEW_P_COMPLETED)
        cand = (status != 1) & ~self.anon[self.lo] & ~self.bad_line & (rng.random(len(status)) < p)
        rl = np.flatnonzero(cand)
        r_sec = self.lsec[rl] + ((2.0 + rng.exponential(4.0, len(rl))) * 86400).astype(np.int64)
        keep = r_sec < cal.end_s
        rl, r_sec = rl[keep], r_sec[keep]
        nr = len(rl)
        rprod, rcust = self.prod[rl], self.lc[rl]
        returned = status[rl] == 2
        z = (0.8 * c["sat"][rcust] + 0.6 * cat.quality[rprod] - 1.3 * returned + rng.normal(0.0, 0.9, nr))
        rating = 1 + np.searchsorted(np.array([-1.6, -1.05, -0.55, 0.1]), z)
        sent = SENTIMENT_OF_RATING[rating]
        flip = rng.random(nr) < 0.03  # a little noise: text sentiment not matching the stars
        sent = np.where(flip, rng.integers(0, 3, nr), sent)
        rcat = cat.cat[rprod]
        aspect_gcdf = _grouped_cdf(np.repeat(np.arange(len(CATEGORY_NAMES)), len(ASPECTS)),
                                   np.array([ASPECT_WEIGHTS[n] for n in CATEGORY_NAMES]).ravel())
        asp1 = _draw_in_group(rng, aspect_gcdf, rcat) % len(ASPECTS)
        asp1 = np.where(returned & (rng.random(nr) < 0.5), RETURNS_ASPECT, asp1)
        asp2 = _draw_in_group(rng, aspect_gcdf, rcat) % len(ASPECTS)
        has2 = (rng.random(nr) < 0.45) & (asp2 != asp1)
        phrases = _Vocab([ASPECT_PHRASES[a][s] for a in ASPECTS for s in range(3)])
        phrases2 = _Vocab([[" " + p for p in ASPECT_PHRASES[a][s]] for a in ASPECTS for s in range(3)] + [[""]])
        ph2_group = np.where(has2, asp2 * 3 + sent, len(ASPECTS) * 3)
        openers = [REVIEW_OPENERS[s] for s in SENTIMENTS]
        prefix = _Vocab([[o[0] for o in g] for g in openers])
        suffix = _Vocab([[o[1] for o in g] for g in openers])
        op = prefix.pick(rng, sent)
        closers = _Vocab([REVIEW_CLOSERS[s] for s in SENTIMENTS])
        r_text = _join(prefix.take(op), _take(cat.nouns, rprod), suffix.take(op), " ",
                       phrases.take(phrases.pick(rng, asp1 * 3 + sent)),
                       phrases2.take(phrases2.pick(rng, ph2_group)),
                       closers.take(closers.pick(rng, sent)))
        titles = _Vocab([REVIEW_TITLES[s] for s in SENTIMENTS])
        r_title = titles.take(titles.pick(rng, sent))
        r_attrs = _join('{"order_id": "', _take(_ids("O", self.order_numbers, 9), self.lo[rl]),
                        '", "verified_purchase": true, "recommended": ', _bools(rating >= 4),
                        ', "helpful_votes": ', _str(rng.poisson(0.8, nr)), "}")
        r_rating = rating.astype(np.float64)
        (n_bad,) = self._n_malformed(nr, 1)
        bad = rng.choice(nr, n_bad, replace=False) if nr else np.zeros(0, np.int64)
        r_rating[bad] = 7.0
        self.malformed["feedback"] = {"rating_out_of_range": int(n_bad)}
        if self.k == 0 and nr > n_bad:  # the planted contact details, in the latest review that is loaded
            latest = np.where(np.isin(np.arange(nr), bad), -1, r_sec).argmax()
            r_text = pc.if_else(pa.array(np.arange(nr) == latest), _join(r_text, PLANTED_REVIEW_TAIL), r_text)

        # support messages: some for everyone (more if unhappy), more in the 45 days before churn
        base_n = rng.poisson(0.03 * self.n_orders * np.exp(-0.6 * c["sat"]) + 0.02)
        near_n = np.where(c["churned"] & (self.n_orders > 0), rng.poisson(0.8 * np.exp(-0.3 * c["sat"])), 0)
        sb = np.repeat(np.arange(self.n), base_n)
        sn = np.repeat(np.arange(self.n), near_n)
        sb_sec = np.maximum(cal.seconds(cal.sample(rng, c["a"][sb], c["stop"][sb])), c["a_s"][sb])
        sn_sec = np.maximum(c["churn_s"][sn] - (rng.random(len(sn)) * 45 * 86400).astype(np.int64), c["a_s"][sn])
        s_cust = np.concatenate([sb, sn])
        s_sec = np.minimum(np.concatenate([sb_sec, sn_sec]), cal.end_s - 1)
        near = np.concatenate([np.zeros(len(sb), bool), np.ones(len(sn), bool)])
        ns = len(s_cust)
        # the product they write about: a random identified line of theirs, if any
        ident = np.flatnonzero(~self.anon[self.lo])
        by_cust = ident[np.argsort(self.lc[ident], kind="stable")]
        n_lines = np.bincount(self.lc[ident], minlength=self.n)
        first_line = np.cumsum(n_lines) - n_lines
        has_line = n_lines[s_cust] > 0
        pick = first_line[s_cust] + (rng.random(ns) * n_lines[s_cust]).astype(np.int64)
        s_prod = np.zeros(ns, np.int64)
        s_prod[has_line] = self.prod[by_cust[pick[has_line]]]
        s_aspect = _draw(rng, _cdf(SUPPORT_ASPECT_P), ns)
        support = _Vocab([[t for t, _ in SUPPORT_PHRASES[a]] for a in ASPECTS])
        support_sent = np.array([SENTIMENTS.index(s) for a in ASPECTS for _, s in SUPPORT_PHRASES[a]])
        s_phrase = support.pick(rng, s_aspect)
        threat = _Vocab([[""], CHURN_THREATS])
        s_threat = threat.pick(rng, (near & (rng.random(ns) < 0.35)).astype(np.int64))
        s_text = _join(support.take(s_phrase), threat.take(s_threat))
        s_sent = np.where(s_threat > 0, 0, support_sent[s_phrase])
        s_rated = rng.random(ns) < 0.15
        s_rating = 1.0 + rng.binomial(4, _sigmoid(0.6 * c["sat"][s_cust] - 0.2))
        high = near | ((s_sent == 0) & (rng.random(ns) < 0.3))
        s_attrs = _join('{"ticket_priority": "', _take(pa.array(["normal", "high"]), high.astype(np.int64)),
                        '", "resolved": ', _bools(rng.random(ns) < 0.8), "}")

        # together, by time
        created = np.concatenate([r_sec, s_sec])
        order = np.argsort(created, kind="stable")
        n_fb = len(order)
        ids = _ids("F", feedback_offset + 1 + np.arange(n_fb), 9)
        inv = np.empty_like(order)
        inv[order] = np.arange(n_fb)  # feedback number of each (reviews then support) row
        cust = np.concatenate([rcust, s_cust])
        prod = np.concatenate([rprod, s_prod])
        has_prod = np.concatenate([np.ones(nr, bool), has_line])
        rating_all = np.concatenate([r_rating, np.where(s_rated, s_rating, np.nan)])
        null_rating = np.isnan(rating_all)
        table = pa.Table.from_arrays([
            _take(ids, inv),
            _take(self.cust_ids, cust),
            _take(cat.ids, prod, mask=~has_prod),
            _take(cat.categories, cat.cat[prod], mask=~has_prod),
            cal.ts(created),
            _take(pa.array(["review", "support"]), np.concatenate([np.zeros(nr, np.int64), np.ones(ns, np.int64)])),
            pa.array(np.where(null_rating, 0.0, rating_all), pa.float64(), mask=null_rating),
            pa.concat_arrays([r_title, _take(pa.array([SUPPORT_TITLES[a] for a in ASPECTS]), s_aspect)]),
            pa.concat_arrays([r_text, s_text]),
            pa.concat_arrays([r_attrs, s_attrs]),
        ], schema=arrow_schema("feedback")).take(pa.array(order))
        truth = pa.Table.from_arrays([
            table.column("feedback_id"),
            _take(pa.array(ASPECTS), np.concatenate([asp1, s_aspect])[order]),
            _take(pa.array(SENTIMENTS), np.concatenate([sent, s_sent])[order]),
        ], schema=FEEDBACK_TRUTH_SCHEMA)
        return table, truth

    # the randomised discount campaign and the per-customer truth
    def _campaign_tables(self) -> tuple[pa.Table, pa.Table, dict[str, Any]]:
        rng, cal, c = self.rng, self.cal, self.c
        n = self.n
        e_day = cal.days - CAMPAIGN_LEAD_DAYS if cal.days > 2 * CAMPAIGN_LEAD_DAYS else cal.days // 2
        e_s = e_day * 86400
        before = (self.osec < e_s) & ~self.anon
        orders_before = np.bincount(self.oc[before], minlength=n)
        last = np.full(n, -1, np.int64)
        np.maximum.at(last, self.oc[before], self.osec[before])
        has_orders = orders_before > 0
        recency = np.where(has_orders, (e_s - last) // 86400, -1)
        tenure = np.maximum(e_s - c["a_s"], 0) // 86400
        eligible = c["a_s"] < e_s
        active = c["stop_s"] > e_s
        lapsing = has_orders & (recency > 60)
        loyal = (orders_before >= 8) & (c["sat"] > 0)
        base = -2.3 + 0.45 * np.log(c["rate"]) + 1.0 * active - 0.5 * lapsing + 0.2 * c["sat"]
        uplift = np.maximum(0.3 + 3.0 * (c["aff"] - 0.15) + 0.6 * lapsing - 0.4 * loyal, -0.1)
        p0 = _sigmoid(base)
        p_arm = _sigmoid(base[:, None] + ARM_STRENGTH[None, :] * uplift[:, None])  # n x 4
        effects = p_arm - p0[:, None]

        exposed = eligible & (rng.random(n) < CAMPAIGN_SHARE)
        ex = np.flatnonzero(exposed)
        arm = rng.integers(0, len(ARMS), len(ex))
        p_conv = p_arm[ex, arm]
        u = rng.random(len(ex))
        converted = u < p_conv
        p_visit = p_conv + (1 - p_conv) * _sigmoid(-1.2 + 0.8 * ARM_STRENGTH[arm] + 0.3 * np.log(c["rate"][ex]))
        visited = u < p_visit
        spend = np.where(converted, np.round(rng.lognormal(math.log(45.0), 0.5, len(ex))
                                             * np.exp(0.1 * np.log(c["rate"][ex]))
                                             * (1 - ARM_DISCOUNT[arm] / 100.0), 2), 0.0)
        exposed_s = e_s + (rng.random(len(ex)) * 2 * 86400).astype(np.int64)
        campaign_id = f"CAMP-{str(np.datetime64(cal.start) + e_day)[:4]}-RETENTION"
        attrs = _join('{"recency_days": ', pc.fill_null(_str(recency[ex], mask=~has_orders[ex]), "null"),
                      ', "orders_before": ', _str(orders_before[ex]), ', "tenure_days": ', _str(tenure[ex]), "}")
        table = pa.Table.from_arrays([
            pa.repeat(pa.scalar(campaign_id, pa.string()), len(ex)),
            _take(self.cust_ids, ex),
            _take(pa.array(ARMS), arm),
            pa.array(arm == 0, pa.bool_()),
            pa.array(ARM_DISCOUNT[arm], pa.float64()),
            cal.ts(exposed_s),
            pa.array(visited, pa.bool_()),
            pa.array(converted, pa.bool_()),
            pa.array(spend, pa.float64()),
            attrs,
        ], schema=arrow_schema("campaign_exposures"))
        truth = pa.Table.from_arrays([
            self.cust_ids,
            pa.array(self.scale * c["rate"] * DAYS_PER_MONTH, pa.float64()),
            pa.array(c["hazard"], pa.float64()),
            cal.ts(c["churn_s"], mask=~c["churned"]),
            pa.array(c["sat"], pa.float64()),
            pa.array(c["aff"], pa.float64()),
            pa.array(c["tracked"], pa.bool_()),
            pa.array(eligible, pa.bool_()),
            pa.array(p0, pa.float64()),
            pa.array(effects[:, 1], pa.float64()),
            pa.array(effects[:, 2], pa.float64()),
            pa.array(effects[:, 3], pa.float64()),
        ], schema=CUSTOMERS_TRUTH_SCHEMA)
        summary = {
            "campaign_id": campaign_id,
            "exposed_at_from": str(np.datetime64(cal.start) + e_day),
            "exposed": {a: int((arm == i).sum()) for i, a in enumerate(ARMS)},
            "converted": {a: int(converted[arm == i].sum()) for i, a in enumerate(ARMS)},
            "true_effect_sum": {f"effect_{d}": float(effects[ex, i + 1].sum()) for i, d in enumerate((5, 10, 20))},
        }
        return table, truth, summary


# --- the public entry point ---------------------------------------------------------------------
def generate(out_dir: Path, customers: int = 2000, seed: int = 42, start: str = "2023-01-01",
             end: str = "2024-12-31", with_events: bool = True, chunk_customers: int = 50_000,
             lines_per_customer: float = 25.0, max_lines_per_chunk: int = 1_000_000) -> dict:
    """Write the synthetic raw tables and their ground truth under `out_dir`; return the manifest.

    customers            number of customers (ids C0000001...)
    seed                 the whole output is a function of (seed, parameters, effective chunk size)
    start, end           the data window, both inclusive (ISO dates)
    with_events          write the behavioural `events` table (the largest one)
    chunk_customers      customers generated and written per part file...
    lines_per_customer   ...mean order lines per customer (the order-line volume knob)
    max_lines_per_chunk  ...capped so that a chunk holds about this many order lines (bounds memory)
    """
    if customers < 1:
        raise ValueError("customers must be at least 1")
    if lines_per_customer <= 0:
        raise ValueError("lines_per_customer must be positive")
    out_dir = Path(out_dir)
    cal = _Calendar(start, end)
    catalogue = _Catalogue(np.random.default_rng([seed, 0]))
    scale = _rate_scale(seed, cal, lines_per_customer)
    cap = max(1000, int(max_lines_per_chunk // lines_per_customer))
    chunk = max(1, min(int(chunk_customers), cap))
    n_chunks = math.ceil(customers / chunk)
    id_width = max(7, len(str(customers)))

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "manifest.json").unlink(missing_ok=True)  # written last: its presence means complete
    folders = {t: out_dir / t for t in TABLES if with_events or t != "events"}
    folders["truth/customers_truth"] = out_dir / "truth" / "customers_truth"
    folders["truth/feedback_truth"] = out_dir / "truth" / "feedback_truth"
    for stale in [out_dir / t for t in TABLES] + [out_dir / "truth"]:  # only our own folders
        if stale.is_dir():
            shutil.rmtree(stale)
    for folder in folders.values():
        folder.mkdir(parents=True, exist_ok=True)

    rows = {name: 0 for name in folders}
    malformed: dict[str, dict[str, int]] = {"order_lines": {}, "feedback": {}}
    offsets = {"order": 0, "session": 0, "feedback": 0}
    campaign: dict[str, Any] = {}
    effect_sums = {"effect_5": 0.0, "effect_10": 0.0, "effect_20": 0.0}
    for k in range(n_chunks):
        first = k * chunk
        part = _Chunk(k, first, min(chunk, customers - first), seed=seed, cal=cal, cat=catalogue, scale=scale,
                      offsets=offsets, with_events=with_events, id_width=id_width)
        tables = {**part.tables, "truth/customers_truth": part.truth, "truth/feedback_truth": part.feedback_truth}
        for name, table in tables.items():
            path = folders[name] / f"part-{k:05d}.parquet"
            schema = table.schema if isinstance(table, pa.Table) else arrow_schema(name)
            with pq.ParquetWriter(path, schema, compression="zstd") as writer:
                for piece in [table] if isinstance(table, pa.Table) else table:
                    writer.write_table(piece)
                    rows[name] += piece.num_rows
        for table_name, counts in part.malformed.items():
            for kind, n in counts.items():
                malformed[table_name][kind] = malformed[table_name].get(kind, 0) + n
        offsets["order"] += len(part.order_numbers)
        offsets["session"] += part.n_sessions
        offsets["feedback"] += part.tables["feedback"].num_rows
        s = part.campaign
        if not campaign:
            campaign = {"campaign_id": s["campaign_id"], "exposed_at_from": s["exposed_at_from"],
                        "arms": list(ARMS), "exposed": dict.fromkeys(ARMS, 0), "converted": dict.fromkeys(ARMS, 0)}
        for a in ARMS:
            campaign["exposed"][a] += s["exposed"][a]
            campaign["converted"][a] += s["converted"][a]
        for key in effect_sums:
            effect_sums[key] += s["true_effect_sum"][key]
        del part, tables

    treated = sum(campaign["exposed"][a] for a in ARMS)
    campaign["mean_true_effect_exposed"] = {k: (v / treated if treated else None) for k, v in effect_sums.items()}
    manifest = {
        "generator": "cip_assets.ingest.synthetic",
        "version": GENERATOR_VERSION,
        "seed": seed,
        "parameters": {"customers": customers, "seed": seed, "start": cal.start, "end": cal.end,
                       "with_events": with_events, "chunk_customers": chunk_customers,
                       "lines_per_customer": lines_per_customer, "max_lines_per_chunk": max_lines_per_chunk},
        "effective_chunk_customers": chunk,
        "chunks": n_chunks,
        "tables": {name: f"{name}/part-*.parquet" for name in folders},
        "rows": rows,
        "malformed": malformed,
        "malformed_rows": {t: sum(v.values()) for t, v in malformed.items()},
        "campaign": campaign,
    }
    (out_dir / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n")
    return manifest
