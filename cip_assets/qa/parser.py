"""Question -> `Plan`, with every word accounted for.

The parser finds periods, customer ids, entities (countries, segments, products...), a measure, a
grouping, exclusions ("excluding the UK"), conditions on customers' orders ("bought exactly once")
and N of top-N, then decides the intent. Each word of the question must become one of those, a
known function word or a glossary term; a word left over means the question asks something the
engine does not know, and the parser says so (`NotUnderstood`) instead of answering a broader
question.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable

from cip_assets.qa.dates import Period, parse_period
from cip_assets.qa.gazetteer import PROTECTED, Gazetteer, Mention, normalise
from cip_assets.qa.intents import MIN_SIMILARITY, RULES, rule_intent
from cip_assets.qa.plan import MAX_ROWS, Plan

MAX_QUESTION_CHARS = 500

# "by what % did revenue grow from October to November": the change between two periods
GROWTH = (r"\b(grow|grew|grown|growth|increase[sd]?|decrease[sd]?|decline[sd]?|drop(ped)?|fell|fall|rise|rose|"
          r"change[sd]?)\b.*(\bby what|\bby how much|\bwhat %|\bwhat percent|\bhow many percent|\bpercentage|%|\bin percent)|"
          r"(\bby what|\bby how much|\bwhat %|\bwhat percent|\bhow many percent|\bpercentage|%).*\b(grow|grew|grown|growth|"
          r"increase|decrease|decline|drop|fall|fell|rise|rose|change)")
GROWTH_WORDS = (r"\b(grow|grew|grown|growth|increase[sd]?|decrease[sd]?|decline[sd]?|drop(ped)?|fell|fall|rise|rose|"
                r"change[sd]?|by what|by how much|how many percent|what percent|percentage|percent|in percent)\b")
# the words that name revenue itself (the verbs "sell", "bring in", "generate" may carry another measure's noun)
REVENUE_NOUNS = (r"revenue|\bsales\b|\bmonetary\b|turnover|takings|\bspend\b|\bspent\b|\bspending\b|\bmoney\b|\bincome\b|\bearn\w*|"
                 r"\bhow much\b")
# two-letter country codes, read only where typed in capitals ("rev FR 2011"), for the countries in the data
# (not IT, NO, AT, BE, IS, IN: English words in a question typed in capitals)
COUNTRY_CODES = {"GB": "United Kingdom", "UK": "United Kingdom", "FR": "France", "DE": "Germany", "ES": "Spain",
                 "NL": "Netherlands", "CH": "Switzerland", "PT": "Portugal",
                 "AU": "Australia", "JP": "Japan", "SE": "Sweden", "DK": "Denmark", "FI": "Finland",
                 "PL": "Poland", "IE": "EIRE", "US": "USA", "CA": "Canada", "GR": "Greece",
                 "CY": "Cyprus", "IL": "Israel", "BR": "Brazil", "MT": "Malta", "CZ": "Czech Republic",
                 "LT": "Lithuania", "SG": "Singapore", "AE": "United Arab Emirates", "SA": "Saudi Arabia",
                 "BH": "Bahrain", "ZA": "RSA", "LB": "Lebanon"}
# what "how many customers ..." may count (any other measure in such a question is a condition it cannot apply)
COUNTS_OF_CUSTOMERS = (None, "customers", "new_customers", "active_customers", "returning_customers",
                       "cancelling_customers", "countries")
# measures a question can ask "per customer" (an average over customers who bought)
BUYER_MEASURES = ("revenue", "orders", "gross_revenue", "quantity")
# metrics that only make sense as a mean over customers
MEAN_METRICS = ("age", "churn_probability", "purchase_probability", "rating", "recency")
METRIC_PATTERNS: list[tuple[str, str]] = [
    ("median_order_value", r"\bmedian\b.{0,20}\b(order|basket|transaction|invoice)s?\b|\b(order|basket) (value|size)s?\b.{0,12}"
                           r"\bmedian\b"),
    ("largest_order", r"\b(biggest|largest|highest|maximum|max|single largest|single biggest)\s+(single\s+)?(order|basket|"
                      r"transaction|invoice)( value| total| amount)?\b"),
    ("lines_per_order", r"\b(order )?lines per (order|basket|invoice|transaction)\b|\b(basket|order) size in lines\b"),
    ("units_per_order", r"\b(basket|order) size in (units|items|pieces)\b|\b(units|items|pieces) per (order|basket|invoice|"
                        r"transaction)\b"),
    ("aov", r"average order value|\baov\b|order value|basket value|basket size|average basket|\baverage order\b(?!s)|"
            r"\b(spend|spending|spent|revenue|sales|value|takings)\s+(per|an|a|each)\s+(order|basket|transaction|invoice)\b"),
    ("cancellation_rate", r"cancell?ation rate|cancel rate"),
    ("return_rate", r"return rate|returns rate"),
    ("gross_revenue", r"\bgross (revenue|sales|turnover)\b|\b(revenue|sales|turnover|takings)\b.{0,40}\b(before|not counting|"
                      r"excluding|without|ignoring|disregarding) (the )?returns\b"),
    ("products", r"\b(how many|number of|count of|count the)\s+(different|distinct|unique)\s+(products|items|skus|articles|"
                 r"stock codes)\b|\b(how many|number of|count of|count the)\s+(products|skus|articles|stock codes)\b"),
    ("countries", r"\b(how many|number of|count of|count the)\s+(different\s+|distinct\s+)?(countries|markets)\b|"
                  r"\bnumber of (different |distinct )?(countries|markets)\b"),
    ("cancelling_customers", r"\b(how many|number of|count of|count the)\s+(different\s+|distinct\s+)?(customers|clients|"
                             r"buyers|shoppers)\b[^?.]{0,30}?\bcancell?ed\b"),
    ("cancelled_revenue", r"\b(value|revenue|amount|worth|sales|money) (of|from|in) (the )?cancell?(ed|ations?)\b|"
                          r"\b(value|revenue|amount|worth|money)\b[^?.]{0,12}?\b(got|was|were|been|gets|is) cancell?ed\b|"
                          r"\bcancell?ed (revenue|value|amount|sales)\b|\bhow much (money |revenue |value )?(was |were |got |has been |"
                          r"have been )?cancell?ed\b|[£$€] ?(was |were |got |worth (of )?(orders |sales )?)?cancell?ed\b"),
    ("cancelled_units", r"\bcancell?ed (units|quantit(y|ies)|items|pieces)\b|\b(units|quantit(y|ies)) cancell?ed\b|\b(units|items|pieces) (were |was |got |been )*"
                        r"cancell?ed\b|\b(units|items|pieces)\b[^?.]{0,60}?\b(were|was|got|been|get|are) cancell?ed\b"),
    ("cancelled_lines", r"\bcancell?ed (order )?lines\b|\bcancell?ed items\b|\b(order )?lines (were |was |got |been )*"
                        r"cancell?ed\b"),
    ("cancelled_orders", r"\bcancell?ed\b|\bcancell?ations?\b|\bcancel\b"),
    ("returned_units", r"\breturned (units|quantit(y|ies)|items|pieces)\b|\b(units|quantit(y|ies)|items|pieces) returned\b|\b(units|items|pieces) (were |was |got |been |sent )*"
                       r"(returned|sent back)\b|\b(units|items|pieces)\b[^?.]{0,60}?\b(were|was|got|been|get|are) returned\b"),
    ("returned_revenue", r"\breturned (revenue|sales|value|amount)\b|\brefund\w*|\b(value|worth|amount) of (the )?returned( goods| items| products| stock)?\b|"
                         r"\breturned goods\b"),
    ("returned_lines", r"\breturn(ed)? (order )?lines\b|\b(order )?lines (were |was |got |been )*returned\b|\breturns\b|"
                       r"\breturned\b"),
    ("quantity", r"\bquantit(y|ies)\b|\bunits\b|\bpieces\b|(?<!order )\bvolume\b|\bitems sold\b|\bhow many items\b|\b(best|top|most)[ -]?sell\w*"),
    ("churn_rate", r"churn rate|churned share|attrition"),
    ("purchase_probability", r"purchase probabilit\w*|propensity|probability (of|to) (buy|purchase)\w*|"
                             r"likel\w* to (buy|purchase)|chance of (buying|purchasing)"),
    ("churn_probability", r"churn probabilit\w*|churn score|probability (of|to) churn\w*|likelihood (of|to) churn\w*|"
                          r"chance of churn\w*"),
    ("expected_spend_90d", r"expected spend"),
    ("revenue", r"\bmonetary\b( value)?"),  # RFM's M: the customer's lifetime net revenue
    ("value_12m", r"12.?months? value|\bclv\b|\bltv\b|lifetime value|customer value|predicted value|future value|"
                  r"\bvalue\b"),
    ("new_customers", r"\bnew (customers|buyers|clients|shoppers)|acquisitions?|acquir(ed|ing)|"
                      r"\bfirst[- ]time (customers|buyers|clients|shoppers|purchasers)\b"),
    ("active_customers", r"\bactive (customers|buyers|clients)|\b(customers|buyers|clients|shoppers) (were|are|was|who were|"
                         r"that were|being) active\b"),
    ("returning_customers", r"\b(returning|existing) (customers|buyers|clients|shoppers)\b"),
    ("rating", r"\bratings?\b|\bstars\b"),
    ("recency", r"\brecency\b|days since (the )?last"),
    ("age", r"\bage\b|\bhow old\b|\bolder\b|\byounger\b"),
    ("revenue", r"revenue|\bsales\b|turnover|takings|\bspend\b|\bspent\b|\bspending\b|\bmoney\b|\bincome\b|\bsold\b|"
                r"\bearn\w*|\bsell\b|\bbring in\b|\bbrought in\b|\bbrings in\b|\bgenerat\w*|\bselling\b"),
    ("orders", r"\border (volume|count|numbers)\b|\borders?\b|\bpurchases\b|\btransactions?\b|\binvoices?\b"),
    ("customers", r"\bcustomers?\b|\bclients?\b|\bbuyers?\b|\bshoppers?\b|\bpeople\b|\busers?\b"),
]
DIM_PATTERNS: list[tuple[str, str]] = [
    ("country", r"\bcountr(y|ies)\b|\bmarkets?\b|\bnations?\b"),
    ("city", r"\bcit(y|ies)\b|\btowns?\b"),
    ("category", r"\bcategor(y|ies)\b"),
    ("persona", r"\bpersonas?\b|\bclusters?\b|\bml segments?\b|\bcustomer segments?\b"),
    ("segment", r"\bsegments?\b"),
    ("risk_band", r"\brisk bands?\b|\bbands?\b"),
    ("gender", r"\bgenders?\b"),
    ("product", r"\bproducts?\b|\bitems?\b|\bsku\w*\b|\barticles?\b|\bstock ?codes?\b"),
    ("day", r"\b(which|what|the|busiest|best|worst|top|bottom)\s+(\w+\s+)?(days?|dates?)\b"),
    ("weekday", r"\bweekdays?\b|\bday of (the )?week\b|\bdays of (the )?week\b"),
    ("hour", r"\bhours?\b|\btime of day\b"),
    ("month", r"\bmonths?\b"),
    ("quarter", r"\bquarters?\b"),
    ("year", r"\byears?\b"),
    ("week", r"\bweeks?\b"),
    ("customer", r"\bcustomers\b|\bclients\b|\bbuyers\b|\bcustomer\b"),
]
FOLLOW_UP = re.compile(r"^\s*(and|what about|how about|and what about|same for|same but|now|also|what if|then)\b",
                       re.IGNORECASE)
NUMBER_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
                "ten": 10, "twenty": 20}
_NUM = r"([0-9]+|" + "|".join(NUMBER_WORDS) + r")"
TOP_N = re.compile(r"\b(?:top|bottom|best|worst|first|largest|biggest|smallest|highest|lowest)\s+" + _NUM + r"\b|\b"
                   + _NUM + r"\s+(?:best|worst|top|biggest|largest|smallest|highest|lowest|most|least|busiest|slowest|"
                   r"quietest|weakest|strongest)\b|"
                   r"\b(?:which|what|the)\s+" + _NUM + r"\s+[a-z]")

EXCLUDE = re.compile(r"\b(excluding|exclude|excluded|except(?: for)?|other than|outside(?: of)?|apart from|"
                     r"aside from|not counting|leaving out|but not|besides|not in|not from|ignoring|disregarding|"
                     r"leaving aside|setting aside|non)\b")
# conditions on each customer's number of (completed) orders
ORDER_CONDITIONS: list[tuple[str, Callable[[re.Match], list]]] = [
    (r"\b(?:without|with no|with zero|no|zero|never)\s+(?:an?\s+)?(?:orders?|purchases?)\b|\bnever (?:bought|ordered|purchased)\b|"
     r"\bnever (?:completed|placed|made) (?:an?\s+|any\s+)?(?:orders?|purchases?)\b",
     lambda m: ["=", 0]),
    (r"\b(?:more than|over)\s+once\b|\brepeat (?:customers|buyers|purchasers|shoppers)\b|\b(?:bought|ordered|purchased|came back)"
     r"\s+again\b|\b(?:bought|ordered|purchased|shopped)\s+(?:at least\s+)?twice or more\b",
     lambda m: [">", 1]),
    (r"\b(?:bought|ordered|purchased|shopped|ordering|buying)\s+(?:exactly\s+|only\s+|just\s+)?once\b|\bone.?(?:time|off)"
     r"\s+(?:customers|buyers|purchasers|shoppers)\b|\b(?:a single|only one|just one|exactly one) (?:order|purchase)\b|"
     r"\bonly once\b|\bexactly once\b|\bjust once\b",
     lambda m: ["=", 1]),
    (r"\b(?:placed|made|completed|have|has|had)\s+(?:an?|at least one|any)\s+(?:order|purchase)s?\b|"
     r"\b(?:bought|ordered|purchased|shopped|sold)\s+at least once\b", lambda m: [">=", 1]),
    (r"\b(?:bought|ordered|purchased|shopped)\s+(?:exactly\s+|only\s+)?twice\b|\bexactly twice\b",
     lambda m: ["=", 2]),
    (r"\b(?:more than|over|above)\s+" + _NUM + r"\s+(?:orders?|purchases?|times)\b", lambda m: [">", _num(m.group(1))]),
    (r"\b(?:at least|minimum of|a minimum of)\s+" + _NUM + r"\s+(?:orders?|purchases?|times)\b|\b" + _NUM
     + r"\s+or more\s+(?:orders?|purchases?|times)\b|\b" + _NUM + r"\s+(?:orders?|purchases?|times) or more\b",
     lambda m: [">=", _num(m.group(1) or m.group(2) or m.group(3))]),
    (r"\b(?:fewer than|less than|under|below)\s+" + _NUM + r"\s+(?:orders?|purchases?|times)\b",
     lambda m: ["<", _num(m.group(1))]),
    (r"\b(?:at most|no more than|maximum of|a maximum of)\s+" + _NUM + r"\s+(?:orders?|purchases?|times)\b|\b" + _NUM
     + r"\s+or (?:fewer|less)\s+(?:orders?|purchases?|times)\b",
     lambda m: ["<=", _num(m.group(1) or m.group(2))]),
    (r"\b(?:exactly|only|just)\s+" + _NUM + r"\s+(?:orders?|purchases?|times)\b|\b(?:with|placed|made|have|had)\s+"
     + _NUM + r"\s+(?:orders?|purchases?)\b", lambda m: ["=", _num(m.group(1) or m.group(2))]),
]

# a condition on one of a customer's own figures: "churn probability above 80%", "spent more than 5000 in total"
_ABOVE_BELOW = r"(above|over|greater than|more than|higher than|at least|below|under|less than|lower than|at most)"
CUSTOMER_CONDITIONS: list[tuple[str, str]] = [
    ("churn_probability", r"\b(?:churn probabilit(?:y|ies)|churn scores?|probability of churn(?:ing)?|churn risk score)\s+"
                          r"(?:is\s+|was\s+|of\s+)?" + _ABOVE_BELOW + r"\s+(\d+(?:\.\d+)?)\s*(%|percent)?"),
    ("lifetime_revenue", r"\b(?:spent|spend|spending|lifetime (?:spend|revenue)|monetary(?: value)?|total spend)\s+"
                         r"(?:of\s+|is\s+|was\s+)?(?:in total\s+)?" + _ABOVE_BELOW + r"\s+[£$€]?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
                         r"(\s*(?:in total|overall|all time|lifetime|in their lifetime))?"),
    ("recency_days", r"\b(?:days since (?:their |the )?last (?:order|purchase)|recency)\s+(?:is\s+|of\s+)?" + _ABOVE_BELOW
                     + r"\s+(\d+)(\s+days)?"),
]
# a period that bounds each customer's last order rather than the figures: "whose last purchase was before June
# 2011", "with no purchase in the last 90 days" (read in the words just before the period)
_LAST_ORDER = r"\blast (?:purchase|order|buy|transaction)s?(?: date)?(?: (?:was|were|is|came|happened|fell))?\s+"
_NO_ORDER = (r"(?:\b(?:no|not|never|without(?: a| an| any)?)|n't)\s+(?:\w+\s+)?(?:purchases?|purchased|orders?|ordered|"
             r"bought|buy|shopped|placed an order)\s+(?:anything\s+)?(?:(?:in|for|within|during|over|since)\s+)?(?:the\s+)?")
LAST_ORDER_CONDITIONS: list[tuple[str, str]] = [
    (_LAST_ORDER + r"(?:before|prior to|earlier than)\s*$", "before"),
    (_NO_ORDER + r"$", "none in"),  # only for a period that runs to the end of the data: then "before" it
    (_LAST_ORDER + r"(?:after|later than)\s*$", "after"),
    (_LAST_ORDER + r"(?:since)\s*$", "since"),
    (_LAST_ORDER + r"(?:(?:in|during|on)\s*)?$", "in"),
]
CONDITION_OPS = {"above": ">", "over": ">", "greater than": ">", "more than": ">", "higher than": ">", "at least": ">=",
                 "below": "<", "under": "<", "less than": "<", "lower than": "<", "at most": "<="}

# orders placed without a customer id (guest checkouts): no customer, no country
ANONYMOUS = (r"\b(anonymous|guest|guests|unidentified|unregistered)\b(\s+(orders?|customers?|checkouts?|buyers?|"
             r"shoppers?|sales|purchases))?|\b(without|with no|no|missing)\s+(an?\s+)?customer(\s+(id|ids|number|numbers|"
             r"attached|linked|known))?\b")
# a condition on each ranked group's orders: "(only countries) with at least 50 orders"
GROUP_CONDITION = (r"\b(countries|country|markets|segments|cities|categories|products|items|months)\b[^.?]{0,25}?\b(?:with|having|"
                   r"that have|that had|which have)\s+(at least|a minimum of|more than|over|fewer than|less than|under|"
                   r"at most)\s+" + _NUM + r"\s+(?:completed\s+)?orders\b")
# a measure of the customers whose first order falls in the period: "revenue from new customers in November"
FROM_NEW_CUSTOMERS = (r"\b(revenue|sales|turnover|takings|spend|spent|orders|units|quantity)\b[^?.]{0,25}?\b(from|by|of|"
                      r"placed by)\s+(our\s+|the\s+)?(new|first[- ]time)\s+(customers|buyers|clients|shoppers)\b")
# orders by their own value: "orders over £1,000", "baskets under 50"
ORDER_VALUE = (r"\b(?:orders?|baskets?|transactions?|invoices?)\s+(?:were\s+|was\s+|are\s+|is\s+)?(?:worth\s+|valued\s+at\s+|of\s+|with\s+a\s+value\s+of\s+)?"
               r"(over|above|more than|greater than|exceeding|under|below|less than)\s+[£$€]?\s?(\d{1,3}(?:,\d{3})+|\d+)"
               r"(?:\.(\d+))?\b")
ORDER_VALUE_WORDS = (r"\b(orders?|baskets?|transactions?|invoices?)\s+(were\s+|was\s+|are\s+|is\s+)?(worth\s+|valued\s+at\s+|of\s+|with\s+a\s+value\s+of\s+)?"
                     r"(over|above|more than|greater than|exceeding|under|below|less than)\s+(\d+\s?)+")
# orders placed on given weekdays: "on a Friday", "on Mondays", "at weekends"
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_FILTER = (r"\b(?:on|at|over|during)\s+(?:a\s+|the\s+)?(?:(" + "|".join(DAY_NAMES) + r")s?|(weekends?))\b")
# "scored customers": those the churn model scored; "RFM-scored": those with an RFM segment
RFM_SCORED = r"\brfm[- ]?(scored|scoring)\b"
SCORED_WORDS = r"\b(churn[- ])?scored\b"
# filter words: churn status and risk
CHURN_WORDS = r"\b(churned|lapsed|lost customers|inactive)\b"
NOT_CHURN_WORDS = r"\b(not churned|non[- ]?churned|still active|retained)\b"
RISK_WORDS = r"\b(likely to (churn|leave)|risky|at risk)\b"

# grammar: words that carry no content of their own
FUNCTION_WORDS = set("""
a an the of in on at to for from by with and or vs versus per each every all any what which who whom whose how why
when where is are was were be been being do does did done have has had having many much so as than then also
same now just only please could would should can will shall may might must you your i me my we us our ours it its
they them their there here this that these those s 's give show list tell find get got let lets let's see know
want need like look looking display report provide calculate compute figure figures number numbers count
amount total totals overall sum whole entire altogether combined all-time ever throughout across among during
within between into over under up out down about around some both either neither whether if much many
data store shop company business whats what's hows how's thats there's theres
kindly quick quickly currently current right unique distinct different individual separate made make
net something anything actually single set dataset inclusive located based fall falls belong belongs sit sits
""".split())
# paraphrases said in other words, rewritten (case kept elsewhere) before the parse
REWRITES: list[tuple[str, str]] = [
    (r"\b(?:take|takes|took|taken|taking|rake|raked)\s+in\b", "revenue"),
    (r"\bhow much (?:money )?(?:did|do|does|have|has) (?:we|you|the company|the business|the shop|the store|it) "
     r"(?:make|made|earn|earned|bring in|brought in|take|took|sell|sold)\b", "how much revenue did we"),
    (r"\brev\b", "revenue"),
    # shorthand as people type it
    (r"\b(?:pls|plz|please|thx|thanks|cheers|rn|atm|right now|at the moment|currently|on file|on record|on the books)\b",
     " "),
    (r"\bexcl\.?(?=\s)|\bexcl\b|\bw/o\b", "excluding"),
    (r"\bdiff\.?\s+(?=customers|clients|buyers|products|items|shoppers|countries)", "different "),
    (r"\bwk\b", "week"),
    (r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)([a-z]*)\s*['’]\s?([0-9]{2})\b", r"\1\2 20\3"),  # oct '11
    (r"\b([0-9]+)\s*\+\s*(orders?|purchases?|times)\b", r"\1 or more \2"),  # "5+ orders"
    (r"\(\s*(?:min\.?|minimum(?: of)?|at least)\s+([0-9]+)\s+(orders?)\s*\)", r"with at least \1 \2"),
    (r"\(\s*((?:exactly|only|just) [0-9a-z]+ (?:orders?|purchases?))\s*\)", r" "),  # a restated condition
    (r"\b(?:sth|smth|smthg)\b", "something"),
    (r"\bcusts\b|\bcust\.?s\b", "customers"),
    (r"\bcust\b", "customer"),
    (r"\bprob\b|\bprobab\b", "probability"),
    (r"\b(?:q-?o-?q|m-?o-?m|y-?o-?y|w-?o-?w)\b", " "),  # quarter on quarter: the periods named say which
    (r"\bflagged(?: as)?\b|\btagged as\b|\bmarked as\b", " "),
    (r"\(\s*rfm\s*\)", " "),
    (r"\bcustomer base\b", "customers"),
    (r"\b(?:since records began|since (?:the )?(?:very )?(?:start|beginning)(?: of (?:the )?(?:data|records|time))?|"
     r"(?:over |for |in |across )?(?:the )?(?:whole|entire|full) (?:data ?set|history|period)|since we started)\b", " "),
    (r"\bq([1-4])\s*[-'’]?\s*([0-9]{2})\b(?![-/.:0-9])", r"q\1 20\2"),  # "q3 11": Q3 2011
    (r"\b(?:showed up|turned up|appeared|featured|were included|was included)\s+(?:in|on)\b", "in"),
    (r"^\W*repeat (?:purchase|customer|buyer|order)s? rate\s*[-:–—]\s*", ""),  # a name, then what it means
    (r"\b(?:what(?:'s| is| was)? (?:the |our )?)?repeat (?:purchase|customer|buyer|order)s? rate\b",
     "what share of customers who ordered ordered more than once"),
    (r"(?<![\w-])([a-z0-9]+)\s*(?:->|→|=>)\s*", r"from \1 to "),  # "oct -> nov": from October to November
    (r"\bqty\b", "quantity"),
    (r"\bno\.\s*of\b|\bnum\.?\s+of\b|#\s*of\b", "number of"),
    (r"\b(?:best|top)[- ]?sellers?\b|\bbest[- ]selling (?:products|items|lines)\b", "top products"),
    (r"\bsellers\b", "products"),
    (r"\b(?:came|come|comes|coming) back (?:for|to make|to place) (?:a |an )?(?:second|another|2nd|repeat) (?:order|purchase)\b",
     "ordered more than once"),  # a customer coming back, not goods
    (r"\b(?:came|come|comes|coming|sent|send)\s+back(?:\s+as\s+returns?)?\b", "returned"),
    (r"\bchurn[- ]risk\s+(bands?|groups?|levels?|categor(?:y|ies))\b", r"risk \1"),
    (r"\brfm\s+(?:segment|group|class|bucket|tier|category)(s?)\b|\b(?:segment|group)s?\s+in\s+rfm\b", r"segment\1"),
    (r"\b(?:group|segment)\s+members\b|\bmembers\b", "customers"),
    (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\bmon(?:day)?\s*(?:to|-|through)\s*sun(?:day)?\b", " "),
    (r"\bturn(?:ed|s)?\s+over\b", "turnover"),
    (r"\b(?:shift|shifted|shifting)\b|\b(?:went|go|gone|going)\s+out\b", "sold"),
    (r"\b(?:went|gone)\s+to\b", "sold to"),  # "how many units went to UK customers" (not "going to churn")
    (r"\b(?:big\s+)?spenders\b", "customers by revenue"),
    (r"\blifetime\s+(?:net\s+|gross\s+)?(?:spend|spending|revenue|sales)\b", "revenue"),
    (r"\bper\s+(?:buyer|client|shopper|head|purchaser)\b", "per customer"),
    (r"\bat\s+(high|medium|low)\s+risk\s+of\s+(?:churn\w*|leaving|lapsing)\b", r"\1 risk"),
    (r"\b(high|medium|low)[- ]risk\s+(?:of\s+)?churn(?:ing)?\b|\b(high|medium|low)[- ]churn[- ]risk\b", r"\1\2 risk"),
    (r"\brfm\s+(segments?)\b", r"\1"),
]
# content words of the grammar, for respelling a mistyped one ("revnue", "custmers")
_PATTERN_TEXT = " ".join([p for _, p in METRIC_PATTERNS + DIM_PATTERNS + RULES] + sorted(FUNCTION_WORDS | PROTECTED))
VOCABULARY = sorted({w for w in re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", _PATTERN_TEXT))}
                    | {"january", "february", "march", "april", "june", "july", "august", "september", "october",
                       "november", "december", "receive", "received", "cancelled", "returned", "quarter", "weekend",
                       "weekends", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                       "acquire", "acquired", "quantity"})
FILLER_PHRASES = re.compile(r"\b(in total|all together|so far|to date|of all time|on record|as a whole|break(?:s|ing)? (?:it )?down|"
                            r"breakdown|split (?:up )?by|"
                            r"how much|how many|number of|amount of|what was|what is|what were|what are|"
                            r"could you|can you|would you|tell me|show me|give me|i want|i need|i'd like|"
                            r"do we|did we|have we|does it|were there|was there|is there|are there)\b")


class NotUnderstood(Exception):
    """The question has words or a shape the engine cannot map; `filters` says what was understood."""

    def __init__(self, why: str, plan: Plan | None = None, unknown: list[str] | None = None):
        super().__init__(why)
        self.why = why
        self.plan = plan
        self.unknown = unknown or []  # the words no rule, entity or glossary term took


def _num(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]


def ascii_digits(text: str) -> str:
    """Digits of any script (Arabic-Indic, Devanagari...) as ASCII, so `int()` and `[0-9]` agree."""
    if text.isascii():
        return text
    import unicodedata

    return "".join(str(unicodedata.digit(ch)) if ch.isdigit() and not ch.isascii() else ch for ch in text)


@dataclass
class Slots:
    period: Period | None
    periods: list[Period]
    mentions: list[Mention]
    ids: list[str]
    metric: str | None
    n: int | None
    dims: list[str]
    text: str                                   # lower-case, periods and ids blanked
    exclude: dict[str, list[str]] = field(default_factory=dict)
    orders_condition: list | None = None
    product_codes: list[str] = field(default_factory=list)
    words: dict[str, str] = field(default_factory=dict)
    question: str = ""                          # as typed (case tells "At Risk", the segment, from "at risk")
    group_condition: list | None = None
    customer_conditions: list = field(default_factory=list)  # [column, op, value]: on each customer's own figure


class Parser:
    def __init__(self, gaz: Gazetteer, glossary: dict[str, str], as_of: date | None,
                 classify: Callable[[str], Any] | None = None):
        self.gaz = gaz
        self.glossary = glossary
        self.as_of = as_of
        self.classify = classify  # nearest example phrasing, when no rule fires (None: rules only)

    # ------------------------------------------------------------------ slots
    def slots(self, q: str) -> Slots:
        low = q.lower()
        period, spans, periods = parse_period(low, self.as_of)
        masked = list(low)
        for a, b in spans:
            masked[a:b] = " " * (b - a)
        text = "".join(masked)
        words: dict[str, str] = {}
        for a, b in spans:
            for w in normalise(low[a:b]).split():
                words[w] = f"period {period.label if period else ''}".strip()
        customer_conditions = []
        if period is not None and len(spans) == 1:  # "last purchase before June 2011": the period bounds last orders
            for pattern, how in LAST_ORDER_CONDITIONS:
                m = re.search(pattern, text[:spans[0][0]])
                if m and how == "none in":  # "no purchase in Q3" is not "last purchase before Q3" when Q3 is over
                    if self.as_of is None or period.end <= self.as_of:
                        continue
                    how = "before"
                if m:
                    customer_conditions += {
                        "before": [["last_order_at", "<", period.start.isoformat()]],
                        "after": [["last_order_at", ">=", period.end.isoformat()]],
                        "since": [["last_order_at", ">=", period.start.isoformat()]],
                        "in": [["last_order_at", ">=", period.start.isoformat()],
                               ["last_order_at", "<", period.end.isoformat()]]}[how]
                    for w in normalise(m.group(0) + " " + low[spans[0][0]:spans[0][1]]).split():
                        words[w] = f"customers whose last order is {how} {period.label}"
                    text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
                    period, periods = None, []
                    break
        ids, codes = [], []
        for token in self.gaz.customer_ids(q):
            before = text[:max(0, text.find(token.lower()))]
            if token.lower() in self.gaz.product_codes and (
                    re.search(r"\b(code|stock ?code|sku|item|product|article)\s*$", before)
                    or not self.gaz.could_be_customer(token)):
                codes.append(self._code_as_spelled(token, q))
                words[token.lower()] = f"product code {token.upper()}"
            else:
                ids.append(token.upper() if token[:1].isalpha() else token)
                words[token.lower()] = f"customer {ids[-1]}"
            text = text.replace(token.lower(), " ")
        group_condition, group_dim = None, None
        m = re.search(GROUP_CONDITION, text)
        if m:  # "countries with at least 50 orders": a condition on each ranked group, not on customers
            op = {"at least": ">=", "a minimum of": ">=", "more than": ">", "over": ">", "fewer than": "<",
                  "less than": "<", "under": "<", "at most": "<="}[m.group(2)]
            group_condition = [op, _num(m.group(3))]
            group_dim = next((d for d, pattern in DIM_PATTERNS if re.search(pattern, m.group(1))), None)
            # blank only the condition: the words between the group and it ("countries by aov with at least 100
            # orders") still name the measure
            start = m.start() + [c.start() for c in re.finditer(r"\b(with|having|that have|that had|which have)\b",
                                                                  m.group(0))][-1]
            for w in normalise(text[start:m.end()]).split():
                words[w] = f"groups with {op} {group_condition[1]} orders"
            text = text[:start] + " " * (m.end() - start) + text[m.end():]
        orders_condition = None
        for pattern, make in ORDER_CONDITIONS:
            m = re.search(pattern, text)
            if m:
                orders_condition = make(m)
                for w in normalise(m.group(0)).split():
                    words[w] = f"customers with {orders_condition[0]} {orders_condition[1]} orders"
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
                break
        for column, pattern in CUSTOMER_CONDITIONS:
            m = re.search(pattern, text)
            if m:
                value = float(m.group(2).replace(",", ""))
                if column == "churn_probability" and (m.group(3) or value > 1):
                    value /= 100  # "80%", "above 80": a probability
                if column == "lifetime_revenue" and period is not None and not (m.group(3) or "").strip():
                    column = "period_revenue"  # "spent more than 500 in 2011": their spend in the period
                customer_conditions.append([column, CONDITION_OPS[m.group(1)], value])
                for w in normalise(m.group(0)).split():
                    words[w] = f"customers whose {column.replace('_', ' ')} {CONDITION_OPS[m.group(1)]} {value:g}"
                text = text[:m.start()] + " " * (m.end() - m.start()) + text[m.end():]
        mentions = [m for m in self.gaz.find(text)  # "us" is the USA only when written "US"
                    if not (m.text in ("us", "u s") and not re.search(r"\bU\.?\s?S\b", q))]
        for code in re.findall(r"\b[0-9]{4,6}[a-z]{0,2}\b|\b[a-z]{1,4}[0-9]{2,6}[a-z]?\b|(?<=code )[a-z]{1,12}\b", text):
            named = re.search(rf"\b(code|stock ?code|sku|item|product|article)\s+{code}\b", text)
            if code in self.gaz.product_codes and (named or re.search(r"[0-9][a-z]|[a-z][0-9]", code)):  # 85123A alone too
                codes.append(self._code_as_spelled(code, q))
                words[code] = f"product code {codes[-1]}"
                text = re.sub(rf"\b{code}\b", " ", text)
        metric = None
        for name, pattern in METRIC_PATTERNS:
            if re.search(pattern, text):
                metric = name
                break
        of_new = re.search(FROM_NEW_CUSTOMERS, text)
        if of_new:  # "revenue from new customers": the measure is revenue, of the period's new customers
            metric = ("orders" if of_new.group(1) == "orders" else "quantity" if of_new.group(1) in ("units", "quantity")
                      else "revenue")
        if metric == "revenue" and not re.search(REVENUE_NOUNS, text):  # "which weekday brings in the most orders"
            metric = next((alt for alt in ("orders", "customers", "quantity")
                           if re.search(dict(METRIC_PATTERNS)[alt], text)), metric)
        if metric == "revenue" and re.search(r"\bhow many\b", text) and (codes or any(m.kind == "product" for m in mentions)) \
                and not re.search(r"revenue|sales|turnover|takings|spend|spent|money|income|earn", text):
            metric = "quantity"  # "how many JUMBO BAG RED RETROSPOT did we sell": units
        n = None
        m = TOP_N.search(text)
        if m:
            tok = m.group(1) or m.group(2) or m.group(3)
            n = _num(tok)
            words[tok] = f"N = {n}"
        dims = [d for d, pattern in DIM_PATTERNS if re.search(pattern, text)]
        if group_dim and group_dim not in dims:  # "among countries with at least 100 orders, which ..."
            dims.insert(0, group_dim)
        if "day" in dims and ("weekday" in dims or "hour" in dims):  # "day of the week", "hour of the day"
            dims.remove("day")
        exclude = self._exclusions(text, mentions)
        return Slots(period, periods, mentions, ids, metric, n, dims, text, exclude, orders_condition, codes, words, q,
                     group_condition, customer_conditions)

    def _code_as_spelled(self, code: str, q: str) -> str:
        """The data's spelling of a product code: the question's own case when the data has it."""
        spellings = self.gaz.product_codes[code.lower()]
        typed = re.search(re.escape(code), q, re.IGNORECASE)
        return typed.group(0) if typed and typed.group(0) in spellings else spellings[0]

    @staticmethod
    def _exclusions(text: str, mentions: list[Mention]) -> dict[str, list[str]]:
        """Mentions right after "excluding", "other than", "outside"... (lists joined by and/or/nor)."""
        tokens = normalise(text).split()
        out: dict[str, list[str]] = {}
        starts = {m.start: m for m in mentions}
        norm = " ".join(tokens)
        for hit in EXCLUDE.finditer(norm):
            i = len(norm[:hit.end()].split())
            while i < len(tokens):
                if tokens[i] in ("the", "and", "or", "nor", "also", "both"):
                    i += 1
                    continue
                mention = starts.get(i)
                if mention is None:
                    break
                mention.excluded = True
                out.setdefault(mention.kind, []).append(mention.value)
                i = mention.end
        return out

    def filters(self, slots: Slots) -> tuple[dict, list]:
        filters: dict[str, Any] = {}
        multi: dict[str, list] = {}
        low = slots.text
        for m in slots.mentions:
            if m.kind == "topic" or getattr(m, "excluded", False):
                continue
            multi.setdefault(m.kind, [])
            if m.value not in multi[m.kind]:
                multi[m.kind].append(m.value)
        # "at risk" names the RFM segment only when the question says segment; otherwise the churn risk band high
        named = re.search(r"\bAt Risk\b", slots.question) or re.search(r"['\"‘“]at risk['\"’”]", low)  # typed as a name
        if "segment" in multi and multi["segment"] == ["At Risk"] and not re.search(r"\bsegment", low) \
                and self.gaz.values.get("risk_band") and not named and "risk_band" not in multi:  # a band named too:
            # "at risk customers that are also high churn risk" names the segment
            multi["segment"].remove("At Risk")
            if not multi["segment"]:
                del multi["segment"]
            multi.setdefault("risk_band", ["high"] if "high" in self.gaz.values["risk_band"] else [])
        if re.search(r"\b(likely to (churn|leave)|risky)\b", low) and "risk_band" not in multi \
                and "high" in self.gaz.values.get("risk_band", []):
            multi["risk_band"] = ["high"]
        for kind, vals in multi.items():
            if vals:
                filters[kind] = vals[0]
        if slots.product_codes:
            filters["product_code"] = slots.product_codes[0]
        if slots.customer_conditions:
            filters["customer_condition"] = slots.customer_conditions
        if re.search(RFM_SCORED, low):
            filters["rfm_scored"] = True
        elif re.search(SCORED_WORDS, low):
            filters["scored"] = True
        if re.search(FROM_NEW_CUSTOMERS, low):
            filters["new_in_period"] = True
        if re.search(ANONYMOUS, low):
            filters["anonymous"] = True
        days = _weekdays(low)
        if days:
            filters["weekday"] = days
        value = re.search(ORDER_VALUE, low)
        if value:
            op = "<" if value.group(1) in ("under", "below", "less than") else ">"
            filters["order_value"] = [op, float(value.group(2).replace(",", "") + "." + (value.group(3) or "0"))]
        if re.search(NOT_CHURN_WORDS, low):
            filters["churned"] = False
        elif re.search(CHURN_WORDS, low) and "segment" not in multi:
            filters["churned"] = True
        return filters, [[k, v] for k, v in multi.items() if len(v) >= 2]

    # ------------------------------------------------------------------ the plan
    def parse(self, q: str, previous: Plan | None = None) -> Plan:
        """The plan of a question; paraphrases are rewritten first, and a mistyped grammar word is respelled once
        (the words of the card say so) before the parser gives up on it."""
        said = self._country_codes(_rewrite(q))
        try:
            plan = self._parse(said, previous)
        except NotUnderstood as err:
            fixes = respell(err.unknown)
            if not fixes:
                raise
            try:
                plan = self._parse(_replace_words(said, fixes), previous)
            except NotUnderstood:
                raise err from None
            plan.confidence = round(float(plan.confidence or 0.9) * 0.9, 3)
            plan.words = {**plan.words, **{typed: f"read as '{word}'" for typed, word in fixes.items()}}
        if not plan.follow_up:
            plan.question = q
        return plan

    def _country_codes(self, q: str) -> str:
        countries = set(self.gaz.values.get("country", []))

        def name(m: re.Match) -> str:
            code = m.group(0)
            country = COUNTRY_CODES.get(code)
            if country == "EIRE" and country not in countries:
                country = "Ireland"
            if country == "USA" and country not in countries:
                country = "United States"
            return country if country in countries and code not in ("US", "UK") else code

        return re.sub(r"\b[A-Z]{2}\b", name, q)

    def _parse(self, q: str, previous: Plan | None = None) -> Plan:
        low = q.lower()
        definition = self.definition(low)
        if definition:
            return Plan("define", question=q, text=low, term=definition[0], definition=definition[1], confidence=0.95,
                        words={w: f"glossary term {definition[0]}" for w in normalise(low).split()})
        slots = self.slots(q)
        filters, pairs = self.filters(slots)
        how, confidence = "rule", 0.9
        scores = [m.score for m in slots.mentions]
        if scores:
            confidence *= min(scores) / 100
        intent = rule_intent(slots.text)
        one_figure = (intent in ("count", "sum", "average", None) and len(slots.ids) == 1
                      and slots.metric not in (None, "customers")
                      and not re.search(r"\b(about|profile|who is|show|details|tell)\b", low))
        if one_figure and intent is None:  # "churn probability of customer 12347"
            intent = "average" if slots.metric in MEAN_METRICS else "sum"
        if one_figure:  # "how many orders has customer 17850 placed": that customer's figure, not the profile card
            filters["customer"] = slots.ids[0]
        elif slots.ids and intent not in ("why_risk",):
            intent = "profile" if intent in (None, "count", "sum", "define") or re.search(
                r"\b(about|profile|who is|show|details|tell)\b", low) else intent
        if intent == "why_risk" and not slots.ids:
            if not re.search(r"\bwhich\b", low):
                raise NotUnderstood("a 'why' question needs a customer id, e.g. 'why is customer C0000057 at risk'",
                                    self._partial(q, slots, filters))
            intent = "top"
        is_follow = previous is not None and (FOLLOW_UP.match(q) is not None or (
            intent is None and slots.metric is None and (slots.mentions or slots.period or slots.n)))
        if is_follow and (FOLLOW_UP.match(q) or intent is None) and intent not in ("define", "profile", "why_risk",
                                                                                   "feedback"):
            plan = self.follow_up(previous, slots, filters, low)
            if intent in ("top", "bottom", "trend", "share", "average") and intent != plan.intent:
                plan.intent = intent
            plan.words = self.account(q, slots, plan.intent)
            return plan
        if intent != "feedback":
            self.account(q, slots, intent)  # raises NotUnderstood naming the words left over
        if intent is None and (slots.metric or filters or slots.orders_condition) and \
                not re.search(r"\b(weather|joke|poem|translate)\b", low):
            intent = "count" if slots.metric in (None, "customers") else "sum"
            confidence *= 0.8
        if intent is None:
            if self.classify is None:
                raise NotUnderstood("no rule matched", self._partial(q, slots, filters))
            guess = self.classify(q)
            if guess.intent == "unknown" or guess.confidence < MIN_SIMILARITY:
                raise NotUnderstood(f"closest known question was '{guess.example}' ({guess.confidence:.2f})",
                                    self._partial(q, slots, filters))
            intent, how, confidence = guess.intent, "nearest example", guess.confidence * confidence / 0.9
            if intent in ("count", "sum", "average", "top", "bottom", "share", "compare", "trend") \
                    and not (slots.metric or filters or slots.period):
                raise NotUnderstood(f"it sounds like a '{intent}' question but I found no measure or filter in it",
                                    self._partial(q, slots, filters))
        if (intent in ("count", "sum", "average") or intent == "share" and re.search(r"\bor\b", low)) and pairs \
                and not slots.orders_condition:  # "Swiss or Norwegian revenue", "% of customers in Lost or Hibernating"
            kind, values = pairs[0]
            filters[kind], pairs = list(values), []
        if intent == "compare" and pairs and re.search(r"\beither\b", low):  # "either Hibernating or Lost": both
            kind, values = pairs[0]
            filters[kind], pairs = list(values), []
            intent = "count" if slots.metric in (None, "customers") else "sum"
        if intent in ("sum", "count") and slots.metric in BUYER_MEASURES and re.search(r"\bper customer\b", slots.text):
            intent = "average"  # "revenue per buyer in Australia"
        if re.match(r"^\s*(how many|number of|count of|count the)\s+(different |distinct |unique )?(customers|clients|buyers|"
                    r"shoppers|people)\b", low) and slots.metric not in COUNTS_OF_CUSTOMERS and not slots.ids:
            raise NotUnderstood(f"a count of customers by their {slots.metric.replace('_', ' ')} is not something I can "
                                "work out; I count customers by country, segment, risk band, product, period or number "
                                "of orders", self._partial(q, slots, filters))
        if slots.metric in ("largest_order", "median_order_value") and intent in ("top", "bottom", "average", "count", None):
            intent = "sum"  # one figure over the orders, not a ranking
        if intent == "trend" and len(slots.periods) == 2:  # "how did orders change between Q2 and Q3": two periods
            intent = "compare"
        growth = bool(re.search(GROWTH, low)) or bool(re.search(r"\bgrowth\b", low) and (
            len(slots.periods) == 2 or (len(slots.periods) == 1 and re.search(r"\bfrom\b", low))))
        # "change in active customers from October to November": the difference between the two
        change = not growth and bool(re.search(r"\b(change|difference)\b", low)) and 1 <= len(slots.periods) <= 2
        if (growth or change) and intent in ("trend", "compare", "share", "sum", "count", None):
            two = slots.periods
            if len(two) == 1 and re.search(r"\bfrom\b", low) and two[0].grain == "range":  # "from October to November"
                first = two[0]
                months = [Period(first.start, _next_month(first.start), f"{first.start:%Y-%m}", "month"),
                          Period(_prev_month(first.end), first.end, f"{_prev_month(first.end):%Y-%m}", "month")]
                two = months if months[0].start != months[1].start else two
            if len(two) == 2:
                intent, slots.periods = "compare", two
            else:
                growth = False
        both_periods = bool(intent == "count" and len(slots.periods) == 2 and re.search(r"\bboth\b", low)
                            and slots.metric in (None, "customers"))
        if intent in ("count", "sum", "average") and len(slots.periods) == 2 and not both_periods:
            a, b = slots.periods
            if a.start < b.end and b.start < a.end:  # "year-to-date sales 2011": the narrower of nested periods
                narrow = min((a, b), key=lambda p: p.end - p.start)
                slots.period, slots.periods = narrow, [narrow]
            elif not (a.end == b.start and re.search(r"\band\b", low)):
                intent = "compare"  # "how many more new customers in October than in September": both periods
        if intent in ("count", "sum", "average") and len(slots.periods) == 2 and not both_periods and \
                slots.periods[0].end == slots.periods[1].start and re.search(r"\band\b", low):
            first, second = slots.periods  # "in October and November 2011": both months
            slots.period = Period(first.start, second.end, f"{first.label} and {second.label}", "range")
            slots.periods = [slots.period]
        plan = Plan(intent, question=q, text=slots.text, metric=slots.metric, filters=filters, exclude=slots.exclude,
                    orders_condition=slots.orders_condition, group_condition=slots.group_condition, growth=growth,
                    both_periods=both_periods, base_kinds=_share_base(slots, filters) if intent == "share" else [],
                    period=slots.period.to_dict() if slots.period else None,
                    periods=[p.to_dict() for p in slots.periods], n=slots.n, dims=slots.dims, pairs=pairs,
                    ids=slots.ids, how=how, confidence=round(confidence, 3),
                    grain=_grain(slots.text))
        plan.words = self.account(q, slots, intent) if intent != "feedback" else {
            w: "search words" for w in normalise(low).split()}
        return self.cap(plan)

    @staticmethod
    def cap(plan: Plan) -> Plan:
        if plan.n is not None and plan.n > MAX_ROWS:
            plan.n, plan.n_capped = MAX_ROWS, True
        return plan

    def _partial(self, q: str, slots: Slots, filters: dict) -> Plan:
        return Plan("unknown", question=q, text=slots.text, metric=slots.metric, filters=filters,
                    exclude=slots.exclude, orders_condition=slots.orders_condition,
                    period=slots.period.to_dict() if slots.period else None)

    # ------------------------------------------------------------------ every word accounted for
    def account(self, q: str, slots: Slots, intent: str | None) -> dict[str, str]:
        """word -> what it became; raises NotUnderstood when a content word maps to nothing."""
        text = slots.text
        norm_tokens = normalise(text).split()
        label: dict[int, str] = {}
        for m in slots.mentions:
            for i in range(m.start, m.end):
                label[i] = (f"not {m.kind} = {m.value}" if getattr(m, "excluded", False)
                            else f"{m.kind} = {m.value}")
        norm = " ".join(norm_tokens)
        starts = _token_starts(norm)

        def cover(pattern: str, what: str) -> None:
            for hit in re.finditer(pattern, norm):
                for i, s in enumerate(starts):
                    if hit.start() <= s < hit.end() and i not in label:
                        label[i] = what

        chosen = dict(METRIC_PATTERNS).get(slots.metric)
        if chosen:
            cover(chosen, f"measure {slots.metric}")
        for name, pattern in METRIC_PATTERNS:
            cover(pattern, f"measure words ({name})")
        for name, pattern in DIM_PATTERNS:
            cover(pattern, f"by {name}")
        for name, pattern in RULES:
            cover(pattern, f"question {name}")
        cover(EXCLUDE.pattern, "excluding")
        cover(ANONYMOUS, "orders without a customer id")
        cover(RFM_SCORED + "|" + SCORED_WORDS, "customers with a score")
        cover(WEEKDAY_FILTER, "placed on these weekdays")
        cover(ORDER_VALUE_WORDS, "orders by their value")
        cover(FROM_NEW_CUSTOMERS, "of the period's new customers")
        if re.search(GROWTH, norm) or re.search(r"\b(growth|change|difference)\b", norm):
            cover(GROWTH_WORDS, "change between the periods")
        cover(r"\b(recorded|logged|registered|booked)\b", "function words")
        cover(r"\bboth\b", "each of the periods")
        cover(CHURN_WORDS + "|" + NOT_CHURN_WORDS + "|" + RISK_WORDS, "churn status")
        cover(r"\b(in terms of|often|frequently)\b", "function words")
        cover(r"\b(new|first|acquired|joined|order|ordered|ordering|buy|buys|buying|bought|purchase|purchased|"
              r"receive|received|get|got|take|took|taken|contain|contains|contained|containing|include|includes|included|"
              r"purchasing|shop|shopped|shopping|place|places|placing|placed|made|completed|sell|sells|sold|spend|spent|"
              r"appear|appears|appeared|feature|features|featured)\b", "orders")
        if slots.metric == "new_customers":
            cover(r"\b(win|won|gain|gained|attract|attracted|acquire|acquiring|sign up|signed up|get|got)\b", "acquired")
        cover(r"\b(all time|overall|ever|whole period|everyone|everywhere|all customers|all countries)\b", "all")
        cover(r"\b(per customer|by customer|each customer|customer)\b", "per customer")
        cover(FILLER_PHRASES.pattern, "function words")
        cover(FOLLOW_UP.pattern, "follow-up")
        cover(r"\b(20 ?%|20 percent|top 20)\b", "top 20%")
        cover(TOP_N.pattern, "top N")
        cover(r"\b(stock ?codes?|codes?|skus?|item numbers?|product codes?)\b", "product code")
        cover(r"\b(more|less|fewer|higher|lower|bigger|smaller|larger|greater)\b", "comparison")
        cover(r"\b(come|comes|coming|came|contribute\w*|account for|accounts for|represent\w*)\b", "share of")
        cover(r"\b(day|days|date|dates|daily|period|periods|time|year|years|yearly|annual|annually|quarter|quarters|"
              r"quarterly|month|months|monthly|week|weeks|weekly)\b", "time grouping")
        words = dict(slots.words)
        left = []
        for i, tok in enumerate(norm_tokens):
            if i in label:
                words[tok] = label[i]
            elif tok in FUNCTION_WORDS or (tok.endswith("s") and tok[:-1] in FUNCTION_WORDS):
                words.setdefault(tok, "function word")
            elif tok in self.glossary:
                words[tok] = f"glossary term {tok}"
            else:
                left.append(tok)
        if left:
            partial = self._partial(q, slots, self.filters(slots)[0])
            partial.words = words
            raise NotUnderstood("I do not know what " + ", ".join(repr(w) for w in dict.fromkeys(left))
                                + " means here, so I did not answer a broader question", partial, left)
        return words

    # ------------------------------------------------------------------ follow-ups and definitions
    def follow_up(self, prev: Plan, slots: Slots, filters: dict, low: str) -> Plan:
        plan = Plan.from_dict(prev.to_dict())
        plan.question, plan.follow_up = low, True
        for kind, value in filters.items():
            if kind == "city":
                plan.filters.pop("country", None)
            if kind == "country":
                plan.filters.pop("city", None)
            plan.filters[kind] = value
        for kind, values in slots.exclude.items():
            plan.exclude[kind] = values
        if slots.orders_condition:
            plan.orders_condition = slots.orders_condition
        if plan.intent == "compare" and plan.pairs:
            plan.pairs = [] if filters else plan.pairs
            if filters:
                plan.intent = "sum" if plan.metric not in (None, "customers") else "count"
        if slots.period:
            plan.period = slots.period.to_dict()
            plan.periods = [p.to_dict() for p in slots.periods]
        if slots.metric and slots.metric != "customers":
            plan.metric = slots.metric
        if slots.n:
            plan.n = slots.n
        if re.search(r"\b(all time|overall|ever|whole period)\b", low):
            plan.period, plan.periods = None, []
        if re.search(r"\b(everyone|all customers|everywhere|all countries)\b", low):
            plan.filters, plan.exclude = {}, {}
        plan.confidence = round(float(prev.confidence or 0.9) * 0.95, 3)
        return self.cap(plan)

    def definition(self, low: str) -> tuple[str, str] | None:
        m = re.match(r"^\s*(?:what\s+(?:is|are|does|do)|define|definition\s+of|meaning\s+of|explain|"
                     r"how\s+(?:is|are)|what\s+(?:is|are)\s+meant\s+by)\s+(?:an?\s+|the\s+)?(.+?)\s*"
                     r"(?:mean|means|stand for|defined|calculated|computed)?\s*\??\s*$", low)
        if not m:
            return None
        term = normalise(m.group(1))
        term = re.sub(r"^(a|an|the)\s+", "", term)
        candidates = [term, re.sub(r"\s+(segment|band|customers?|score|metric)$", "", term),
                      re.sub(r"s$", "", term), re.sub(r"^(rfm|churn)\s+", "", term)]
        for c in candidates:
            if c in self.glossary:
                return c, self.glossary[c]
        from rapidfuzz import fuzz, process

        hit = process.extractOne(term, list(self.glossary), scorer=fuzz.ratio, score_cutoff=88)
        if hit:
            return hit[0], self.glossary[hit[0]]
        return None


def _share_base(slots: Slots, filters: dict) -> list[str]:
    """The filters named before "are/is" in "what fraction of Champions are high risk": they make the whole."""
    verb = re.search(r"\b(fraction|share|proportion|percent\w*|%)\s+of\b.*?\b(are|is|were|was|have|has)\b", slots.text)
    # or named first: "of our champions, what share have a high churn risk"
    lead = re.search(r"^\W*(?:among|of|for|within|out of)\b.*?\b(what|how)\b.*?(fraction|share|proportion|percent|%)",
                     slots.text)
    if not (verb or lead) or len(filters) < 2:
        return []
    cut = len(normalise(slots.text[:verb.start(2) if verb else lead.start(1)]).split())
    return [m.kind for m in slots.mentions if m.end <= cut and m.kind in filters]


def _next_month(d: date) -> date:
    return date(d.year + d.month // 12, d.month % 12 + 1, 1)


def _prev_month(end: date) -> date:
    """The first day of the month before `end` (an exclusive month boundary)."""
    return date(end.year - (end.month == 1), (end.month - 2) % 12 + 1, 1)


def _weekdays(text: str) -> list[str]:
    out = []
    for m in re.finditer(WEEKDAY_FILTER, text):
        out += [m.group(1).capitalize()] if m.group(1) else ["Saturday", "Sunday"]
    return list(dict.fromkeys(out))


def _rewrite(q: str) -> str:
    for pattern, replacement in REWRITES:
        q = re.sub(pattern, replacement, q, flags=re.IGNORECASE)
    return q


def respell(words: list[str]) -> dict[str, str]:
    """typed word -> the one grammar word within one edit (two from 9 letters), same first letter; words under 5
    letters and words with two equally near candidates are left alone."""
    from rapidfuzz.distance import OSA

    fixes = {}
    for word in dict.fromkeys(words):
        if len(word) < 5 or not word.isalpha():
            continue
        limit = 1 if len(word) < 9 else 2
        near = [(OSA.distance(word, v), v) for v in VOCABULARY if v[0] == word[0] and abs(len(v) - len(word)) <= limit]
        near = sorted((d, v) for d, v in near if 0 < d <= limit)
        if near and (len(near) == 1 or near[0][0] < near[1][0]):
            fixes[word] = near[0][1]
    return fixes


def _replace_words(q: str, fixes: dict[str, str]) -> str:
    for typed, word in fixes.items():
        q = re.sub(rf"\b{re.escape(typed)}\b", word, q, flags=re.IGNORECASE)
    return q


def _grain(text: str) -> str:
    for grain, pattern in (("day", r"\b(daily|by day|per day|each day|day by day)\b"), ("week", r"\bweek"),
                           ("quarter", r"\bquarter(ly|s)?\b(?!\s*[1-4])"), ("year", r"\b(yearly|annual\w*|by year|per year|"
                                                                           r"each year|year by year)\b")):
        if re.search(pattern, text):
            return grain
    return "month"


def _token_starts(norm: str) -> list[int]:
    out, pos = [], 0
    for tok in norm.split(" "):
        out.append(pos)
        pos += len(tok) + 1
    return out
