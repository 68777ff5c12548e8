"""The words `cip ask` knows, as patterns: measures, groupings, conditions, paraphrases and function words.

The parser (`parser.py`) applies them; keeping them apart keeps the parser's logic short and the vocabulary in
one place to extend. Every pattern is matched against the lower-cased question.
"""

from __future__ import annotations

import re
from typing import Callable

from cip_assets.qa.dates import MONTH_NAMES
from cip_assets.qa.gazetteer import PROTECTED
from cip_assets.qa.intents import RULES

# "by what % did revenue grow from October to November": the change between two periods
GROWTH = (r"\b(grow|grew|grown|growth|increase[sd]?|decrease[sd]?|decline[sd]?|drop(ped)?|fell|fall|rise|rose|"
          r"change[sd]?|move[sd]?|movement|swing)\b.*(\bby what|\bby how much|\bwhat %|\bwhat percent|\bhow many percent|\bpercentage|%|\bin percent)|"
          r"(\bby what|\bby how much|\bwhat %|\bwhat percent|\bhow many percent|\bpercentage|%).*\b(grow|grew|grown|growth|"
          r"increase|decrease|decline|drop|fall|fell|rise|rose|change|move|moved|swing)|"
          r"\bhow much (?:did|has|have|does)\b[^?]{1,60}?\b(?:grow|rise|increase|decrease|decline|drop|fall)\b")  # as "by how much"
GROWTH_WORDS = (r"\b(grow|grew|grown|growth|increase[sd]?|decrease[sd]?|decline[sd]?|drop(ped)?|fell|fall|rise|rose|"
                r"change[sd]?|move[sd]?|movement|swing|by what|by how much|how many percent|what percent|percentage|percent|"
                r"in percent|difference|"
                r"minus)\b")
# one period against the one before it ("mom", "vs the previous month") or the same one a year earlier ("yoy")
PRIOR_PERIOD = (r"\b(?:(m-?o-?m|m/m|month[- ](?:on|over)[- ]month)|(q-?o-?q|q/q|quarter[- ](?:on|over)[- ]quarter)|"
                r"(w-?o-?w|w/w|week[- ](?:on|over)[- ]week)|(d-?o-?d|d/d|day[- ](?:on|over)[- ]day)|"
                r"(y-?o-?y|y/y|year[- ](?:on|over)[- ]year|(?:vs\.?|versus|against|compared (?:to|with)|over|from)\s+(?:the\s+)?"
                r"same (?:month|quarter|week|day|period|time) (?:last|a|the previous|the prior) year)|"
                r"(?:vs\.?|versus|against|compared (?:to|with)|over|from)\s+(?:the\s+)?(?:previous|prior|preceding) "
                r"(month|quarter|week|day|year|period)|((?:than|vs\.?|versus|against|compared (?:to|with)) (?:in )?the (?:\d+|same number of) "
                r"(?:days|weeks|months) before(?: (?:that|it|then))?))(?!\w)")
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
    ("trading_days", r"\b(?:how many|number of|count of|count the)\s+(?:trading|selling|business)\s+days\b|"
                     r"^\W*(?:trading|selling|business)\s+days\b"),
    ("median_order_value", r"\bmedian\b(?!\s+(?:number|count|no\.?)\s+of\b)(?:(?!\blifetime\b).){0,20}\b(order|basket|"
                           r"transaction|invoice)s?\b(?!\s+(?:per|a|each)\s+(?:customer|client|buyer|account|shopper))|"
                           r"\b(order|basket) (value|size)s?\b.{0,12}\bmedian\b"),
    ("largest_order", r"\b(biggest|largest|highest|maximum|max|single largest|single biggest)\s+(single\s+)?(order|basket|"
                      r"transaction|invoice)( value| total| amount)?\b"),
    ("lines_per_order", r"\b(order )?lines per (order|basket|invoice|transaction)\b|\b(basket|order) size in lines\b"),
    ("revenue_per_unit", r"\b(revenue|sales|turnover|takings|money) (per|a|each) (unit|item|piece)( sold)?\b|"
                         r"\b(average|avg|mean|typical) (selling |sale |sold |realised |realized |net |unit )?price"
                         r"( (per|a|each) (unit|item|piece))?( sold)?\b|"
                         r"\bprice (per|a|each) (unit|item|piece) sold\b"),
    ("units_per_order", r"\b(basket|order) size in (units|items|pieces)\b|\b(units|items|pieces)(?: sold| bought)? per (order|"
                        r"basket|invoice|transaction)\b"),
    ("aov", r"average order value|\baov\b|order value|basket value|basket size|average basket|\baverage order\b(?!s)|"
            r"\b(typical|usual|normal|average) (order|basket|transaction)\b(?!s)[^?.]{0,12}?\bworth\b|"
            r"\b(order|basket|transaction) (is |was )?(typically |usually |normally |on average )worth\b|"
            r"\b(spend|spending|spent|revenue|sales|value|takings)\s+(per|an|a|each)\s+(order|basket|transaction|invoice)\b"),
    ("cancelled_per_completed", r"\bcancell?ed orders,?\s+(?:as\s+an?\s+(?:%|percent(?:age)?|share|proportion|ratio)\s+)?"
                                r"(?:of|over|to|against|per|relative to|divided by)\s+(?:the\s+|all\s+)?(?:completed|successful|"
                                r"fulfilled)\s+(?:ones|orders?)\b"),
    ("cancellation_rate", r"cancell?ation rate|cancel rate"),
    ("return_rate", r"return rate|returns rate"),
    ("gross_revenue", r"\bgross (revenue|sales|turnover)\b|\b(revenue|sales|turnover|takings)\b.{0,40}\b(before|not counting|"
                      r"excluding|without|ignoring|disregarding) (the )?returns\b"),
    ("products", r"\b(how many|number of|count of|count the)\s+(different|distinct|unique|separate)\s+(?:(?:proper|real|"
                 r"genuine|physical)\s+)?(products|items|skus|articles|stock codes|product codes)\b|\b(how many|number of|count of|"
                 r"count the)\s+(?:(?:proper|real|genuine|physical)\s+)?(products|skus|articles|stock codes|product codes)\b"),
    ("countries", r"\b(how many|number of|count of|count the)\s+(different\s+|distinct\s+)?(?:non-?\s?uk\s+|foreign\s+|"
                  r"overseas\s+)?(countries|markets)\b|"
                  r"\bnumber of (different |distinct )?(countries|markets)\b"),
    ("cancelled_units", r"\bcancel(?:led|ed|s)?\s+(?:the\s+)?(?:most|fewest|least|more|fewer)\s+(?:units|items|pieces)\b"),
    ("cancelling_customers", r"\b(how many|number of|count of|count the)\s+(different\s+|distinct\s+|separate\s+|unique\s+|"
                             r"individual\s+)?(customers|clients|"
                             r"buyers|shoppers)\b[^?.]{0,30}?\bcancell?ed\b"),
    ("cancelled_revenue", r"\b(value|revenue|amount|worth|sales|money) (of|from|in) (the )?cancell?(ed|ations?)\b|"
                          r"\bcancel(?:l?ations?)? value\b|\bcancell?ed\b[^?.]{0,20}?\b(?:in|by|as a) value\b|"
                          r"\bcancell?(ed|ations?)\b[^?.]{0,40}?\bin money\b|"
                          r"\b(value|revenue|amount|worth|money)\b[^?.]{0,12}?\b(got|was|were|been|gets|is) cancell?ed\b|"
                          r"\bcancell?ed (revenue|value|amount|sales)\b|\bhow much (money |revenue |value )?(was |were |got |has been |"
                          r"have been )?cancell?ed\b|[£$€] ?(was |were |got |worth (of )?(orders |sales )?)?cancell?ed\b"),
    ("cancelled_units", r"\b(units|quantit(y|ies)|items|pieces)\s+(\w+\s+){0,3}?(on|in|of)\s+(the\s+)?cancell?ed\s+(order\s+)?(lines|orders|invoices)\b|"
                        r"\bhow many (units|items|pieces)\b[^?.]{0,40}?\bcancel(led|s)?\b|"
                        r"\bcancell?ed (units|quantit(y|ies)|items|pieces)\b|\b(units|quantit(y|ies)) cancell?ed\b|\b(units|items|pieces) (were |was |got |been )*"
                        r"cancell?ed\b|\b(units|items|pieces)\b[^?.]{0,60}?\b(were|was|got|been|get|are) cancell?ed\b"),
    ("cancelled_lines", r"\bcancell?ed (order )?lines\b|\bcancell?ed items\b|\b(order )?lines (were |was |got |been |are |is )*"
                        r"cancell?ed\b"),
    ("cancelled_orders", r"\bcancell?ed\b|\bcancell?ations?\b|\bcancel\b"),
    ("orders_with_returns", r"\b(how many|number of|count of)\s+(orders?|invoices?|baskets?|transactions?)\b[^?.]{0,20}?"
                            r"\b(with|contain\w*|includ\w*|had|having|have)\b[^?.]{0,12}?\breturn(s|ed)?\b|"
                            r"\b(how many|number of|count of)\s+(?:(?:orders?|invoices?|baskets?)\s+(?:were|was|got)\s+returned|"
                            r"returned\s+(?:orders?|invoices?|baskets?))\b"),  # "how many orders were returned"
    ("returned_units", r"\breturned (units|quantit(y|ies)|items|pieces)\b|\b(units|quantit(y|ies)|items|pieces) returned\b|\b(units|items|pieces) (were |was |got |been |sent )*"
                       r"(returned|sent back)\b|\b(units|items|pieces)\b[^?.]{0,60}?\b(were|was|got|been|get|are) returned\b|"
                       r"\bhow many (units|items|pieces)\b[^?.]{0,80}?\breturned\b"),
    ("returned_revenue", r"\breturned (revenue|sales|value|amount)\b|\brefund\w*|\b(value|worth|amount) of (the )?returned( goods| items| products| stock)?\b|"
                         r"\breturned goods\b"),
    ("returned_lines", r"\breturn(ed)? (order )?lines\b|\b(order )?lines (were |was |got |been )*returned\b|\breturns\b|"
                       r"\breturned\b"),
    ("order_lines", r"\b(order |line )?lines\b|\bline items\b"),  # after the cancelled, returned and per-order lines
    ("quantity", r"\bquantit(y|ies)\b|\bunits\b|\bpieces\b|(?<!order )\bvolume\b|\b(items|things) sold\b|\bhow many (items|things)\b|"
                 r"\bnumber of (items|things|pieces)\b|\b(best|top|most)[ -]?sell\w*"),
    ("churn_rate", r"churn rate|churned share|attrition"),
    ("purchase_probability", r"purchase probabilit\w*|propensity|probability (of|to) (buy|purchase)\w*|"
                             r"likel\w* to (buy|purchase)|chance of (buying|purchasing)"),
    ("churn_probability", r"churn probabilit\w*|churn score|probability (of|to) churn\w*|likelihood (of|to) churn\w*|"
                          r"chance of churn\w*"),
    ("expected_spend_90d", r"expected spend"),
    ("revenue", r"\bmonetary\b( value)?"),  # RFM's M: the customer's lifetime net revenue
    ("value_12m", r"12.?months? value|\bclv\b|\bltv\b|lifetime value|customer value|predicted value|future value|"
                  r"\bvalue\b(?<!\bsales value)(?<!\border value)(?<!\bbasket value)"),
    ("new_customers", r"\b(brand[- ])?new (customers?|buyers?|clients?|shoppers?)|acquisitions?|acquir(ed|ing)|"
                      r"\bfirst[- ]time (customers|buyers|clients|shoppers|purchasers)\b"),
    ("active_customers", r"\bactive (customers?|buyers?|clients?|shoppers?)\b|\b(customers|buyers|clients|shoppers) (were|are|was|who were|"
                         r"that were|being) active\b"),
    ("returning_customers", r"\b(returning|existing) (customers|buyers|clients|shoppers)\b"),
    ("rating", r"\bratings?\b|\bstars\b"),
    ("recency", r"\brecency\b|\bdays since\s+(?:(?:the|their|his|her|its)\s+)?last\b|\b(?:how long|how many days)\b[^?.]{0,20}?"
                r"\bsince\b[^?.]{0,30}?\blast (?:order|purchase|ordered|bought|purchased|shopped)\b"),
    ("age", r"\bage\b|\bhow old\b|\bolder\b|\byounger\b"),
    ("first_order_date", r"\b(first|earliest) (order|purchase)s? (date|day)\b|\bdate of (the |their |his |her |its )?"
                         r"(first|earliest) (order|purchase)\b|\bwhen (did|was|were)\b[^?.]{0,40}?\b(first|earliest) "
                         r"(order|ordered|buy|bought|purchase|purchased|shop|shopped)\b"),
    ("last_order_date", r"\b(last|latest|most recent) (order|purchase)s? (date|day)\b|\bdate of (the |their |his |her |its )?"
                        r"(last|latest|most recent) (order|purchase)\b|\bwhen (did|was|were)\b[^?.]{0,40}?\b(last|latest|"
                        r"most recent) (order|ordered|buy|bought|purchase|purchased|shop|shopped)\b|\bwhen did\b[^?.]{0,40}?"
                        r"\b(order|buy|purchase|shop)\b[^?.]{0,12}\blast\b"),
    ("revenue", r"revenue|\bsales\b|turnover|takings|\bspend\b|\bspent\b|\bspending\b|\bmoney\b|\bincome\b|\bsold\b|"
                r"\bearn\w*|\bsell\b|\bbring in\b|\bbrought in\b|\bbrings in\b|\bgenerat\w*|\bselling\b"),
    ("orders", r"\bhow many times\b[^?.]{0,40}?\b(ordered|bought|purchased|sold)\b|\border (volume|count|numbers)\b|\borders?\b|\bpurchases\b|\btransactions?\b|\binvoices?\b"),
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
TOP_N = re.compile(r"\b(?:top|bottom|best|worst|first|largest|biggest|smallest|highest|lowest|weakest|strongest|slowest|"
                   r"busiest|quietest)\s+" + _NUM + r"\b(?!\s*(?:%|percent|per cent|pct)(?!\w))|\b"
                   + _NUM + r"\s+(?:best|worst|top|biggest|largest|smallest|highest|lowest|most|least|busiest|slowest|"
                   r"quietest|weakest|strongest)\b|"
                   r"\b(?:which|what|the)\s+" + _NUM + r"(?![\s-]*months?[\s-]+value)\s+[a-z]")  # not "the 12 month value"

# the top share of customers by their own figure: "the top 1% of customers" (a share of people, not a count)
TOP_PERCENT = re.compile(r"\b(?:top|biggest|largest|best|highest[- ]spending)\s+([0-9]+(?:\.[0-9]+)?)\s*(?:%|percent|per cent|pct)"
                         r"(?!\w)\s+(?:of\s+)?(?:our\s+|the\s+|all\s+|my\s+)?(?:customers|clients|buyers|shoppers|accounts)\b")

EXCLUDE = re.compile(r"\b(excluding|exclude|excluded|except(?: for)?|other than|outside(?: of)?|apart from|"
                     r"aside from|not counting|leaving out|leave out|leaves out|but not|besides|not in|not from|"
                     r"ignoring|ignore|disregarding|disregard|"
                     r"leaving aside|setting aside|non)\b")
# an exclusion said after what it leaves out: "postage excluded", "the UK left out"
EXCLUDED_AFTER = re.compile(r"\b(?:excluded|left out|not included|taken out|removed|aside)\b")
# conditions on each customer's number of (completed) orders
ORDER_CONDITIONS: list[tuple[str, Callable[[re.Match], list]]] = [
    (r"\b(?:without|with no|with zero|no|zero|never)\s+(?:an?\s+)?(?:completed\s+)?(?:orders?|purchases?)\b|\bnever (?:bought|ordered|purchased)\b|"
     r"\bnever (?:completed|placed|made) (?:an?\s+|any\s+)?(?:orders?|purchases?)\b",
     lambda m: ["=", 0]),
    (r"\b(?:more than|over)\s+once\b|\brepeat (?:customers|buyers|purchasers|shoppers)\b|\b(?:bought|ordered|purchased|came back)"
     r"\s+again\b|\b(?:bought|ordered|purchased|shopped)\s+(?:at least\s+)?twice or more\b",
     lambda m: [">", 1]),
    (r"\b(?:bought|ordered|purchased|shopped|ordering|buying)\s+(?:(?:from|with|at)\s+(?:us|you|the shop|the store)\s+)?"
     r"(?:exactly\s+|only\s+|just\s+)?once\b|\bone.?(?:time|off)"
     r"\s+(?:customers|buyers|purchasers|shoppers)\b|\b(?:a single|only one|just one|exactly one) (?:order|purchase)\b|"
     r"\bonly once\b|\bexactly once\b|\bjust once\b",
     lambda m: ["=", 1]),
    (r"\b(?:placed|made|completed|have|has|had)\s+(?:an?|at least one|any)\s+(?:order|purchase)s?\b|"
     r"\b(?:bought|ordered|purchased|shopped|sold)\s+at least once\b|\b(?:have|has|had)\s+(?:bought|ordered|purchased|shopped)"
     r"(?:\s+(?:from|with)\s+us)?\s+before\b(?=\s*(?:[,;?.]|but\b|and\b|who\b|that\b|ha(?:ve|s|d)n?\b|$))", lambda m: [">=", 1]),
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
_ABOVE_BELOW = (r"(above|over|greater than|more than|higher than|at least|topped|exceeded|below|under|less than|lower than|"
                r"at most)")
CUSTOMER_CONDITIONS: list[tuple[str, str]] = [
    ("churn_probability", r"\b(?:churn probabilit(?:y|ies)|churn scores?|probability of churn(?:ing)?|churn risk score)\s+"
                          r"(?:is\s+|was\s+|of\s+)?" + _ABOVE_BELOW + r"\s+(\d+(?:\.\d+)?)\s*(%|percent)?"),
    ("lifetime_revenue", r"\b(?:spent|spend|spending|lifetime (?:spend|revenue)|monetary(?: value)?|total spend|"
                         r"(?:(?<=whose )|(?<=have )|(?<=has ))(?:total |lifetime )?(?:net )?(?:revenue|sales))\s+"
                         r"(?:of\s+|is\s+|was\s+)?(?:in total\s+)?" + _ABOVE_BELOW + r"\s+[£$€]?\s?(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)"
                         r"(\s*(?:with us\s+)?(?:in total|overall|all time|lifetime|in their lifetime))?"),
    ("recency_days", r"\b(?:days since (?:their |the )?last (?:order|purchase)|recency)\s+(?:is\s+|of\s+)?" + _ABOVE_BELOW
                     + r"\s+(\d+)(\s+days)?"),
]
# a period that bounds each customer's last order rather than the figures: "whose last purchase was before June
# 2011", "with no purchase in the last 90 days" (read in the words just before the period)
_LAST_ORDER = (r"(?:\b(?:last|latest|most recent|final)(?: completed)? (?:purchase|order|buy|transaction)s?(?: date)?"
               r"(?: (?:was|were|is|came|happened|fell|took place))?|\blast (?:ordered|bought|purchased|shopped))\s+")
_NO_ORDER = (r"(?:\b(?:no|not|never|without(?: a| an| any)?)|n't)\s+(?:(?!cancel|return|credit)\w+\s+)?(?:purchases?|purchased|"
             r"orders?|ordered|"
             r"bought|buy|shopped|placed an order)\s+(?:anything\s+)?(?:(?:in|for|within|during|over|since)\s+)?(?:the\s+)?")
# the measures that add up over several products (an order or a customer holding two of them counts once)
SUMMED_OVER_PRODUCTS = ("revenue", "gross_revenue", "quantity", "order_lines", "cancelled_units", "returned_units",
                        "cancelled_lines", "returned_lines", "cancelled_revenue", "returned_revenue")
# what "returning customers" means, said again after them: "(ordered in oct and had their first order before oct)",
# "- people who ordered in October after a first order before October", "i.e. ... whose first order was before 1 Nov"
RETURNING_DEFINED = re.compile(
    r"\breturning (?:customers|buyers|clients|shoppers)\b[^?()]{0,40}?(?P<clause>(?:\s*[(,;:–-]\s*(?:i\.?e\.?,?\s*|meaning\s+|"
    r"that is,?\s*|so\s+)?|\s+(?=who\s+had\s+(?:already\s+|first\s+|previously\s+)?(?:bought|ordered)\b))[^?()]{0,140}?\bbefore\b[^?()]{0,60}?"
    r"(?:\)|(?=\?)|$))")
# the definition said in a sentence after the question: "How many customers came back in November 2011? I count someone as
# returning if they had a completed order before 1 November and ordered again during November."
RETURNING_DEFINED_AFTER = re.compile(
    r"(?<=[?.])\s*(?:i|we)\s+(?:count|treat|define|call|consider)\s+(?:someone|anyone|a customer|a buyer|customers|people)\s+"
    r"(?:as\s+)?(?:a\s+)?returning(?:\s+customers?)?\s+(?:if|when)\s+(?:they|he or she)\s+(?:had|have|placed|made)\s+(?:an?\s+)?"
    r"(?:completed\s+)?(?:order|purchase)\s+(?P<before>before\s+[^.?]{3,30}?)\s+and\s+(?:then\s+)?(?:ordered|bought|purchased)\s+"
    r"again\s+(?:during|in|within)\s+(?P<again>[^.?]{3,30}?)\s*\.?\s*$")
RETURNING_BEFORE = re.compile(r"\bbefore\s+(?:(?P<same>(?:that|this|the) (?:month|quarter|period|week|year)|it|that|then|this)\b|(?:the\s+"
                              r"(?:start|beginning)\s+of\s+)?(?:(?P<day>\d{1,2})(?:st|nd|rd|th)?\s+)?(?P<month>jan|feb|mar|apr|"
                              r"may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b(?:\s+(?P<year>(?:19|20)\d\d))?)")
# a product's codes listed in brackets after its name: "postage (POST and DOT)", "(codes POST + DOT)"
CODE_LIST_JOIN = r"\s*(?:,|\band\b|\bor\b|\+|&|/)\s*"
CODES_IN_BRACKETS = re.compile(r"\(\s*(?:(?:stock\s+)?codes?\s+)?([a-z0-9]{1,12}(?:" + CODE_LIST_JOIN + r"[a-z0-9]{1,12})+)"
                               r"(?:\s+(?:stock\s+)?codes)?\s*\)")
# or listed after the word "codes": "the postage codes, POST and DOT, ...", "postage ... on stock codes POST and DOT"
CODES_LISTED = re.compile(r"\b(?:stock\s+)?codes,?\s+([a-z0-9]{1,12}(?:" + CODE_LIST_JOIN + r"[a-z0-9]{1,12})+)\b,?")
# a label before the question: "Underwriting file:", "For the export file -", "Fact check, please:" (the parser drops it
# only when it names nothing the data holds)
QUESTION_LABEL = re.compile(r"^\W*([a-z][a-z0-9 ,'&/-]{1,48}?)\s*(?::|\s[-–—]\s)\s*(?=\S)", re.IGNORECASE)
# a statement of who asks or why, before the question: "I research the web shop's checkout. How many ...?"
# (a sentence whose "I manage" the rewrites took out as filler starts with the rest: "  this merchant's account.")
LEADING_SENTENCE = re.compile(r"^\W*((?:i|we|i'm|we're|i am|we are|my|our)\b[a-z0-9 ,'&/-]{1,200}?|"
                              r"(?<=\s)(?:this|the|an?)\s[a-z0-9 ,'&/-]{1,200}?)[.:]\s+(?=[a-z][^.?]*[?.]?\s*$)",
                              re.IGNORECASE)
# any other sentence of context before the question ("Export orders need our heavier cartons. How many ...?") or after
# it ("How many ...? I'm reconciling the dashboard.", "... by month - it goes in a schedule."): dropped only when it
# names nothing the question does not
CONTEXT_BEFORE = re.compile(r"^\W*([a-z][a-z0-9 ,'&/-]{2,200}?)(?:[.:]|\?(?=\s+[a-z][^.?]*\?\s*$))\s+"
                            r"(?=[a-z][^.?]*(?:\?|\.|please\.?)?\s*$)",
                            re.IGNORECASE)
CONTEXT_AFTER = re.compile(r"(?:[?.]\s+|\s[-–—]\s+(?=(?:it|this|that|these|they|i|we|i'm|we're|i'd|we'd|i'll|we'll)\s))([a-z][a-z0-9 ,'&/-]{2,140}?(?:[.!]\s+[a-z][a-z0-9 ,'&/-]{2,80}?)?)[.!]?\s*$", re.IGNORECASE)
# such a sentence that says who asks or what they weigh up ("I'm a buyer for ...", "I manage this merchant's account.")
IDENTITY_OPENER = (r"(?:i'm|i am|we're|we are)\s+(?:an?|the|one of the)\s+[a-z]|(?:i|we)\s+(?:manage|run|own|lead|work|buy|source|teach|mentor|coach|train|advise|"
                   r"sell|supply|assess|recruit|hire|print|design|organise|organize|cater|photograph|insure|lend|act|"
                   r"look after|handle|head|plan|compile|prepare|write|investigate|audit|research|study|analyse|analyze|"
                   r"cover|report on|write about)\b|my\s+(?:client|clients|boss|manager|team|company|firm|shop|store|business|"
                   r"article|research|study|paper)\b|(?:i'm|i am|we're|we are)\s+(?:weighing|"
                   r"considering|thinking|planning|looking into|looking at|reviewing|preparing|pricing|costing|designing|building|"
                   r"launching|drafting|writing|sizing up|setting up|putting together|working on|auditing|tracking|checking|"
                   r"validating|reconciling|researching|modelling|modeling|forecasting|budgeting|benchmarking|explaining|teaching|"
                   r"presenting|showing|choosing|picking|comparing|charting|mapping|plotting|using)\b|(?:i|we)(?:'ve| have)"
                   r"\s+(?:just\s+)?(?:joined|started|taken over|been asked)\b")
# what a question is for, said beside it: "for the flash report", "for the board", "For the recruits' case study:"
PURPOSE = (r",?\s*\bfor\s+(?:the|my|our|a|an|this|their)\s+((?:[a-z'’-]+\s+){0,3}?(?:report|board|case study|study|recruits|"
           r"rota|comparison|deck|meeting|papers|review|audit|slides?|memo|newsletter|e-?mail|pack|presentation|"
           r"minutes|spreadsheet|update|briefing|pitch|training|file|list|log|ledger|books|records|consignments?|runs|"
           r"loads|shipments?|deliveries|balances|tile|widget|card|chart|dashboard|paper|bulletin|lesson|class|"
           r"newsletter|summary|paperwork|case|worked example)"
           r"(?:\s+(?:papers|report|pack|meeting|deck|minutes|update|"
           r"e-?mail|slides?|notes))?)\b(?!['’]s\b)")
# products chosen by a word in their name: "products with 'BAG' in the name", "anything with HOT WATER BOTTLE in
# its name", "items whose description contains 'heart'" (any case, anywhere in the name, as SQL's LIKE '%...%')
_QUOTE_OPEN, _QUOTE_CLOSE = "['\"\u2018\u201c]", "['\"\u2019\u201d]"
_NAME_NOUN = r"(?:product |item |stock )?(?:names?|descriptions?|titles?)\b"
NAME_HOLDS = re.compile(
    r"\b(?:with|having|have|has|had|carry|carries|carrying|containing|holding)\s+(?:the\s+(?:words?|term|phrase)\s+)?" + _QUOTE_OPEN + "?"
    r"(?P<in_name>[a-z0-9][a-z0-9 &/-]{0,40}?)" + _QUOTE_CLOSE + "?"
    r"\s+(?:in|within|somewhere in|anywhere in)\s+(?:(?:the|its|their|a)\s+)?" + _NAME_NOUN
    + r"|\b" + _NAME_NOUN + r"\s+(?:contains?|containing|includes?|including|has|have|having|holds?|holding|"
    r"mentions?|mentioning|with|like)\s+(?:the\s+(?:words?|term|phrase)\s+)?"
    r"(?:" + _QUOTE_OPEN + "%?(?P<quoted>[^'\"\u2019\u201d%]{1,40})%?" + _QUOTE_CLOSE + r"|(?P<word>[a-z0-9&-]{2,30})\b)")


LAST_ORDER_CONDITIONS: list[tuple[str, str]] = [
    (_LAST_ORDER + r"(?:on or before|no later than|not later than|up to and including)\s*$", "on or before"),
    (_LAST_ORDER + r"(?:before|prior to|earlier than)\s*$", "before"),
    (_NO_ORDER + r"$", "none in"),  # only for a period that runs to the end of the data: then "before" it
    (_LAST_ORDER + r"(?:after|later than)\s*$", "after"),
    (_LAST_ORDER + r"(?:since)\s*$", "since"),
    (_LAST_ORDER + r"(?:(?:in|during|on)\s*)?$", "in"),
]
CONDITION_OPS = {"above": ">", "over": ">", "greater than": ">", "more than": ">", "higher than": ">", "at least": ">=",
                 "topped": ">", "exceeded": ">", "exceed": ">", "top": ">",
                 "below": "<", "under": "<", "less than": "<", "fewer than": "<", "lower than": "<", "at most": "<="}

# orders placed without a customer id (guest checkouts): no customer, no country
ANONYMOUS = (r"\b(anonymous|guest|guests|unidentified|unregistered)\b(\s+(orders?|customers?|checkouts?|buyers?|"
             r"shoppers?|sales|purchases))?|\b(without|with no|no|missing)\s+(an?\s+)?customer(\s+(id|ids|number|numbers|"
             r"attached|linked|known|accounts?|logins?|records?))?(\s+(attached|linked|on (?:them|it|file)))?\b")
# a condition on each ranked group's orders: "(only countries) with at least 50 orders"
GROUP_CONDITION_VERB = r"\b(?:with|having|that have|that had|which have)\b"  # where the condition itself starts
_PEOPLE = r"\b(?:customers?|clients?|buyers?|shoppers?|people|accounts?)\b"
GROUP_CONDITION = (r"\b(countries|country|markets|segments|cities|categories|products|items|months)\b"
                   r"(?:(?!" + _PEOPLE + r")[^.?]){0,25}?"  # "country with the most customers with ...": of customers
                   + GROUP_CONDITION_VERB + r"\s+(at least|a minimum of|more than|over|fewer than|less than|under|"
                   r"at most)\s+" + _NUM + r"\s+(?:completed\s+)?orders\b")
# groups whose rankings can keep only the groups with enough orders (order_facts has their orders)
GROUPS_WITH_ORDERS = ("country", "segment")
# the nouns a condition on orders is said of when it is a condition on customers ("customers with 5+ orders")
CUSTOMER_NOUNS = r"(?:" + _PEOPLE + r"|\b(?:those|who|that))"
# a measure of the customers whose first order falls in the period: "revenue from new customers in November"
FROM_NEW_CUSTOMERS = (r"\b(revenue|sales|turnover|takings|spend|spent|orders|units|quantity|aov|average order value|"
                      r"order value|basket value)\b[^?.]{0,25}?\b(from|by|of|"
                      r"placed by|did|do|have|had)\s+(our\s+|the\s+)?(new|first[- ]time)\s+(customers|buyers|clients|shoppers)\b|"
                      r"\b(?:our\s+|the\s+)?(?:new|first[- ]time)\s+(?:customers|buyers|clients|shoppers)\s+(spend|spent|bring in|"
                      r"brought in)\b")
# one figure over another: "ratio of German to French revenue", "how many times bigger", "Q3 as a percentage of Q4"
# (not "as a share of all customers", which is a share)
RATIO = (r"\bratio\b|\brelative to\b|\bhow many times\b|\b(?:by )?what factor\b|\btimes (?:bigger|larger|higher|greater|more)\b|"
         r"\bas an? (?:%|percent(?:age)?|share|proportion|fraction) of\b(?!\s+(?:all|total|the total|the whole|every|our|"
         r"overall|the overall|everything|what))")
# a figure of a group of customers the plan has no filter for: "revenue from returning customers", "orders of active
# customers" (new customers are a filter: FROM_NEW_CUSTOMERS; repeat buyers an orders condition)
OF_A_CUSTOMER_GROUP = (r"\b(?:revenue|sales|turnover|takings|spend|spent|orders|units|quantity|aov|average order value|"
                       r"order value|basket)\b[^?.]{0,30}?\b(?:from|of|by|among|placed by)\s+(?:the\s+|our\s+)?"
                       r"(returning|active|existing|old)\s+(?:customers|buyers|clients|shoppers)\b")
# a customer's first order on its own: not kept apart from their other orders in the period
FIRST_ORDER_ONLY = r"\b(?:on|in|with|for|of) (?:their|the|a|each) (?:very )?first(?:[- ]ever)? (?:order|purchase|basket|transaction)s?\b"
# orders by their own value: "orders over £1,000", "baskets under 50"
# "orders (in 2011) were worth", "orders with a value (of)": what comes between the orders and the amount
_ORDER_VALUE_HEAD = (r"(?:(?:in|during|placed)\s+)?(?:whose (?:net )?value (?:was|is|were)\s+)?(?:were\s+|was\s+|are\s+|is\s+)?"
                     r"(?:came in\s+|come in\s+|worth\s+|"
                     r"valued\s+at\s+|of\s+|with\s+an?\s+(?:order\s+)?value\s+(?:of\s+)?)?")
ORDER_VALUE = (r"\b(?:orders?|baskets?|transactions?|invoices?)\s+" + _ORDER_VALUE_HEAD +
               r"(over|above|more than|greater than|exceeding|under|below|less than)\s+[£$€]?\s?(\d{1,3}(?:,\d{3})+|\d+)"
               r"(?:\.(\d+))?\b(?!\s*(?:units?|items?|pieces?|lines?|products?|orders?|days?|customers?))")
ORDER_VALUE_WORDS = (r"\b(orders?|baskets?|transactions?|invoices?)\s+" + _ORDER_VALUE_HEAD +
                     r"(over|above|more than|greater than|exceeding|under|below|less than)\s+[£$€]?\s?\d[\d ,]*\b"
                     r"(?!\s*(?:units?|items?|pieces?|lines?|products?|orders?|days?|customers?)\b)")
# orders by their number of completed lines: "orders with more than 100 lines", "orders in October had at least 50
# completed lines"
ORDER_LINES_CONDITION = (r"\b(?:that\s+)?(?:had|have|has|having|with|containing|contained|carried|carry|carrying|carries|"
                         r"ran to|run to|runs to|running to)\s+(more than|over|above|"
                         r"at least|fewer than|less than|under|below|at most|exactly)\s+(\d{1,3}(?:,\d{3})+|\d+)\s+"
                         r"(?:completed\s+)?(?:order\s+|product\s+)?(lines?|units?|items?|pieces?)\b")  # lines, or units
ORDER_LINES = r"\b(?:orders?|baskets?|invoices?|transactions?)\b[^?.]{0,40}?" + ORDER_LINES_CONDITION
# the days with more (fewer) orders than a number: "on how many trading days in October did we receive more than 100
# orders", "how many days in 2011 had at least 150 orders"
DAY_ORDERS = (r"\b(?:did (?:we|you) (?:receive|get|take|have|see)|were there|there were|had|saw|with|"
              r"(?:that|which) (?:had|saw))\s+(more than|over|above|at least|fewer than|less than|under|below|at most)\s+(\d+)\s+(?:completed\s+)?orders\b")
# the days whose revenue was above a figure: "on how many days in Q2 2011 did net revenue exceed £30,000"
DAY_REVENUE = (r"\b(?:did|was|were|had|with|saw|(?:that|which|where) (?:had|saw))\s+(?:the\s+|our\s+)?(?:daily\s+|day's\s+)?"
               r"(?:net\s+)?(?:revenue|sales|takings|turnover)\s+(?:(?:was|were|of|came to)\s+)?(exceed|exceeded|top|topped|"
               r"more than|over|above|at least|greater than|fewer than|less than|under|below|at most)\s+[£$€]?\s?"
               r"(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(k\b)?")
# orders placed on given weekdays: "on a Friday", "on Mondays", "at weekends"
DAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
WEEKDAY_FILTER = (r"\b(?:on|at|over|during)\s+(?:a\s+|the\s+)?(?:(" + "|".join(DAY_NAMES) + r")s?|(weekends?)|"
                  r"(weekdays|week days|working days|business days))\b")
# orders placed within hours of the day: "before 9 in the morning", "from 18:00 onwards", "between 14:00 and 14:59",
# "after 6pm"; a number is a time only with minutes, am/pm or a part of the day
_CLOCK = (r"(\d{1,2})(?:[:. ]([0-5]\d)\b(?![ .:/-]?\d))?\s*(?:(am|pm|a\.m\.|p\.m\.)|\s+(?:o'clock\s+)?in\s+the\s+(morning|afternoon|"
          r"evening)|(?<=\d\d[:. ]\d\d)|(?<=\b\d[:. ]\d\d))")  # HH:MM, HH.MM, or HH MM once the words are normalised
HOUR_FILTER = (r"\b(before|after|from|since|between)\s+" + _CLOCK + r"(?:\s+(?:onwards|on|or later|and later))?"
               r"(?:\s+(?:and|to|until)\s+" + _CLOCK + r")?")
# "scored customers": those the churn model scored; "RFM-scored": those with an RFM segment
# "bought in H1 2011 but nothing in H2": in the first of two periods and not in the second
# (the second period's words may be blanked out already: spaces, or the end once the spaces are collapsed)
_THEN_SECOND = r"(?=\s+(?:in|during|over|from|between)\b|\s{2,}|\s*[?.]?\s*$|[?.]?\s+(?:how|what)\b)"  # or the question after it
BUT_NOT_SECOND = (r"\bbut (?:nothing|none|no (?:orders?|purchases?)|(?:not|never|didn't|did not)(?: (?:buy|order|purchase|"
                  r"shop)\w*)?" + _THEN_SECOND + r")|(?:\b(?:but|yet)\s+)?\b(?:placed|made|had)\s+no\s+(?:orders?|purchases?)"
                  r"(?:\s+at all)?" + _THEN_SECOND + r"|\b(?:did not|didn't|never)\s+(?:order|buy|purchase|shop)(?:\s+again)?"
                  + _THEN_SECOND)
# a day's total averaged over the period's days: "average orders per day in November", "avg daily revenue in Q4"
PER_DAY = (r"\b(?:average|avg|mean|typical)\b[^?.]{0,40}?\b(?:per|a|each) (?:trading |working )?day\b|"
           r"\b(?:per|a|each) (?:trading |working |business )?day\b[^?.]{0,60}?\b(?:on average|average|avg)\b|"
           r"\b(?:average|avg|mean|typical) daily\b|\bdaily average\b")
PER_DAY_MEASURES = ("revenue", "orders", "quantity", "customers", "cancelled_orders", "returned_units",
                    "returned_revenue", "cancelled_revenue", "gross_revenue")
RFM_SCORED = r"\brfm[- ]?(scored|scoring)\b"
SCORED_WORDS = r"\b(churn[- ])?scored\b|\b(have|has|having|with) (a |an )?churn (score|probability)\b"
# filter words: churn status and risk
CHURN_WORDS = r"\b(churned|lapsed|lost customers|inactive)\b"
NOT_CHURN_WORDS = r"\b(not churned|non[- ]?churned|still active|retained)\b"
RISK_WORDS = r"\b(likely to (churn|leave)|risky|at risk)\b"

# questions about something the published marts do not hold: refused with the reason, never answered in part
NOT_PUBLISHED: list[tuple[str, str]] = [
    (r"\b(?:how many|number of|count of|count the)\s+(?:\w+\s+){0,2}(?:customers|buyers|clients|accounts)\b[^?]{0,40}?\b(?:excluding|"
     r"without|not counting|ignoring|leaving out|other than)\s+"
     r"(?:any\s+|the\s+|those\s+with\s+)?cancell?(?:ed|ations?)\b",  # never the customers who cancelled instead
     "customers counted without those who cancelled are not worked out; ask for the customers with a cancelled order"),
    (r"\bwhat should (?:we|i)\b|\bhow (?:can|could|should) (?:we|i)\b|\brecommend\w*\b|\badvi[cs]e\b|\bwhat would you suggest\b",
     "recommendations are not answered from the data; ask for the figures behind the decision"),
    (r"\b(?:time|days|hours|lead time|how long|how quickly|how fast)\b[^?]{0,70}\b(?:dispatch|ship|shipping|shipped|deliver|"
     r"delivery|delivered|(?<!orders )(?<!order )arrive|arrival|fulfil|fulfill)\w*", "dispatch and delivery times are not in the data"),
    (r"\b(?:time|days|gaps?|intervals?|weeks|months)\s+between\s+(?:\w+\s+){0,2}(?:orders|purchases|visits)\b|"
     r"\bhow (?:often|frequently) do\b", "the time between a customer's orders is not published"),
    (r"(?<!what )\bif (?!(?:you|we) (?:leave out|exclude|ignore|take out)\b)(?:we|they|you|i|customers?|the)\b|\bwhat would\b|\bwould (?:revenue|sales|orders|we)\b",
     "what-if questions (a scenario or a forecast) are not answered from the published data"),
    (r"\b(?:revenue|sales|turnover|takings|money)\b[^?.]{0,40}?\b(?:inclusive of|including|incl\.?|with) (?:the )?returns\b",
     "'including returns' can mean before returns (gross) or after them (net): ask for gross or net revenue"),
]
# customers who bought in each month of a period ("how many customers bought in every month of 2011")
# "customers who ordered in at least six different months of 2011": each customer's months with an order, at least N
MIN_MONTHS = (r"\bin\s+(?:at least\s+" + _NUM + r"|" + _NUM + r"\s+or more)\s+(?:different\s+|distinct\s+|separate\s+|"
              r"calendar\s+)?months\b(?:\s+of\b)?")
EVERY_MONTH = (r"\b(?:in|during)\s+(?:every|each|all(?: the)?)\s+(?:single\s+)?(?:one\s+)?(?:of\s+(?:the\s+)?(?:two|three|"
               r"four|six|twelve|\d{1,2})\s+)?(month|quarter)s?\b(?:\s+of\b)?")
# a request to change the data, not a question about it ("change in revenue" is a question)
WRITE_REQUEST = (r"^\W*(?:(?:please|pls|kindly|can you|could you|would you|i need you to|i want you to)\s+)*"
                 r"(?:change|update|set|delete|remove|insert|add|rename|edit|modify|correct|move|merge|assign|overwrite|"
                 r"reset|erase|wipe|refund|mark)\s+(?!in\b|of\b|between\b|from\b|over\b|rate\b|since\b|ratio\b|value\b|"
                 r"total\b|amount\b|share\b|figures?\b|count\b|numbers?\b)")

# grammar: words that carry no content of their own
FUNCTION_WORDS = set("""
a an the of in on at to for from by with and or vs versus per each every all any what which who whom whose how why
when where is are was were be been being do does did done have has had having many much so as than then also
now just only please could would should can will shall may might must you your i me my we us our ours it its
they them their there here this that these those s 's give show list tell find get got let lets let's see know
want need like look looking display report provide calculate compute figure figures number numbers count
amount total totals overall sum whole entire altogether combined all-time ever throughout across among during
within between into over under up out down about around some both either neither whether if much many
data store shop company business whats what's hows how's thats there's theres
kindly quick quickly currently current right unique distinct different individual separate made make
net something anything actually set dataset inclusive located based fall falls belong belongs sit sits
sitting ones still hi hello hey roughly approximately approx very really quick question stuff thing things
hold holds contain contains together tile tiles widget widgets sent produced arrived landed reach reached achieve achieved
everything
""".split())
_MONTHS = r"jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_ORDINALS = {w: i + 1 for i, w in enumerate(
    "first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth "
    "sixteenth seventeenth eighteenth nineteenth twentieth".split())}
_ORDINALS.update({f"twenty {w}": 20 + i + 1 for i, w in enumerate("first second third fourth fifth sixth seventh eighth "
                                                                   "ninth".split())})
_ORDINALS.update({"thirtieth": 30, "thirty first": 31})
_DAY_SPANS = {"seven": 7, "fourteen": 14, "twenty eight": 28, "thirty": 30, "sixty": 60, "ninety": 90}
CONDITION_WORDS = {">=": "at least", ">": "more than", "<=": "at most", "<": "fewer than", "=": "exactly"}
# paraphrases said in other words, rewritten (case kept elsewhere) before the parse
_MONTH_WORD = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b"
def _each_of_months(m: re.Match) -> str:
    """ "in each of January, February and March 2011", "Q1, Q2 and Q3 2011 separately" -> "by month from January to
    March 2011", "by quarter from q1 2011 to q3 2011": each period's figure, never the periods added up; periods that do
    not follow one another, or only two of them (compared side by side), are left as said."""
    listed = m.group("listed").lower()
    year = (m.group("year") or "").strip()
    quarters = [int(q) for q in re.findall(r"q([1-4])", listed)]
    months = re.findall(_MONTH_WORD, listed)
    numbers = quarters or [_MONTH_NUMBER[name[:3]] for name in months]
    if len(numbers) < 3 or numbers != list(range(numbers[0], numbers[0] + len(numbers))):
        return m.group(0)  # two periods apart are compared side by side
    if quarters:
        return f"by quarter from q{numbers[0]} {year} to q{numbers[-1]} {year}" if year else m.group(0)
    return f"by month from {months[0]} to {months[-1]} {year}".rstrip()


_MONTH_NUMBER = {name: i + 1 for i, name in enumerate(_MONTHS.split("|"))}
_LISTED_PERIODS = (r"(?P<listed>" + _MONTH_WORD + r"(?:\s*(?:,|\band\b|&)\s*" + _MONTH_WORD + r"){1,11}|"
                   r"q[1-4](?:\s*(?:,|\band\b|&)\s*q[1-4]){1,3})(?P<year>\s+(?:of\s+)?(?:19|20)\d\d)?")


def _hour_said_again(m: re.Match) -> str:
    """ "the nine o'clock hour, 09:00 to 09:59" -> "from 09:00 to 09:59" when the words name the clock times' hour."""
    said, first, last = m.group(1).lower(), int(m.group(2)), int(m.group(3))
    words = {w: i for i, w in enumerate("twelve one two three four five six seven eight nine ten eleven".split())}
    if "clock" in said:
        hour = words.get(said.split()[0])
        hours = {hour, hour + 12} if hour is not None else set()
    else:
        number = int(re.match(r"\d+", said).group(0)) % 12
        hours = {number + (12 if "pm" in said else 0)}
    return f"from {first:02d}:00 to {last:02d}:59" if first == last and first in hours else m.group(0)


# a month, quarter, half or year said alone, as in "November minus October"
_PERIOD_WORD = (r"(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|"
                r"jun|jul|aug|sept|sep|oct|nov|dec|q[1-4]|h[12]|(?:19|20)\d{2})(?:\s+(?:19|20)\d{2})?(?:'s)?")
REWRITES: list[tuple[str, object]] = [  # (pattern, replacement text or function)
    # (first: the ranking rewrites below read what these leave; customers said by their id: "Which three customers,
    # by customer id, ...", "customers with a known id")
    (r",?\s*\bby customer id\b,?", " "),
    (r"\b(per|a|each) calendar (month|quarter|week|year)\b", r"\1 \2"),  # "avg revenue per calendar month": a mean
    (r"\b(?:the\s+)?(?:nordic|scandinavian|baltic|benelux|iberian)\s+(?:\d|two|three|four|five|six)\s*(?=\()", ""),
    (r"\bto the end of the (?:data|records)(?:\s+on|\s+at|,)?\s+(?=\d)", "to "),
    (r"\s*\(\s*([a-z]+) minus ([a-z]+),?\s+(?:over|divided by|/)\s+\2\s*\)", " "),  # growth defined as it is: (B - A) / A
    # a trading day defined again after the question: "By trading day I mean a day on which at least one order came in."
    (r"[.?]\s*by (?:an?\s+)?(?:trading|selling|business) days?,?\s+i mean\s+(?:a|any)\s+day\s+(?:on which|when|with|that had|that has|"
     r"having)\s+(?:at least one|an?|any)\s+(?:completed\s+)?orders?(?:\s+(?:came in|was placed|arrived|went through))?\s*\.?\s*$", "?"),
    # ... or as "I count a trading day as any date on which at least one order came in, and takings as net revenue."
    (r"(?:[.?!]\s*|,\s*)(?:i|we)\s+(?:count|define|take|treat)\s+(?:an?\s+|each\s+)?(?:trading|selling|business)\s+days?\s+as\s+"
     r"(?:any|a|each|every)\s+(?:day|date)\s+(?:on which|when|with|that had|that has|having)\s+(?:at least one|an?|any|one or more)\s+"
     r"(?:completed\s+)?orders?(?:\s+(?:came in|was placed|arrived|went through))?(?:,?\s*and\s+(?:takings|sales|turnover|revenue)"
     r"\s+as\s+net\s+revenue)?\s*[.!]?\s*$", "?"),
    # ... or said inline: "net revenue for each trading day on average, counting only days on which at least one order
    # came in" (an average per day is over the days with orders already)
    (r",?\s*\b(?:counting|including|taking|using|over|across|averaging over)\s+only\s+(?:the\s+)?days\s+(?:on which|when|with|"
     r"that had|that have|having)\s+(?:at least one|an?|any|some)\s+(?:completed\s+)?orders?(?:\s+(?:came in|come in|was placed|"
     r"were placed|arrived|went through))?\b", " "),
    # a word of the name said as the question's label: "ALPHABET in the product name: how many different stock codes?"
    (r"^\W*['\"\u2018\u201c]?([a-z0-9&-]{2,30})['\"\u2019\u201d]?\s+in\s+(?:the|its|their|a)\s+(?:product\s+|item\s+)?"
     r"(?:names?|descriptions?|titles?)\s*[:,-]\s*(.+?)\s*\??\s*$", r"\2 with '\1' in the name?"),
    # what a cancelled order is, said again: "By cancelled order I mean one with at least one cancelled line"
    (r"\bby (?:an?\s+)?cancell?ed orders?,?\s+i mean\s+(?:one|ones|an order|orders?|those)\s+(?:with|having|that ha[sd])\s+"
     r"(?:at least one|an?|any)\s+cancell?ed\s+lines?\b,?", " "),
    (r"\bcustomers with (?:an?|a known) (?:customer )?id\b", "identified customers"), (r"\s*\bin net terms\b", " net"),
    (r"([?.])\s*(?:count|include|only)\s+(?:identified customers|known customers)(?: only)?\.?\s*$", r" from identified customers\1"),
    (r"\bwith the (?:widest|broadest|biggest|largest) customer reach\b", "with the most different customers"),
    (r"\b(?:the\s+)?(?:largest|biggest|highest|greatest)\s+headcount(?:\s+of\s+(?:customers|clients|accounts))?\b", "the most customers"),
    (r"\bheadcount\s+of\s+(customers|clients|accounts)\b", r"number of \1"),
    (r"\bat\s+(\d{1,2}(?:[:.]\d\d)?\s*(?:am|pm|a\.m\.|p\.m\.)?)\s+or\s+(?:later|after)\b", r"from \1 onwards"),
    (r"\bat\s+or\s+after\s+(?=\d)", "from "),  # "placed at 15:00 or later": from 15:00
    (r"\b(?:most\s+)?widely\s+(?=bought|purchased|ordered|sold)", "most "),  # "most widely bought items"
    # who did it, not a grouping: "orders placed by customers in France", "revenue generated by customers outside the UK"
    (r"\b(?:placed|generated|made|spent|bought|purchased|brought in|ordered|earned|taken|created|paid|returned|cancell?ed)\s+by\s+"
     r"(?=(?:our\s+|the\s+|all\s+)?(?:known\s+|identified\s+|registered\s+)?(?:customers|clients|buyers|shoppers|accounts|"
     r"people)\b)", "from "),
    # the days with an order said in other words: "count of days in Q3 on which any order arrived", "days with orders"
    (r"\b(?:count|number)\s+of\s+days\b([^?]{0,40}?)\s*(?:on\s+which|when|where)\s+(?:any|an|at least one|one or more)\s+orders?\s+"
     r"(?:arrived|came in|was placed|were placed|landed)\b", r"number of trading days\1"),
    (r"\b(?:count|number)\s+of\s+days\b([^?]{0,40}?)\s*(?:on\s+which|when)\s+orders\s+(?:were placed|came in|arrived)\b",
     r"number of trading days\1"),
    (r"\b(?:count|number)\s+of\s+days\b([^?]{0,40}?)\s+with\s+orders\b", r"number of trading days\1"),
    (r"[.?]\s*that'?s\s+how\s+(?:we|i)\s+define\s+a\s+trading\s+day\.?\s*$", "?"),
    # a span whose end borrows the start's year: "from Monday 7 Nov 2011 to Sunday 13 Nov"
    (r"\b(\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*)\s+((?:19|20)\d\d)\s+(to|until|till|"
     r"through|-)\s+((?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s+)?\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|"
     r"nov|dec)[a-z]*)\b(?!\s*,?\s*(?:19|20)\d\d)", r"\1 \2 \3 \4 \2"),
    # v46's wordings: a span said twice ("for the nine months January through September"), a value defined again
    (r"\b(?:for\s+)?the\s+(?:two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|\d{1,2})\s+months?\s+(?=(?:from\s+)?"
     r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)", "for "),
    (r"\b(median|average|mean|typical)\s+order\s+(?:worth|value)\b", r"\1 order value"),
    (r"\bwhat was the (median|average|mean|typical) order worth\b", r"what was the \1 order value"),
    (r"[.?]?\s*\(?\s*(?:value|valuing|valued)\s+(?:each|an|every|the)?\s*orders?\s+(?:by|on)\s+(?:its|their)\s+completed\s+lines\s*\)?\.?"
     r"(?=\s*$)", "?"),  # an order's value said again
    (r",\s*(?:valuing|valued|value)\s+(?:each|every|an|the)\s+orders?\s+(?:by|on)\s+(?:its|their)\s+completed\s+lines\b", " "),
    (r"\b(\d+)[- ]?plus\s+(orders|purchases)\b", r"at least \1 \2"),  # "20-plus orders" ("20+" is read elsewhere)
    (r",?\s*valued\s+by\s+its\s+completed\s+lines\b", " "), (r"[.?]\s*what was it worth\??\s*$", "?"),
    (r"\b(revenue|orders|units|sales|takings|turnover)\s+per\s+trading\s+day\b(?![^?]*\b(?:average|avg|mean)\b)", r"average \1 per trading day"),
    (r"\s*\(\s*(?:a\s+)?trading days?\s*(?:=|is|are|means)\s*(?:a\s+)?days?\s+with\s+(?:at least one|an?|any)\s+orders?\s*\)", " "),
    (r"\b(?:qty|quantity)\s*(?:x|\u00d7|\*|times)\s*(?:the\s+)?unit\s*(?:price|px)\s+summed\s+over\s+the\s+(cancell?ed|returned)\s+lines\b",
     r"value of \1 lines"),  # "value of everything cancelled ..., qty x unit price summed over the cancelled lines"
    (r"\bvalue of everything cancell?ed\b([^?]*?),?\s*(?=value of cancell?ed lines\b)", r"\1 "),
    (r"\b(customers|buyers|orders|accounts)\s+(?:based\s+)?(?:abroad|overseas)\s*(?:\(\s*non-?uk\s*\))?", r"\1 outside the UK"),
    (r"\boverseas\s+(customers|buyers|orders|accounts)\b", r"\1 outside the UK"),
    (r"\b(?:how many|number of)\s+(?:completed\s+)?lines\s+did\s+(?:a|an|the)\s+(?:typical|average|mean)\s+([^?]{0,20}?)\s*order\s+"
     r"(?:carry|have|hold|contain)\b", r"average completed lines per order in \1"),
    (r"\s*\(\s*mean\s*:\s*lines\s*/\s*orders\s*\)", " "),
    (r"\b(?:the\s+)?(?:highest|largest|biggest|top)\s+single[- ]day\s+(order count|orders|revenue|sales)\b", r"top 1 days by \1"),
    (r"\b(?:the\s+)?(?:final|last)\s+(?:fortnight|two weeks|week|month)\s+of\s+the\s+data\s*,\s*", " "),
    (r"\b(\d+)\s+or\s+more\s+((?:completed\s+)?(?:order\s+|product\s+)?lines)\b", r"at least \1 \2"),
    (r"\bcounting\s+(?:every|each|all|all the)\s+(?:products?|items?)\s+with\b", "for products with"),
    (r"\b(repeat|returning)\s+customers,?\s+i\.?e\.?,?\s+(?:they|those who)\s+(?:already\s+)?had\s+a\s+completed\s+order\s+before\s+",
     r"returning customers (first order before "),  # closed below by the returning definition's reader
    (r"\bwent\s+(?:silent|quiet|dark)\s+(?=from|between|in|during)", "placed no order "),
    (r"\b(\w+)\s+(orders|purchases)\s+exactly\b", r"exactly \1 \2"),
    (r"\b(?:size|headcount)\s+of\s+(?:the\s+)?([a-z][a-z ]{2,30}?)\s+segment\b", r"number of customers in the \1 segment"),
    (r"\b(?:size|headcount)\s+of\s+(?:that|this)\s+segment\b", "number of customers"),
    (r"\b(?:does|do)\s+the\s+churn\s+model\s+(?:rate|score|flag|class\w*|put)\s+(?:as\s+|at\s+|in\s+)?(high|medium|low)[- ]risk\b",
     r"are \1 risk"),
    (r"\b(customers|buyers|clients)\s+active\s+in\s+both\b", r"\1 who ordered in both"),
    (r"\b(?:customer|client)\s+ids\b", "customers"), (r"\bthe\s+greatest\s+number\s+of\b", "the most"),
    (r"\bby\s+headcount\b", "by number of customers"),
    (r"\bhourly\s+(order counts|orders|revenue|sales)\s+(?:through|across|over)\s+the\s+day\b", r"\1 by hour"),
    (r"\s*\(\s*mon(?:day)?\s+(?:to|-)\s+fri(?:day)?\s*\)", " "), (r"\bmonday[- ]to[- ]sunday\s+(?=weeks?\b)", ""),
    (r",?\s*\byet\s+(?=(?:had|placed|made|did|never|not)\b)", " but "),  # "bought in H1 yet had no order in Q4"
    (r"\b(?:only|just)\s+(?:one|1)\s+(?=(?:completed\s+)?(?:order\s+|product\s+)?line\b)|\ba\s+single\s+(?=(?:completed\s+)?"
     r"(?:order\s+|product\s+)?line\b)", "exactly 1 "),  # "orders with only one line"
    (r"(\d)\s*(?:pounds|quid|gbp|sterling)\b", r"\1"), (r"\b(?:before|after|from)\s+(?:noon|midday)\b", lambda m: m.group(0).split()[0] + " 12:00"),
    (r"\b(?:units|quantity|qty|items)\s+sold\b([^?]{0,40}?),?\s+in value\b", r"revenue\1"),  # the value of what was sold
    (r"\bhow many (customers|buyers|clients|accounts)\s+(?:were|are|was|is)\s+(?:brand\s+)?new\b", r"how many new \1"),
    (r"\b(?:(?:in|for|during|over)\s+)?each\s+of\s+(?:the\s+(?:months|quarters)\s+)?" + _LISTED_PERIODS, _each_of_months),
    (r"\b(?:(?:in|for|during|over)\s+)?" + _LISTED_PERIODS + r"\s*,?\s*(?:separately|individually|one by one|each|respectively)\b",
     _each_of_months),
    (r"\b(?:(?:in|for|during|over)\s+)?each\s+of\s+the\s+(first|last)\s+(two|three|four|five|six|2|3|4|5|6)\s+months\s+"
     r"(?:of|in)\s+((?:19|20)\d\d)\b", r"by month in the \1 \2 months of \3"),
    (r",?\s*once\s+returns\s+(?:are|have been|were)\s+(?:deducted|taken off|subtracted|netted off|removed)\b", " net of returns"),
    (r"[.?!]\s*new\s+(?:means|is|=)\s+(?:the\s+)?(?:month|quarter|week|year)\s+of\s+(?:their|its|the)\s+first\s+(?:completed\s+)?"
     r"(?:order|purchase)\.?\s*$", "?"),  # new customers defined again after the question
    (r"\b([a-z][a-z0-9]{2,20})-named\s+(products|items|designs|lines|stock codes)\b", r"\2 with '\1' in the name"),
    (r"\bhad\s+at\s+least\s+one\s+(?:customer|buyer|client)\s+(?:placing|who placed|that placed|place|placed)\s+an?\s+order\b",
     "had orders"),  # countries with an order
    (r"\b(?:a|the)\s+(?:typical|average|usual|normal)\s+(trading\s+|working\s+)?day\s+(?:bring|brought|take|took)\s+in\b",
     r"per \1day on average"),  # "how much net revenue did a typical trading day bring in"
    (r"[.?!]\s*(?:keep|include|leave|count)\s+(?:the\s+)?guest\s+(?:checkouts|orders)\s+(?:in\s+)?(?:the\s+)?(?:total|whole|"
     r"denominator|base)\.?\s*$", "?"),  # a share's whole is every order: said again
    (r"\bwhose\s+(?:lifetime\s+|total\s+|all-time\s+)?(?:order\s+count|number\s+of\s+orders|count\s+of\s+orders)\s+(?:is|was|=)\s+"
     r"(exactly|at least|more than|fewer than|less than|at most)?\s*(\w+)\b", r"with \1 \2 orders"),
    (r"\b(?:customer\s+|client\s+)?account\s+(?:numbers|ids|nos\.?)(?=\s|[?.,:;]|$)", "customers"),  # "which 3 account numbers"
    (r"\b(busiest|quietest)\b([^?.]{0,40}?),?\s+counting\s+(orders|revenue|units)\b", r"\1\2 by \3"),
    # a line's value asked as the sum of its quantity times its price: "cancelled lines, oct 2011: sum of qty x unit price?"
    (r"\b(cancell?ed|returned|completed) lines\b([^?]{0,40}?)[:,-]?\s*(?:what(?:'s| is| was) the\s+)?(?:sum|total) of (?:the\s+)?"
     r"(?:qty|quantity|units)\s*(?:x|\u00d7|\*|times)\s*(?:the\s+)?unit\s*(?:price|px)\b", r"value of \1 lines\2"),
    (r",?\s*counting (?:distinct|different|unique|separate) (?:buyers|customers)\b", " "),
    # the average selling price defined again as the platform reads it
    (r"\bcounting\s+(?=(?:identified|known|registered)\s+customers\s+only\b)", ""),
    (r"\b(month|week|day|quarter|year)-(by|on|over)-(month|week|day|quarter|year)\b", r"\1 \2 \3"),  # "month-by-month"
    (r"\bunits\s+(?:were\s+|was\s+)?(?:booked|came|coming|sent)\s+back\s+on\s+returned\s+lines\b", "returned units"),
    (r"\b(?:that|which)\s+(?:carry|carried|carries|have|had|bear|show)\s+no\s+customer ids?\b", "without a customer id"),
    (r",?\s*(?:starting|beginning) with the (?:smallest|lowest|largest|biggest|highest)\b", " "),  # the ranking's own order
    (r"\b(?:during|in|for|at|across) the (\d{1,2}) o'?clock hour\b(?:\s*\(\s*\d{1,2}[:.]00\s*(?:to|-|–)\s*\d{1,2}[:.]59\s*\))?",
     r"between \1:00 and \1:59"),
    (r"[.?]\s*(?:give|label|show) (?:each|every|the) hours? (?:as|by) its (?:starting|start|first) (?:number|hour)"
     r"(?:\s*\([^)]*\))?\s*[.?!]*\s*$", "?"),  # "Give each hour as its starting number (10 means 10:00-10:59)."
    (r"\bclock hours\b", "hours"),
    (r"\btrading days\s*\(\s*days with (?:at least one|an?|any) (?:completed )?orders?\s*\)", "trading days"),
    # "Leaving the UK aside, ...": the UK excluded ("aside" after it says so)
    (r"\b(?:leaving|setting|putting)\s+(?=(?:the\s+)?[a-z][a-z ]{1,30}?\s+aside\b)", ""),
    (r"\bif (?:you|we) (?:leave out|exclude|ignore|take out)\b", "excluding"),  # not a what-if
    (r"\b(customers|clients|buyers|sales|orders|revenue)\s+abroad\b", r"\1 outside the uk"),
    (r"\bleague table\b", "ranking"),
    (r"\b(?:slice|portion|chunk)\s+of\b", "share of"),
    # "units ... Count the quantity on their completed lines": the units, said again (never the lines)
    (r"\b(quantit(?:y|ies)|units)\s+(?:on|of|in)\s+(?:their\s+|the\s+|its\s+)?(?:completed\s+|sold\s+)?(?:order\s+)?lines\b",
     r"\1"),
    (r"(\bhow many\b[^?]*?),?\s*across (?:every|all(?: the)?) (?:country|countries|market|markets)\b", r"\1"),  # a total
    (r"\bon every day\b", "on each day"),
    # a day's weekday said again, a season named before its months, "the eleven complete months" before them
    (r"\s*\((?:a|it was a|which was a)\s+(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)\)", ""),
    (r"\b(?:its |the |our )?(?:autumn|fall|spring|summer|winter|christmas|festive|holiday|pre-christmas)\s+(?:peak|rush|"
     r"season|run-up|trading),?\s+(?=(?:from\s+)?" + _MONTH_WORD + r"\s+(?:to|through|until|-)\s+" + _MONTH_WORD + ")", ""),
    (r"\b(?:the\s+)?(?:\d{1,2}|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve)\s+(?:complete|full|whole)\s+"
     r"months,?\s+(?=(?:from\s+)?" + _MONTH_WORD
     + r"\s+(?:to|through|until|-)\s+" + _MONTH_WORD + ")", ""),
    (r"\b(?:the data's|the dataset's|the data set's)\s+(?:final|closing)\b", "the last"),
    (r"\b(?:the )?(?:closing|final) ((?:\w+ )?(?:days|weeks)|week|month) of the data(?: ?set)?\b", r"the last \1"),
    (r"\b(monday|tuesday|wednesday|thursday|friday|saturday|sunday)s?\s+orders\b", r"orders on \1"),
    (r"\b(?:the )?monday[- ]to[- ]sunday week of\s+", ""),
    (r"^\W*split\s+", ""),
    (r"\bby the (hour|day|weekday|month|week) (?:they|it) (?:were|was) (?:placed|made|taken)\b", r"by \1"),
    (r",?\s*counting a customer as new in the month of (?:their|its) first (?:completed )?order\b", ""),
    (r"\bprecisely\b", "exactly"),
    (r"\s*[—–-]*\s*\b(?:i need |with )?one(?: figure| number| value| total)? (?:per|a|for each|for every) (month|week|day|quarter)\b",
     r" by \1"),
    (r"\bhad at least one (?:completed )?sale\b", "sold"),
    (r"\bexport (countries|markets|customers|sales|revenue)\b", r"\1 outside the uk"),
    (r"\bwhich pair of\b", "which two"),
    (r"\b(?:added|gained|won|attracted|acquired|brought in) the most (new|first[- ]time)\b", r"had the most \1"),
    (r"\s*\(\s*(?:anything|everything|any country|all) (?:but|except|other than) the uk\s*\)", ""),
    (r"\bhad at least one ordering customer\b", "placed orders"),
    (r",?\s*as usual\b", ""),
    (r"\s+in (?:that|this|the same) (?:window|span|stretch)\b", ""),
    (r"\bsplit (?:into|by) (?:calendar )?(quarter|month|week|day)s\b", r"by \1"),
    (r"\bacross (?=(?:19|20)\d\d\b)", "in "),
    (r"\b(completed |order )?lines on an order\b", r"\1lines per order"),
    (r"\bcancell?ed[- ]line value\b", "value of cancelled lines"),
    (r"\bhighest[- ]grossing\b", "highest"),
    (r"\b(?:heaviest|biggest|largest|most) order (?:traffic|volume)\b", "most orders"),
    (r"\bclock hours\b", "hours"),
    # rankings said as "the three highest days", "Four customer ids with the largest ...", "first-time customers"
    (r"\b(?:the\s+)?(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+(?:highest|best|biggest|strongest|busiest)\s+"
     r"(days|weeks|months|countries|products|customers|hours)\b", r"top \1 \2"),
    (r"\b(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten) customer ids\b", r"\1 customers"),
    (r"^\W*(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+(customers|countries|products|days|weeks|months|hours)\s+"
     r"with\s+the\s+(?:largest|highest|most|biggest)\b", r"top \1 \2 by"),
    (r"\bfirst[- ]time (customers|buyers|clients|shoppers)\b", r"new \1"),
    # "November 2011 against October 2011", "September against October 2011": two periods compared
    (r"(\b(?:19|20)\d\d|\b" + _MONTH_WORD + r")\s+against\s+(?=" + _MONTH_WORD + ")", r"\1 vs "),
    (r"\bhow many days\b([^?]{0,40}?)\bdid (?:at least one|an?|any) orders? (?:come in|arrive|get placed)\b",
     r"how many trading days\1"),
    (r"\bdid an? (?:order|basket) (?:carry|contain|hold|have) on average\b", "per order on average"),
    (r"\b(increase|decrease|rise|drop|fall|change|difference|growth) in (?:the )?(?:number of orders|order counts?)\b",
     r"\1 in orders"),
    (r"\b(have|has|had) never (?:completed|placed|made) (?:a single|an?|any) (?:completed )?(?:order|purchase)\b",
     r"\1 placed no orders"),
    (r"\bplaced their last (?:completed )?(?:order|purchase) before\b", "whose last order was before"),
    (r",?\s*with nothing (?:after|afterwards|since)\b", ""),
    (r"\b(?:over|across|in) (?:everything|all) in the data(?: ?set)?,?\s*", ""),
    (r"\breached (\w+) orders or more\b", r"placed \1 orders or more"),
    # a definition of new customers said again after the question
    (r"([?.])\s*(?:new|a new customer) (?:means|is|=) (?:the|their|whose) first (?:completed )?order (?:fell|falls|was|is|"
     r"came) in (?:that|the|each) (?:month|period|quarter|week|window)\.?\s*$", r"\1"),
    (r"[?.]\s*by (\w+) i mean (?:the )?(?=(?:stock )?codes? )", " "),  # "...? By postage I mean the stock codes POST and DOT."
    (r"\b(were|was) (?:booked|logged|recorded|processed|entered) as returns?\b", r"\1 returned"),
    # "average revenue per month": the mean of the months' totals, as "average monthly revenue" says
    (r"\b(average|avg|mean) ((?:net )?(?:revenue|sales|orders|units|turnover))\s+(?:per|a|each) (month|week)\b", r"\1 \3ly \2"),
    (r"\bdid an? (?:average|typical) (?:order|basket) (?:hold|contain|carry|have|include)\b", "per order on average"),
    (r"\b(ordered|bought|purchased|shopped) (?:the )?most (?:often|frequently)\b", "placed the most orders"),
    (r"\b(units|items|pieces),?\s+(?:net of returns|after returns),?\s+(per (?:order|basket))\b", r"net \1 \2"),
    (r"\b(?:is|are) (?:billed|booked|sold|recorded|charged|invoiced) (?:under|as|on) (?:the )?(?:stock )?codes\b",
     "is the stock codes"),
    (r"\bless that of\b", "minus"),
    (r"\b(?:the )?first (six|6) months of ((?:19|20)\d\d)\b", r"h1 \2"),
    (r"\b(?:the )?(?:first|opening) (three|3) months of ((?:19|20)\d\d)\b", r"q1 \2"),
    (r"\b(?:the )?(?:last|final|closing) (six|6) months of ((?:19|20)\d\d)\b", r"h2 \2"),
    (r"\b(?:the )?(?:last|final|closing) (three|3) months of ((?:19|20)\d\d)\b", r"q4 \2"),
    # "count the customers with an order in Q1 2011": those who ordered then
    (r"\b(customers|clients|buyers|accounts)\s+with\s+(?:an?|at least one|one or more|any)\s+(?:completed\s+)?"
     r"(?:order|purchase)s?\b(?=\s+(?:in|during|between|from|over|since)\b)", r"\1 who ordered"),
    (r",?\s*with (?:the )?(?:united kingdom|uk) (?:counted|included|in)\b", " "),  # a ranking that leaves nothing out
    (r",?\s*(?:the )?(?:united kingdom|uk) (?:counted|included)\b", " "),
    (r"(?:^\W*|(?<=[.:;?,]\s))(?:please\s+)?name\s+(?=the\s+(?:top\s+)?(?:\w+\s+){0,2}(?:countries|products|customers|accounts|"
     r"days|weeks|months|"
     r"hours|items|stock codes)\b)", "which are "),
    (r"\border counts?\b", "number of orders"),
    (r"\bdid (orders|revenue|net revenue|sales|units) peak\b", r"had the most \1"),
    (r",?\s*measured by (?:the )?(number of orders|orders|revenue|net revenue|units)\b", r" by \1"),
    (r"\bunit volumes?\b", "units"),
    (r"^\W*split\s+(?=[^?]*\bby\s+(?:calendar\s+)?(?:weekday|day of the week|month|quarter|week|day|hour|country)\b)", ""),
    # "Split November 2011's orders by weekday": orders by weekday
    (r"\bdid at least one customer (?:place|make) an order\b", "did customers order"),
    (r"\brepeat-(purchase|customer|buyer|order)", r"repeat \1"),
    (r",?\s*counting (?:a|each) customer in the (?:month|quarter|year|week) of their first order\b", " "),
    (r"\s*\(\s*customers whose first (?:completed )?order (?:fell|falls|was|came) in (?:that|the) (?:month|quarter|week|year)"
     r"\s*\)", " "),  # new customers defined again
    (r"\bran up (more than|over|at least) ([£$€]?\s?[\d,]+(?:\.\d+)?) (?:of|in) (?:net )?(?:spend|spending|revenue)\b",
     r"spent \1 \2"),
    # a measure defined again as the platform computes it
    (r"\bif you (?:leave|take|strip) out\b", "excluding"),
    (r"\bcancell?ed lines\s+worth\b", "value of cancelled lines"),
    (r",?\s*taking (?:the\s+)?quantity\s*(?:×|x|\*|times)\s*(?:the\s+)?unit price\b", " "),
    (r"\bhow many customers who ordered in (.{3,30}?) had already ordered (?:in an earlier month|before)\b",
     r"how many returning customers in \1"),
    # "October versus September: what was the increase in net revenue, in pounds?": the first less the second
    (r"(\b(?:versus|vs\.?)\b[^?]*?)\b(?:increase|rise|growth|change)\s+in\s+((?:net\s+|gross\s+)?(?:revenue|sales|orders|units))"
     r"(?:,?\s*in\s+(?:pounds|sterling|gbp|money terms|absolute terms))?", r"\1difference in \2"),
    (r"(?<!valued at )(?<!measured as )(?<!measured at )(?<!measured by )\b(?:total\s+)?quantity\s*(?:×|x|\*|times)\s*"
     r"(?:the\s+)?unit price\s+(?:across|of|on|over|for)\s+(?:the\s+|all\s+)?"
     r"cancell?ed lines\b", "cancelled revenue"),
    (r"\bnever got as far as (?:a|an|any) (?:completed )?order\b", "never completed an order"),
    (r"\s*\bon (?:our|the) customer (?:file|list|records?|database)\b", " on file"),
    (r",?\s*one row per (?:monday-start )?week(?: that (?:begins|starts) in [a-z]+)?\b", " "),
    (r"(\b(?:new|first[- ]time) (?:customers|buyers|clients)\b[^?]{0,40}?\b(?P<period>(?:[a-z]+\s+)?(?:19|20)\d\d)\b)[,;]?\s*(?:i\.?e\.?,?\s*|"
     r"meaning\s+|that is,?\s*|counting\s+)?(?:only\s+)?(?:those\s+|customers\s+|people\s+)?(?:whose|with (?:their|a))\s+"
     r"(?:very\s+)?first(?:[- ]ever)?\s+(?:completed\s+)?(?:order|purchase)\s+(?:was\s+|fell\s+|came\s+|is\s+)?"
     r"(?:dated\s+)?(?:in|during|within)\s+(?P=period)\b", r"\1"),  # "new customers in 2011, counting those whose first
    # order came in 2011": the same new customers
    # customers who cancelled: "how many separate customer accounts cancelled at least one order"
    (r"\b(customers|clients|buyers|accounts)\s+(?:who\s+|that\s+)?(?:have\s+|had\s+)?cancell?ed\s+(?:at least one|an?|any|one or more)\s+"
     r"(?:orders?|lines?)\b", r"\1 with a cancelled order"),
    # a shift of the warehouse staff, not goods shifted (before "shift" is read as "sold")
    (r"\b(?:late|early|night|day|morning|evening|weekend|warehouse)\s+shifts?\b|\bshift\s+(?:rota|pattern|plan|planner|"
     r"manager|lead|check)s?\b", "rota"),
    (r"\bcancellations\b([^?]{0,40}?),?\s*valued at (?:the\s+)?quantity\s*(?:×|x|\*|times)\s*(?:the\s+)?unit price"
     r"(?: of the cancell?ed lines)?", r"cancelled revenue\1"),  # cancellations by value, as the platform values them
    (r"\brepeat (customers|buyers|clients) who had (?:already )?(?:bought|ordered) before\b", r"returning \1 who had bought before"),
    (r",?\s*counting the (?:whole|entire|full) data(?:\s*set)?\b", " "),  # the whole history, as a figure without a period
    (r",?\s*counting the (?:units|quantity|qty) on (?:the |each )?cancell?ed lines?\b", " "),  # what cancelled units are
    # what a line's value is: "..., counting each cancelled line as quantity times unit price"
    (r",?\s*counting (?:each (?:cancell?ed |returned |completed )?line(?:'s value)? as |the value as )?(?:the )?(?:quantity|qty|"
     r"units) (?:times|x|\u00d7|multiplied by) (?:the |its )?(?:unit )?price\b", " "),
    (r"\bcounting (known|identified|registered) customers\b", r"from \1 customers"),
    (r"\b(units|items|pieces)\s+(were\s+)?taken off (?:the\s+)?(?:orders\s+)?(?:by|through|in|to) cancell?ations\b", r"\1 \2cancelled"),
    (r"\s*\(\s*completed (?:lines? |units? )?minus returned(?: lines?| units?)?\s*\)", " "),  # what net units are
    (r"\bwhat price did (.{3,80}?) (?:actually |really )?(?:go|sell) for on average\b", r"what was the average selling price of \1"),
    (r",?\s*\(?(?:i\.?e\.?,?|that is,?|meaning)?\s*only (?:stock )?codes (?:starting|beginning) with a (?:digit|number)\)?", " "),
    (r"[.?]\s*label (?:each|them|it|the hours) by (?:its|the|their) hour(?:'s number)?(?:,?\s*(?:e\.g\.?|for example|like)"
     r"\s*[^?]*?)?\s*[.?!]*\s*$", "?"),  # "Label each by its hour, e.g. 12 for 12:00-12:59."
    (r"[.?]\s*(?:please\s+)?(?:give|show|list)(?: me)? (?:their|the) (?:customer |client )?ids?(?:,? please)?\s*[.?!]*\s*$", "?"),
    (r"[.?]\s*count (?:the |only )?days with (?:at least one|an?|any) (?:completed )?orders?\s*[.?!]*\s*$", "?"),
    (r"\bhow many days\b(?=[^?]{0,40}?\b(?:did (?:we|you) (?:receive|get|take|have|see)|were there|there were|had|saw|with|"
     r"(?:that|which) (?:had|saw))\s+(?:more than|over|above|at least|fewer than|less than|under|below|at most)\s+\d+\s+"
     r"(?:completed\s+)?orders\b)", "how many trading days"),  # "how many days had more than 100 orders": days with orders
    (r"\bhow many days\b(?=[^?]{0,40}?" + DAY_REVENUE + ")", "how many trading days"),  # days by their revenue
    (r"\bhow many (?:calendar\s+)?days\b([^?]{0,40}?)\s+(?:had|saw|got|with)\s+(?:at least one|an?|any|one or more)\s+"
     r"(?:completed\s+)?orders?\b(?!\s+(?:of|from|for|by)\b)", r"how many trading days\1"),  # "days [..] had at least one order"
    (r"\bhow many days\b([^?]{0,40}?)\bdid (?:the warehouse|the shop|we|you) (?:have|get|receive|take) (?:any )?orders"
     r"(?: to (?:pack|pick|ship|dispatch))?", r"how many trading days\1"),
    (r"(?<!how many )(?<!number of )(?<!count of )(?<!count the )(?<=\w\s)trading (days?)\b", r"\1"),  # "the top three
    # trading days by revenue": days (a count of them, or "trading days" opening the question, is the measure)
    (r"\b(how many|number of|count of)\s+orders\b([^?]{0,40}?)\s+(?:that\s+)?(?:had|have|has|with|having|containing|contained|"
     r"carried)\s+(?:a|at least one|any|one or more|1 or more)\s+cancel+ed\s+lines?\b", r"\1 cancelled orders\2"),
    (r"\b(?:had|needed) to be (?:picked|packed|shipped|dispatched)\b", " "),
    (r"\b((?:completed )?(?:order )?lines) to (?:pick|pack|ship|dispatch)\b", r"\1"),
    (r"\b(?:overseas|foreign|international) (markets|countries|customers|buyers)\b", r"\1 outside the uk"),
    (r"\b(?:the )?widest reach\b,?\s*(?:i\.?e\.?,?|that is,?|meaning)?\s*(?:the )?most (?:different |distinct )?customers"
     r"(?: buying (?:them|it))?", "the most customers"),
    (r"\b(orders?)\s+to their names?\b", r"\1"),
    (r"\bhow many of that month's customers had (?:already )?bought (?:from us )?(?:in an earlier month|before)\b",
     "how many returning customers"),
    (r"\b(?:landed|came in)\b(?=\s+(?:between|before|after|from)\b)", "were placed"),
    # "weeks from the week of 4 July to the week of 19 September 2011": the weeks starting on those days
    (r"\bweeks\s+(?:from|between)\s+the\s+week\s+(?:of|commencing|starting|beginning)\s+([^?;,]{3,25}?)\s+"
     r"(?:to|until|through|thru|and)\s+"
     r"the\s+week\s+(?:of|commencing|starting|beginning)\s+", r"weeks from \1 to "),
    (r"(\b(?:every|each|all(?: the)?)\s+(?:(?:one\s+)?of\s+the\s+(?:four|4)\s+)?quarters?\s+of\s+(?:19|20)\d\d),?\s*\(?"
     r"q1\s+(?:through|thru|to|-|–|and)\s+q4\)?", r"\1"),  # "in every quarter of 2011, Q1 through Q4": said again
    # the frame a question comes in: "Exercise 7.", "Q12)", a bullet, "in the Online Retail data,"
    (r"^\W*(?:exercise|question|task|problem|ex\.?)\s*\d+[a-z]?\s*[.:)\]-]\s*", ""),
    (r"^\s*[•·*▪►-]\s+", ""),
    (r"\bin the (?:uci )?online retail (?:ii )?(?:data ?set|data)\b,?", " "),
    (r"\s+[-–—]\s+(?:count|number|units?|gbp|£|days|%|units/order|orders|customers)\s*$", ""),  # the unit asked for last
    (r"\b(?:produce|tabulate)\b", "show"),
    (r"\b(?:flog|flogs)\b", "sell"), (r"\bflogged\b", "sold"), (r"\bquid\b", "money"),
    (r"\btot(?:al)? up\b", "total"),
    (r"\b(bought|ordered|purchased|shopped)((?:\s+(?:from|with)\s+(?:us|you))?)\s+at least once\b", r"\1\2"),
    (r"\bdistribution of (.{3,40}?) (?:over|across|by) (?:the )?", r"\1 by "),
    # a named day said beside its date: "on Halloween, Monday 31 October 2011"
    (r"\b(?:halloween|valentine'?s day|christmas eve|christmas day|boxing day|new year'?s eve|black friday|cyber monday)"
     r"\s*,\s*(?=(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+)?\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3})", " "),
    # a weekday said before a date: "Thursday 1st to Wednesday 7th December 2011"
    (r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|(?:mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun)\.?)"
     r"\s*,?\s+(?=\d{1,2}(?:st|nd|rd|th)?\b)", ""),  # "daily orders mon 14 - fri 18 nov 2011"
    (r"\s*\(\s*mon(?:day)?\s*,\s*tue(?:sday)?\b[^()]{0,40}\)", " "),  # "by day of week (mon, tue, ...)": the grouping said again
    # a count of days before the month they lie in: "which 2 november 2011 days were busiest" (not 2 November)
    (r"\b(which|top|the|best|worst|busiest|quietest)\s+(\d{1,2}|two|three|four|five|six|seven|eight|nine|ten)\s+"
     r"((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?(?:\s+(?:19|20)\d\d)?)\s+(days|dates|weeks|trading days)\b",
     r"\1 \2 \4 in \3"),
    (r"(\bweeks\s+(?:starting|beginning|commencing)\b[^?]{1,40}?\b(?:through|to|until|till))\s+the\s+week\s+"
     r"(?:starting|beginning|commencing)\b", r"\1"),  # "the weeks starting A through the week starting B"
    (r"\b(?:on|in)\s+your\s+books\b", " "),
    (r"\bweeks\s+(?:starting|beginning|commencing)\s+(?:from\s+)?(?:mon(?:day)?\s+)?(?=\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]|"
     r"(?:19|20)\d\d-|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\s+\d)", "weeks from "),
    (r"\bweek[_ ]start\b(?:\s*\(\s*mon(?:day)?s?\s*\))?", "week"),  # a column name: "rev_net by week_start (mon)"
    (r"\(\s*monday starts?\s*\)", " "),
    (r"\bday[- ]by[- ]day\b", "daily"), (r"\bweek[- ]by[- ]week\b", "weekly"),
    # a season said beside the months it means: "over the autumn - September, October and November 2011"
    (r"\b(over|in|during)?\s*the\s+(?:summer|autumn|fall|winter|spring)(?:\s+(?:hols|holidays|season|months|period|peak))?"
     r"\s*[-,:–]?\s*(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)", r" \1 "),
    (r"[.?!]?\s*(?:customer\s+)?ids?\s+(?:are|is)\s+(?:fine|ok|okay|enough)\b\.?", " "),
    (r"\b(?:identified|registered)\s+(buyers?|customers?|clients?|accounts?)\b", r"\1"),
    # new customers defined again: "new customers ..., meaning customers whose first completed order fell between ..."
    (r"(\bnew (?:customers|buyers|clients)\b[^?]{0,40}?)[,;]?\s*(?:meaning|i\.?e\.?,?|that is,?)\s+(?:customers|those|people|"
     r"ones)\s+whose first (?:completed\s+)?(?:order|purchase)\s+(?:was|fell|came|is|happened)\s+", r"\1 "),
    (r"(?<=[a-z])_(?=[a-z])", " "), (r"\bcnt\b", "count"),  # column-style words pasted from a sheet: "net_rev", "orders_cnt"
    (r",?\s*\(?with guest (?:orders|checkouts) (?:included|counted) in the (?:denominator|total|whole)\)?|\(\s*guest "
     r"(?:orders|checkouts) (?:included|counted) in the (?:denominator|total|whole)\s*\)|,?\s*guest (?:orders|checkouts) "
     r"(?:included|counted) in the (?:denominator|total|whole)\b", " "),  # the whole of a share is every order: said again
    (r"\b(?:take|takes|took|taken|taking|rake|raked)\s+in\b(?!\s+(?:the|this|that|last|past|each|every|\d|jan|feb|mar|apr|may|jun|"
     r"jul|aug|sep|oct|nov|dec|q[1-4]|h[12]|week|month|year|quarter|total)\w*\b)", "revenue"),  # not "took in the last 7 days"
    (r"\b(?:pick|picks|picked|picking)\s+up\s+(?=(?:in|during|over|on|last|this)\b)", "acquired "),  # customers picked up
    (r"\bhow much (?:money )?(?:did|do|does|have|has) (?:we|you|the company|the business|the shop|the store|it) "
     r"(?:make|made|earn|earned|bring in|brought in|take|took|sell|sold)\b", "how much revenue did we"),
    (r"\brev\b", "revenue"),
    # a controller's shorthand: dashes, month-year and quarter-year with a dash ("Nov-11", "Jan-Nov 11", "Q3-11", "H1-11"),
    # calendar years ("CY11"), "ex-UK", abbreviated nouns and symbols
    (r"\s*[\u2013\u2014]\s*", lambda m: " - " if m.group(0).strip() != m.group(0) else "-"),
    (rf"\b({_MONTHS})[a-z]*\s*-\s*({_MONTHS})[a-z]*\s+'?(\d{{2}})\b(?!\s*(?:st|nd|rd|th)\b|:)", r"\1-\2 20\3"),
    (rf"\b({_MONTHS})[a-z]*\s?[-'\u2019/](\d{{2}})\b(?![-/:]\d)", r"\1 20\2"),
    (r"\b([qh][1-4])\s?[-'\u2019/](\d{2})\b(?![-/:]\d)", r"\1 20\2"),
    (r"\bcy\s?'?(\d{2})\b", r"20\1"), (r"\bcy\s?(\d{4})\b", r"\1"),
    (r"\bex[- ](?=(?:the\s+)?(?:uk|u\.k\.|united kingdom|gb|great britain|britain|eire|usa?|postage|post)\b)", "excluding "),
    (r"\bon (?:an? |the )?(?:average|typical|normal) (?:trading |working |business |selling )?day\b", "average per day"),
    (r"\btop-(\d+)\b", r"top \1"), (r"\bknown[- ]custs?\b", "known customers"),
    # a definition said again in brackets after the measure it defines: "(net rev \u00f7 net units)", "(qty x unit px)"
    (r"(\b(?:per unit|selling price|unit price|price per unit)\b[^()]{0,30}?)\(\s*(?:net\s+)?(?:rev|revenue|sales)\s*"
     r"(?:\u00f7|/|divided by|over)\s*(?:net\s+)?(?:units|qty|quantity)(?: sold)?\s*\)", r"\1"),
    (r"(\bper (?:buying |paying )?(?:cust|customer|buyer)\b[^()]{0,30}?)\(\s*(?:known[- ]cust(?:omer)?s?'?\s+)?(?:net\s+)?"
     r"(?:rev|revenue|sales)\s*(?:\u00f7|/|divided by|over)\s*(?:#|number of|count of)?\s*(?:custs|customers|buyers)\s+"
     r"(?:who|that)\s+(?:ordered|bought|purchased)\s*\)", r"\1"),
    (r"(\bvalue\b[^()]{0,40}?)\(\s*(?:qty|quantity|units)\s*(?:\u00d7|x|\*|times)\s*(?:the\s+)?unit\s+(?:px|price)"
     r"(?:\s*,\s*(?:cancell?ed|cxl) lines)?\s*\)", r"\1"),
    (r"\bcusts\b", "customers"), (r"\bctry\b", "country"), (r"\bctrys\b|\bctries\b", "countries"),
    (r"\bchkouts?\b", "checkout"), (r"\bpx\b", "price"), (r"\u00f7", " divided by "), (r"(?:^|\s)#\s?(?=[a-z])", " number of "),
    (r"\u0394\s?|\bdelta\b", "change in "),
    # SQL-ish English: aggregates in brackets and column = value conditions read as the words they stand for
    (r"\bcount\s*\(\s*distinct\s+(?:order|invoice)[_ ]?(?:ids?|nos?|numbers?)\s*\)", "orders"),
    (r"\bcount\s*\(\s*distinct\s+(?:customer|client)[_ ]?(?:ids?|nos?|numbers?)\s*\)", "customers"),
    (r"\bcount\s*\(\s*(orders|customers)\s*\)", r"\1"),
    (r"\b(sum|avg|average|max|min|median)\s*\(\s*([a-z_ ]+?)\s*\)",
     lambda m: {"sum": "total", "avg": "average", "max": "largest", "min": "smallest"}.get(m.group(1).lower(),
                                                                                       m.group(1)) + " " + m.group(2)),
    (r"\b(?:having|with)\s+(orders)\s*(>=|>|<=|<|=)\s*(\d+)\b",
     lambda m: f"with {CONDITION_WORDS[m.group(2)]} {m.group(3)} {m.group(1)}"),
    (r"\bcustomer[_ ]?id\s+is\s+not\s+null\b", "known customers"), (r"\bcustomer[_ ]?id\s+is\s+null\b", "guest orders"),
    (r"\b(?:order[_ ]?)?value\s*(>=|>|<=|<)\s*([\d.]+)", lambda m: f"orders of {CONDITION_WORDS[m.group(1)]} {m.group(2)}"),
    (r"\b(?:order[_ ]?)?date\s+between\s+'?(\d{4}-\d\d-\d\d)'?\s+and\s+'?(\d{4}-\d\d-\d\d)'?", r"from \1 to \2"),
    (r"\bmonth\s*=\s*'?(\d{4})-(\d\d)'?", r"in \1-\2"), (r"\byear\s*=\s*'?(\d{4})'?", r"in \1"),
    (r"\bhalf\s*=\s*'?(\d{4})-?h([12])'?", r"in h\2 \1"), (r"\bquarter\s*=\s*'?(\d{4})-?q([1-4])'?", r"in q\2 \1"),
    (r"\bcountry\s*(?:!=|<>)\s*'([^']+)'", r"excluding \1"), (r"\bcountry\s*=\s*'([^']+)'", r"in \1"),
    (r"\bcountry\s+in\s*\(([^()]*)\)", lambda m: "in " + " or ".join(v.strip(" '\"") for v in m.group(1).split(","))),
    (r"\bgroup\s+by\s+", "by "),
    # years said as words by speech to text: "twenty eleven", "two thousand and eleven"
    (r"\b(?:twenty|two thousand(?: and)?)\s+(nine|ten|eleven|twelve)\b",
     lambda m: str({"nine": 2009, "ten": 2010, "eleven": 2011, "twelve": 2012}[m.group(1).lower()])),
    # days said as ordinals ("the fourteenth of november"), spans as words ("the last thirty days")
    (rf"\b(?:the\s+)?({'|'.join(sorted((k.replace(' ', '[- ]') for k in _ORDINALS), key=len, reverse=True))})\s+of\s+"
     rf"(?=(?:{_MONTHS})[a-z]*\b)", lambda m: f"{_ORDINALS[re.sub(r'[- ]', ' ', m.group(1).lower())]} "),
    (r"\b(last|past|previous)\s+(seven|fourteen|twenty[- ]eight|thirty|sixty|ninety)\s+days\b",
     lambda m: f"{m.group(1)} {_DAY_SPANS[m.group(2).lower().replace('-', ' ')]} days"),
    # an accountant's words: a credit note is the invoice that cancels an order ("C" invoices in Online Retail)
    (r"[.,]?\s*credit notes? (?:not|excluded|are not) (?:counted|included)?\.?", " "), (r"\bsales invoices?\b", "orders"),
    (r"\binvoice value\b", "order value"),
    (r"\bcredit notes?\b", "cancelled orders"), (r",?\s*(?:to the (?:penny|cent|pound)|to two decimal places)\b", " "),
    # a store owner's phone shorthand and an auditor's definitions said in passing
    (r"\byrs?\b", "year"), (r"\bm(?:n)?ths?\b", "month"), (r"\bqtrs?\b", "quarter"), (r"\bwks?\b", "week"),
    (r"\bbefor\b", "before"), (r"\bcountrys\b", "countries"),
    (r"\b(?:than|vs\.?|versus|against|compared (?:to|with))\s+the (month|quarter|week|day|year) before\b", r"vs the previous \1"),
    (r"\bhow much (?:we|you) (?:sell|sold|make|made|take|took|earn|earned|do|did)\b", "how much revenue did we"),
    (r"\bnot uk\b", "excluding uk"), (r"\bwhose country is not\b", "excluding"),
    (r",?\s*(?:december|the last month|the final month)(?:\s+\d{4})?\s+being\s+(?:to|up to|until)\s+the\s+\d{1,2}(?:st|nd|rd|th)?\b",
     " "),
    (r"\bmoved\s+(?=(?:the\s+)?(?:most|fewest|least|\d+)?\s*(?:units|items|stock|pieces)\b)", "sold "),
    (r"\b(?:distinct\s+)?orders\s+(?:that\s+)?(?:contained|containing|with|having)\s+at least one completed line\b", "orders"),
    (r",?\s*an order being counted only (?:where|when|if) it contains at least one completed line\b", " "),
    (r",?\s*(?:net\s+)?revenue being (?:the\s+)?(?:value of\s+)?completed lines?(?:'s?)?(?:\s+value)?\s+(?:less|minus)\s+returned "
     r"lines?(?:'s?)?(?:\s+value)?\b", " "),
    (r"(\b(?:orders?|customers?|clients?)\b[^.?]{0,40}?)\s+in their lifetime\b", r"\1"),
    # the definition of a trading day said after the question, as the platform counts it
    (r"\?\s*an?\s+(?:trading|selling|business)\s+day\s+(?:is|means|being)\s+(?:a|any)\s+day\s+(?:with|that has|having)\s+"
     r"(?:at least one|an?|any)\s+(?:completed\s+)?orders?\s*\.?\s*$", "?"),
    (r"\b(days?)\b([^?]{0,30}?)\s+(?:had|with|saw|having)\s+(?:at least (?:one|1)|any|an?)\s+orders?"
     r"(?:\s+(?:going out|placed|shipped|sold|coming in))?\b", r"trading \1\2"),  # "days in Q1 with at least one order"
    (r"\b(?:bought|purchased|ordered) by (?:our\s+)?(?:customers|clients)\s+(outside(?: of)?|in|from|based in)\b", r"sold \1"),
    (r"\b(pack|packs|pick|picks|ship)\b(?=\s+(?:in|on|during|last|this|yesterday|\d))", "sell"),
    (r"\b(?:(?:went|gone|going|go|goes)\s+)?out (?:of )?the door\b", "sold"), (r"\bcame on board\b|\bcome on board\b", " "),
    (r"\b(?:gave|brought|got) us\b", "had"), (r"\bset against\b|\bagainst\b(?!\s+(?:the\s+)?(?:same|previous|prior|preceding))", "vs"),
    (r"[.,]?\s*use all (?:net )?revenue,? (?:guest orders included,? )?as the (?:base|denominator|whole)\b\.?", " "),
    (r"\bthe (?:single )?(?:biggest|largest|top) (?:customer|client)\b(?:\s+(?:that|of the) year)?", "the top 1 customers"),
    (r"(\b(?:by )?what factor\b[^?]*?)\bexceed(?:ed|s)?\b", r"\1 vs"),
    (r"\bwhat (?:did|do|does) ([^?]{1,40}?) (?:bring in|brought in|generate|generated)\b", r"how much revenue did \1 bring in"),
    (r"\bn (?:distinct )?(?=orders|customers|new customers|active customers|units|lines|products)", "number of "),
    (r"\b(\d{4}-\d\d-\d\d)\s*\.\.\s*(\d{4}-\d\d-\d\d)\b", r"from \1 to \2"), (r"\b(\d{4})-(q[1-4]|h[12])\b", r"\2 \1"),
    (r"\bgbp\b", " "), (r"\bis on the (?:line|phone)\b", " "), (r"\bput together\b", "together"),
    (r"\bspread across the days of the week\b|\bspread over the weekdays\b", "by weekday"),
    (r"\bmon(?:day)?\s+(\d{1,2})\s+to\s+sun(?:day)?\s+(\d{1,2})\b", r"\1 to \2"),
    (r"\(?\s*\b(?:december|the last month)\s+(?:runs|goes|is)\s+(?:only\s+)?to the \d{1,2}(?:st|nd|rd|th)?\s*\)?", " "),
    (r"[-,]?\s*completed units minus returned units\b", " "),
    # a value's definition said in passing: "measured as quantity times unit price of the cancelled lines"
    (r"[-,]?\s*(?:(?:measured|calculated|computed|valued|taken|priced|worked out) (?:as|at)\s+)?(?:where [a-z ]{1,30} is (?:the )?)?(?:(?:completed|cancelled|"
     r"returned) )?(?:lines'? )?(?:at\s+)?(?<!\bsum of )(?<!\btotal of )(?:quantity|qty|units) (?:x|\u00d7|\*|times|multiplied by) "
     r"(?:the\s+)?unit price\b"
     r"(?:\s+of\s+(?:the\s+)?(?:cancell?ed|returned|completed)\s+lines)?(?:,? before any returns come off)?", " "),
    (r"\bper net unit\b", "per unit"), (r"\b(customers|clients|buyers) new in\b", r"new \1 in"),
    (r"\b(bring in|brought in|bring|brought) that (?:same )?(?:month|quarter|year|week)\b", r"\1"),
    (r"\b(orders?)\s+(?:had|have|has|with)\s+an?\s+(?:order\s+)?value\s+(?=above|over|below|under|of more|of less|greater|higher|lower)",
     r"\1 with a value "),
    # a board pack's and the Paris office's wordings
    (r"\bwithout\s+(?=(?:the\s+)?(?:postage|uk\b|u\.k\.|united kingdom|britain|great britain|non[- ]?product|other codes))",
     "excluding "),
    (r"\b(?:the\s+)?other codes which are not products\b|\b(?:the\s+)?other codes that are not products\b",
     "other non-product codes"),
    (r"\b(?:the\s+)?evolution\b", "the change"), (r"\bsince the (?=\d{1,2}(?:st|nd|rd|th)?\s)", "since "),
    (r"\bfirst semester\b", "first half"), (r"\bsecond semester\b", "second half"),
    (r"\bfirst half\s+and\s+(?:the\s+)?second half\s+of\s+((?:19|20)\d\d)\b", r"h1 \1 and h2 \1"),
    (r"\b(?:average|avg|mean) amount of (?:one|an|a single|each) order\b", "average order value"),
    (r"\bone time\b", "once"), (r"\btwo times\b", "twice"),
    (r",?\s*(?:the\s+)?(?:denominator|whole|total)\s+being\s+(?:all\s+)?[^,.?]{0,40}?\bincluding\s+guest\s+(?:orders|checkouts)\b",
     " "),
    (r"\bidentified (customers?|clients?)\b", r"known \1"),
    (r"\bcalendar (quarters?|months?|years?|weeks?)\b", r"\1"),
    (r",?\s*the (?:fourth|last|final|latest) (?:quarter|month) being (?:to|up to|until|through) \d{1,2}(?:st|nd|rd|th)? [a-z]+\b",
     " "),
    (r"(\b(?:average selling price|selling price|price per unit|average order value|aov)\b[^.?]*?)[:,]?\s*(?:being\s+|i\.e\.\s+|=\s*)?"
     r"(?:net\s+)?revenue\s+(?:divided by|over|/)\s+(?:the\s+number\s+of\s+|net\s+)?(?:units|orders)\b", r"\1"),
    (r"\bwhich part of\b", "what share of"), (r",?\s*in percent of all the (?:turnover|revenue|sales)\b", " "),
    (r",?\s*and (?:have|has) not (?:ordered|bought|purchased) since\b", " "),
    (r"\b(?:did|do|does|have|has) not (?:order|ordered|buy|bought|purchase|purchased)(?: anymore| any more)? since\b",
     "made no purchase since"),
    (r"\b(?:have|has|had) not (?:ordered|bought|purchased) in\b", "made no purchase in"),
    (r"\b(?:who|that) (?:have|has) ordered at some point\b", " "),
    (r"\b(?:one[- ]time|one[- ]off|non[- ]?repeat|single[- ]order) (?:customers|buyers|clients|purchasers|shoppers)\b",
     r"customers with exactly one order"),
    (r",?\s*\b(?:meaning|i\.e\.?)\s+(?=customers with\b)", " "),
    # an intern's chatter: greetings, what the figure is for, sign-offs, texting spellings, a definition said again
    (r"\b(?:hiya|lol|lmao|omg|haha)\b[!.,]*|^\W*(?:hey|hi|hello|ok|okay)\b[!.,]*(?:\s+so\b)?", " "),
    (r"\bu\b", "you"), (r"\bim\b", "i am"), (r"\b(?:wanna|wana)\b", "want to"), (r"\bppl\b", "people"),
    (r"\bmore then\b", "more than"), (r"\bone single\b", "one"),
    (r"\b(?:i am|i'm)\s+(?:new (?:on|to|in) the \w+ team|putting together|working on|preparing|writing|doing|making)\b[^.?!,]*?"
     r"(?:\s+-\s+|[,:]\s*|\s+and\s+(?=my\b)|\.\s+)", " "),
    (r"^\W*(?:so\s+)?for (?:a|an|our|my|the)\s+(?:\w+\s+){0,2}?(?:slide|deck|post|newsletter|email|presentation|meeting|board pack|"
     r"update|report)\b,?\s*(?:i\s+(?:want to|need to|have to|must|would like to)\s+(?:say|know|show|report|include)\s*)?", " "),
    (r"\b(?:my (?:manager|boss)) (?:asked me|wants to know)\b", " "),
    (r"\b(?:ok(?:ay)?,?\s+)?this (?:might|may|could) be a (?:weird|wierd|dumb|silly|strange|odd|stupid) one,?(?:\s+but)?\b|"
     r"\b(?:a\s+)?(?:quick|weird|wierd|easy|simple|odd) one(?: i think)?\b(?!\s+from\b)|\bsorry if this is (?:obvious|basic|silly)\b,?(?:\s+but)?", " "),
    (r"[.?!]?\s*(?:is (?:that|this) something (?:you|u) can (?:pull|do|get|find|work out)|can (?:you|u) (?:work|figure) "
     r"(?:that|it|this) out|how many (?:is|was) (?:that|it)(?: on that day)?)\W*$", " "),
    (r"\(\s*(?:that'?s|that is|i\.e\.?|aka)\s+[^()]*?\bright\s*\?*\s*\)", " "),  # "(thats friday 25th nov right?)"
    (r"\b(?:in|on) (?:our|the) (?:database|system|crm|books)\b", " "), (r"\bnever actually\b", "never"),
    (r",?\s*so\s+(\d+)\s+or\s+more\s+(orders|purchases)(?:\s+in total)?\b", r" with at least \1 \2"),
    (r"[,.?!-]*\s*not orders,?\s*(?:actual|real)\s+(?:people|customers|humans)\b", " "),
    (r"\b(?:the\s+)?one[- ]and[- ]done(?:\s+(?:people|customers|buyers|crowd|ones))?\b", "customers with exactly one order"),
    (r"(\bnew (?:customers|clients|buyers)\b[^.?!]*?[.?!]*)\s*(?:like|meaning|i\.e\.?|so|i mean|that is)?,?\s*"
     r"(?:people|customers|those|ones)\s+(?:whose|with (?:their|a))\s+(?:very\s+)?first(?:[- ]ever)?\s+(?:order|purchase)\b[^.?!]*",
     r"\1"),
    (r"[.?!]?\s*\bnew\s*(?:=|means|is)\s*(?:their\s+)?(?:very\s+)?first(?:[- ]ever)? (?:order|purchase)\b[^.?!]*", " "),
    (r"(\breturning (?:customers|clients|buyers)\b[^.?!]*?[.?!]*)\s*(?:meaning|i\.e\.?|like|so|i mean|that is)?,?\s*"
     r"(?:people|customers|those)\s+who\s+(?:had\s+)?(?:already\s+)?(?:ordered|bought|purchased)\s+before\b[^.?!]*?"
     r"\b(?:ordered|bought|purchased)\s+again\b[^.?!]*", r"\1"),
    # a difference's order said again at its end ("Just May minus April, please.", "- November minus October?"): the
    # answer card reads it from the question as asked; "by how much was February below January"
    (r"(?:\?\s*(?:(?:just|simply|give me|i want|i\.e\.?,?|that is|so|please)\s+)*|\s[-–—]\s*|\s*\(\s*)(?:the\s+)?(?:" + _PERIOD_WORD
     + r")\s+minus\s+(?:the\s+)?(?:" + _PERIOD_WORD + r")\s*\)?(?:,?\s*please)?\s*[.?!]?\s*$", "?"),
    (r"\bby how much (was|were) (.{3,60}?)\s+below\s+(.{3,40}?)(?=\s*[?.]|$)", r"how much lower \1 \2 than \3"),
    # "net revenue for November 2011 less net revenue for September 2011": the measure said again after "less"
    (rf"\bless\s+(?=(?:the\s+)?(?:net\s+|gross\s+)?(?:revenue|sales|orders|units|turnover|takings)\s+(?:for|in|of|from|during)\s+"
     rf"(?:q[1-4]\b|h[12]\b|(?:19|20)\d\d\b|(?:{_MONTHS})[a-z]*\b))", "minus "),
    (rf"\b(?:minus|less)\s+(?:the\s+(?:number|amount|figure|total|value|count)(?:\s+of\s+\w+)?(?:\s+(?:taken|made|placed|"
     rf"booked|received|sold))?\s+(?:in\s+|on\s+|for\s+)?)?(?=(?:the\s+same\s+\w+\s+(?:of|in)\s+)?(?:q[1-4]|h[12]|(?:19|20)\d\d|"
     rf"(?:{_MONTHS})[a-z]*|\d{{1,2}}(?:st|nd|rd|th)?(?:\s*-\s*\d{{1,2}})?\s+(?:{_MONTHS})[a-z]*)\b)",
     "difference to "),  # one period less another: "H2-11 less H1-11", "2011 minus 2010", "less the number taken 1-9 Dec"
    (r"\bsince the (?:beginning|start) of (?:the|this) year(?:\s+(?:until|till|to|up to)\s+(?:today|now))?", "year to date"),
    # "year-to-date net revenue as at 9 December 2011": the day said next to what it ends
    (rf"\b(year|quarter|month)[ -]to[ -]date\b([^.?;]{{1,40}}?)\s+(as\s+(?:at|of|on)|up\s+to|until|through|ending)\s+"
     rf"(\d{{1,2}}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:{_MONTHS})[a-z]*,?\s+(?:19|20)\d\d)\b", r"\2 \1 to date \3 \4"),
    # shorthand as people type it
    (r"\b(?:pls|plz|please|thx|thanks|cheers|rn|atm|right now|at the moment|currently|on file|on record|on (?:the|our) books|in (?:the|our) books|"
     r"closing (?:the|our) books(?: for)?|i\.e\.?,?|e\.g\.?,?|"
     r"i (?:look after|manage|run|handle|cover|am responsible for)|(?:classed|classified|categori[sz]ed|labell?ed) as|"
     r"(?:guest (?:checkouts?|orders?)|guests|anonymous orders?)\s+(?:included|too)|including (?:guest (?:checkouts?|"
     r"orders?)|guests|anonymous orders?))\b",
     " "),
    (r"\bexcl\.?(?=\s)|\bexcl\b|\bw/o\b", "excluding"),
    (r"\bweek\s+(?:that|which)\s+(?:starts|begins|commences)\b", "week starting"),
    (r"\b(value|units|quantity|qty) of (?:the\s+)?(?:order\s+)?lines\s+(cancell?ed|returned)\b", r"\1 of \2 lines"),
    # v49's wordings: definitions said again, and plain words for things the engine reads
    (r",?\s*\b(?:valued|summing|summed|counted|measured)\s+(?:on|over|by|as)?\s*(?:its|their|the)\s+completed\s+lines\b", " "),
    (r"[.;,]?\s*\(?\s*(?:an order counts as cancell?ed|a cancell?ed order is one|count an order as cancell?ed)\s+if\s+(?:any|at least "
     r"one|one or more)\s+of\s+its\s+lines\s+(?:was|is|were|got)\s+cancell?ed\s*\)?", " "),
    (r"\s*\(\s*an order with (?:any|a|at least one) cancell?ed line counts\s*\)", " "),
    (r"\bcame through as\b", "were"),
    (r"\bpostage charged\b", "postage revenue"),
    (r"\bpeak (order count|orders|revenue|net revenue) on (?:any )?(?:one|a single) day\b", r"most \1 on a single day"),
    (r"\b(\d+)\+\s+(completed\s+)?(lines|units)\b", r"at least \1 \2\3"),
    (r",?\s*\bguest (?:orders|checkouts) and all\b,?", " including guest orders,"),
    (r"\babroad\s*\(\s*outside the uk\s*\)", "outside the uk"),
    (r"\boverseas\s*\(\s*non-uk\s*\)", "non-uk"),
    (r"\b(customers|clients|buyers|accounts)\s+whose\s+(?:very\s+)?first\s+(?:completed\s+)?order\s+(?:came|fell|was|happened|"
     r"landed)\s+in\b", r"new \1 in"),
    (r"\bbought at least one such (?:item|product)\b", "bought"),
    (r"\bwith the word ['\"]?([a-z0-9&-]{2,30})['\"]? in (?:the|its|their) (?:product )?names?\b", r"with '\1' in the name"),
    (r"\bsell for per unit\b", "sell for on average"),
    (r"\bin that half-year\b", "then"),
    (r"\s*-?\s*how many customers fit that\b", " how many customers"),
    (r"^\W*in your case,?\s*", ""), (r"[.,]\s*in your case,?\s*", ". "),
    (r"\bat least twice\b", "more than once"),
    (r"\b(?:are|is)\s+labell?ed\s+(?=[A-Z]|champions|loyal|at risk|hibernating|lost|potential|promising|need|about|cannot|can't)",
     "are "),
    (r"\s*\(\s*(?:stock\s+)?codes\s+(?:that\s+)?start(?:ing|s)?\s+with\s+a\s+digit[^)]{0,40}\)", " excluding non-product codes"),
    (r"\bbreak\s+(?:the\s+)?(.{3,40}?)\s+down\s+by\b", r"\1 by"),
    (r",?\s*(?:if you like|if you will|if you want|if you prefer)\b", " "),
    (r"\b(?:the\s+)?(?:customers\s+)?the rfm (?:model|segmentation)\s+(?:calls|labels|names|puts in)\s+", "customers in the segment "),
    (r"\b(?:orders?)\s+that\s+fell\s+on\b", "orders placed on"),
    (r"\b(?:in\s+)?(?:every|each)\s+quarter\s+of\s+(q[1-4])\s+to\s+(q[1-4])\s+((?:19|20)\d{2})\b", r"in every quarter from \1 \3 to \2 \3"),
    (r"\b(?:each|every|per|by)\s+(?:calendar\s+)?date\b|\bdate by date\b", "each day"),  # "order count for each date in the week"
    # growth said from a base: "Taking Q2 2011 as the base, how much did net revenue rise in Q3 2011"
    (r"^\W*(?:taking|take|with|using|use)\s+(.{2,40}?)\s+as\s+(?:the\s+)?(?:base|baseline|starting point|reference)\s*,?\s*"
     r"(how much did .{2,40}? (?:rise|grow|increase|fall|drop|change|go up|go down))\s+(?:in|during|by)\s+", r"\2 from \1 to "),
    # non-product codes said by their shape: "codes starting with a digit - so no postage", "codes not starting with a digit"
    (r",?\s*(?:counting\s+)?only\s+real\s+products,?\s*\(?\s*(?:no postage or other |so no postage,? )?(?:stock\s+)?codes\s+"
     r"(?:not\s+)?starting with a digit(?:\s*[-,]\s*so no postage)?\s*\)?", " counting only real products"),
    (r"\b(?:non-product codes|codes that are not products)\b[^?.]{0,20}?\s*[-,(]\s*(?:i\.e\.?|ie|that is)?\s*postage,\s*manual entries,\s*"
     r"fees,?\s*(?:and\s+)?anything whose stock code (?:doesn't|does not) start with a digit\)?", "non-product codes"),
    (r"\b(?:adding up|summing|totalling|totaling)\s+(?=every product|all products|each product|products)", ""),
    (r"\bover the (?:full|whole|entire) data(?:\s*set)?\s+(?=from\b)", ""),
    (r"\bthat same (month|quarter|year|week|period)\b", r"that \1"),  # never "the same month last year"
    (r"\b(?:broadest|widest|largest|biggest) customer base\b", "most customers"),
    (r"\b(?:with|having)\s+(?:just\s+|only\s+)?one or two\s+(completed\s+)?lines\b", r"with at most 2 \1lines"),
    (r"\b(lines?)\s+(?:were|was)\s+(?:written|entered|keyed|booked)\b", r"\1"),
    (r"\s*\(?\s*(?:through|to|until|till|ending(?: on)?)\s+sunday\s+(?:the\s+)?\d{1,2}(?:st|nd|rd|th)?\s*\)?(?=\s*[?.]?\s*$)", " "),
    (r"\b(?:the\s+)?(?:churn\s+)?model\s+(?:puts|places|put|place|assigns|flags)\s+(?=in(?:to)?\s+the\s+(?:high|medium|low))", ""),
    (r"\b(?:everyone|every customer|all customers|everybody)\s+in\s+the\s+rfm\s+(?:table|mart|segmentation|model)\b",
     "all rfm-scored customers"),
    (r"^\W*['\"\u2018\u201c]?([a-z0-9&-]{2,30})['\"\u2019\u201d]?\s*:\s*(.+?)\s+(?:carry|have|hold|contain|include)\s+that word in "
     r"(?:the|their|its)\s+(?:product\s+)?(?:names?|descriptions?)\s*\??\s*$", r"\2 with '\1' in the name?"),
    # what a new customer is, said again: "..., i.e. placed their first completed order in it", "new meaning their first
    # completed order fell in that week"
    (r"(\bnew\b[^?]{0,120}?)[,.;\s]*(?:(?:i\.e\.?,?|ie|meaning|that is|new meaning|new being|where new means)\s+(?:customers\s+)?"
     r"(?:(?:whose|who placed|placed|with|having)\s+)?|(?:customers\s+)?(?:whose|who placed|placed|with|having)\s+)(?:their\s+|a\s+)?"
     r"first\s+(?:completed\s+)?order\s+(?:was\s+|fell\s+|came\s+|falls\s+|"
     r"landed\s+|is\s+)?(?:in\s+it|in\s+that\s+(?:month|week|quarter|period|year)|then|that\s+(?:month|week)|in\s+the\s+(?:month|"
     r"week|quarter|period))\b", r"\1"),
    # how to label the rows of a series, said in passing: "labelled by the Monday", "label each hour by its start"
    (r"[,.;]?\s*(?:labell?ed|label (?:each|them|it|the rows)(?:\s+\w+)?|named|dated)\s+by\s+(?:the|its|their|each week's|each)\s+"
     r"(?:monday|mondays|start(?:ing)?(?:\s+(?:date|hour|time|day))?|first day|week-start date|start of the week)\b", " "),
    # a cancelled order is one with a cancelled line: "what share of orders had at least one cancelled line"
    (r"\bof (all\s+|the\s+)?orders\s+(?:that\s+)?(?:had|have|has|contained|included|carried)\s+(?:at least one|a|any|one or more)\s+"
     r"cancell?ed\s+(?:lines?|items?)\b", r"of \1orders were cancelled"),
    (r"\bhow many (?:of (?:the|our)\s+)?orders\s+(?:that\s+)?(had|have|contained|included|carried)\s+(?:at least one|a|any|one or more)\s+"
     r"cancell?ed\s+(?:lines?|items?)\b", "how many cancelled orders"),
    # "the difference in revenue between October and November 2011": the two months, never the span they make
    (r"\b(differences?|gap|change|variance)\b([^?]{0,60}?)\bbetween\s+((?:january|february|march|april|may|june|july|"
     r"august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sept|sep|oct|nov|dec)(?:\s+(?:19|20)\d{2})?)"
     r"\s+and\s+(?=(?:january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|"
     r"apr|jun|jul|aug|sept|sep|oct|nov|dec)\b)", r"\1\2 between \3 vs "),
    # a definition said again in passing: who a guest is, who a returning customer is, that the UK counts too
    (r",?\s*\b(?:meaning|i\.e\.?|ie|that is|so)\s*,?\s*(?:that\s+)?(?:no|without an?)\s+customer\s+(?:id|number|account)"
     r"(?:\s+(?:was|is|were|got|had been))?(?:\s+(?:captured|recorded|given|attached|taken|entered|known|logged))?\b", " "),
    (r"\breturning ones\b", "returning customers"),
    (r"[.?!]\s*(?:count|include|keep)\s+the\s+(?:uk|united kingdom)\s+(?:as one of them|too|as well|in (?:it|the count))\s*[.!]?\s*$",
     "?"),
    (r"\bbasket size in (?:rows|lines)\b", "lines per order"),
    # a list added up: "Germany, France, the Netherlands or Belgium combined" is the four together
    (r"\bor\b(?=[^?.]{1,40}\b(?:combined|together|altogether|between them)\b)", "and"),
    # "whose latest completed order falls before 1 March 2011"
    (r"\b(order|purchase)\s+(?:falls|fell|lies|lay|sits|sat|lands|landed|comes|came)\s+(?=(?:before|after|on or before|on or after)\b)",
     r"\1 was "),
    # guests kept in, said as an instruction ("Revenue in 2011 - it should include guests."): every order, no filter
    # ("keep guest orders out" leaves them out: never read here; "how many orders include guest checkouts" asks)
    (r"(?:^\W*|[-–—,;.?!]\s*|\bplease\s+|\b(?:it|that|this|the figure|the total)\s+(?:should|must|needs? to|has to)\s+)"
     r"(?:(?:include|including)\s+(?:the\s+|all\s+)?(?:guest\s+(?:checkouts?|orders?|customers?|buyers?|sales)|guests|"
     r"anonymous\s+orders?)(?:\s+(?:too|as well|in it|in the total))?|keep\s+(?:the\s+|all\s+)?(?:guest\s+(?:checkouts?|orders?)|guests|"
     r"anonymous\s+orders?)\s+(?:in|too|as well)(?:\s+the\s+(?:total|figure))?)\b(?!\s+(?:out|aside|away|off)\b)", " "),
    # a region said by its name: the Nordic countries are these five
    (r"\b(?:the\s+)?nordics?\b(?:\s+(markets|countries|nations|region)\b)?",
     lambda m: "sweden, norway, denmark, finland and iceland" + (" countries" if m.group(1) else "")),
    (r"\b(?:the\s+)?benelux\b(?:\s+(markets|countries|nations|region)\b)?",
     lambda m: "belgium, netherlands and luxembourg" + (" countries" if m.group(1) else "")),
    (r"\b(?:the\s+)?dach\b(?:\s+(markets|countries|nations|region)\b)?",
     lambda m: "germany, austria and switzerland" + (" countries" if m.group(1) else "")),
    (r"\b(?:the\s+)?iberian?(?:\s+peninsula)?\b(?:\s+(markets|countries|nations|region)\b)?",
     lambda m: "spain and portugal" + (" countries" if m.group(1) else "")),
    (r"\bsaw\b", "had"),  # "which months saw the most returns"
    (r",?\s*\b(?:highest|largest|biggest|most|top)\s+first\b|,?\s*\bin\s+descending\s+order\b", " "),
    (r"[,.]?\s*\b(?:lowest|smallest|least|weakest|fewest)\s+first\b\.?|,?\s*\bin\s+ascending\s+order\b", " "),
    # "the weeks starting Monday 31 October 2011 through Monday 28 November 2011": from one day to the other
    (r"\b(?:(?:for|in)\s+)?the\s+weeks\s+(?:starting|beginning|commencing)\s+(?:on\s+|from\s+)?(?:mon(?:day)?\s+)?"
     r"(?=\d[^?]{0,40}?\b(?:through|thru|to|until|till)\s+(?:mon(?:day)?\s+)?\d)", " weeks from "),
    (r"\b(through|thru|to|until|till)\s+mon(?:day)?\s+(?=\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?[a-z]{3,9}\b)", r"\1 "),
    (r"\bby how (much|many)((?:\s+[a-z]+)?)\s+did\b(.{3,80}?)\b(?:exceed|beat|outstrip|top|surpass)(?:ed)?\b",
     r"how \1 more\2 was\3 than"),  # "by how many orders did Q3 beat Q2": the difference
    # asides in brackets that hedge or say what the asker knows: "(I know the data only starts on 1 Dec 2010)",
    # "(calendar quarters, I assume)", "(sorry, I know it's probably in a dashboard somewhere already)"
    (r"\((?=[^()]*\b(?:sorry|apologies|apologi[sz]e|i (?:know|believe|think|assume|guess|only|am|was)|i'm|i've|"
     r"feel free|correct me|not (?:entirely |completely |100% )?sure|probably|if i'?ve understood|just (?:checking|curious)|"
     r"silly|basic|dumb)\b)[^()]{0,160}\)", " "),
    # a hedging preamble before the question itself: "Sorry if this is a basic one, but", "I've been asked to
    # check one number for a deck (not entirely sure why it matters, but anyway):"
    (r"^\W*(?=[^?:]{0,200}?\b(?:sorry|apologies|silly|basic|dumb|stupid|still getting my head|i'?ve been asked|"
     r"i was asked|i only started|new here|still learning|if i'?ve understood|bear with me)\b)"
     r"(?:(?!\b(?:revenue|sales|turnover|orders?|customers?|units|products?|france|germany|uk)\b|\d)[^?:]){0,200}?"
     r"(?:,\s*but(?:\s+anyway)?\s*[:,]?|:)\s*", ""),  # never past a measure, a number or a name
    (r"\b(?:but\s+)?(?:please\s+)?include it anyway\b", " "),
    # who the figure is for: "Pulling together this week's status email:", "For the weekly email:", "basket line:"
    (r"\b(?:pulling together|putting together|writing|drafting|prepping|preparing)\s+(?:this week'?s\s+|the\s+|my\s+|our\s+|a\s+)?"
     r"(?:weekly\s+|monthly\s+)?(?:status\s+)?(?:e-?mail|mail|update|newsletter|report)\b\s*[:,-]?", " "),
    (r"\b(?:for|in)\s+(?:this week'?s\s+|the\s+|my\s+|our\s+|a\s+)(?:weekly\s+|monthly\s+)?(?:status\s+)?(?:e-?mail|mail|"
     r"update|newsletter)\b\s*[:,-]?|\b(?:status\s+)?e-?mail\s*,\s*(?:[a-z-]+\s+)?line\s*[:,-]|\b(?:[a-z-]+\s+)?line for the "
     r"(?:status\s+)?(?:e-?mail|mail|update|deck|report)\b\s*[:,-]?", " "),
    # a definition said again, the platform's own: net revenue, an order's value, the period's new and active customers
    (r",?\s*\(?(?:net\s+)?(?:meaning|i\.e\.?|that is|defined as|where)\s+completed line value minus returned line value"
     r"(?:\s*,?\s*(?:and\s+)?cancelled lines (?:excluded|not counted|count for nothing|left out|ignored))?\)?", " "),
    (r",?\s*where an order'?s value is the sum of its completed lines\b", " "),
    (r",?\s*\(?(?:meaning|i\.e\.?|that is|defined as)\s+(?:people|customers|those)\s+whose\s+(?:very\s+)?first\s+(?:completed\s+)?"
     r"order\s+(?:was|is|fell|falls)\s+in\s+(?:that|the|this)\s+(?:month|period|week|quarter|year)\)?", " "),
    (r"\(\s*(?:customers|people) who (?:placed|made|had) at least one (?:completed )?order (?:that|in the|in that|each) month\s*\)",
     " "),
    (r"\s*\(\s*quantity\s*(?:x|\*|times)\s*unit price(?:\s+of (?:the\s+)?cancell?ed lines)?\s*\)", " "),
    (r"\bgross value\s+of\b", "value of"),
    (r"(\bcustomers\b[^()]{0,80}?)\s*\(\s*guest (?:orders?|checkouts?) (?:not counted|excluded|left out|not included)\s*\)",
     r"\1"),  # "customers outside the UK (guest orders not counted)": guests are no customers
    (r"\s*\(\s*(?:i\.e\.\s*)?(?:the\s+)?stock codes that (?:do not|don't) start with a digit[^()]{0,80}\)", " "),
    (r"\bfrom the (?:very )?(?:start|beginning) of the data (?=(?:through|thru|to|until|till|up to)\b)", " "),
    (r"\bunits moved\b|\bmoved units\b", "units sold"),
    (r"\bcalendar(?:\s+year)?\s+(?=(?:19|20)\d{2}\b)", " "),
    # weekday names before a date ("for the week Monday 28 November to Sunday 4 December 2011"), except where they
    # say which week ("week commencing Monday 5 December")
    (r"(?<!commencing )(?<!starting )(?<!beginning )(?<!of )\b(?:mon|tues|wednes|thurs|fri|satur|sun)day\s+"
     r"(?=\d{1,2}(?:st|nd|rd|th)?\s+(?:of\s+)?(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)", ""),
    (r"\bmedian (?:value|size) of (?:an?|the) (?:completed )?order\b", "median order value"),
    (r"\bcounting only\b|\bonly counting\b", " "),
    (r",?\s*(?:the\s+)?orders that (?:actually\s+)?went through(?:\s*\(so not the cancell?ed ones\))?", " "),
    (r",?\s*meaning (?:the\s+)?(?:customers|people) who (?:actually\s+)?(?:bought|ordered|purchased) (?:something|anything)"
     r"(?:\s+rather than (?:guest checkouts|guests|anonymous orders))?", " who bought"),
    (r",\s*that (?:single|one|whole) day\b", " "),
    (r"\b(?:per|each|by|every)\s+(month|week|quarter|day)\s+through(?:out)?\s+((?:19|20)\d{2})\b", r"per \1 in \2"),
    (r"\bthroughout\s+(?=(?:19|20)\d{2}\b)", "in "),
    (r"\bprods\b", "products"), (r"\bwkly\b", "weekly"), (r"\bw/\s*|\bw\b(?=\s+\d)", "with "),
    # "leaving the UK out": the exclusion, split around what it leaves out
    (r"\b(leaving|leave|leaves|left|taking|take|takes|taken)\s+((?:the\s+)?[a-z][a-z.'-]*(?:\s+[a-z][a-z.'-]*){0,6}?)\s+out\b",
     r"leaving out \2"),
    (r"\b(?:taken|taking|take|takes) out\b", "left out"),
    # English as it is written by speakers of other languages: commands are orders, a trimester a quarter,
    # a semester a half-year, turnover realised is revenue
    (r"\b(?:passed|placed|made|done)\s+(?:at least one|a|one|any)\s+command\b", "placed an order"),
    (r"\bcommands\b", "orders"), (r"\bcommand\b", "order"),
    (r"\b(first|second|third|fourth|1st|2nd|3rd|4th) trimester\b", r"\1 quarter"),
    (r"\b(first|second|1st|2nd) semester\b", r"\1 half"),
    (r"\bturnover (?:realised|realized|made|done|generated)\b", "turnover"),
    (r"\bon the month of\b", "in"),
    (r"\b(?:of )?how much is the (turnover|revenue|sales) of ([a-z ]{2,30}?) above (?:the one|that) of\b",
     r"how much more \1 did \2 have than"),
    # the asker's own labels and checks: "ops question -", "pricing check:", "for the audit file:", "peak day check:"
    (r"^\W*(?:[a-z]+\s+){0,2}(?:question|check|query|review|planning|screening|flag list)\s*[:-]\s*", ""),
    (r"\bfor the (?:audit|compliance|finance|board|credit|risk)\s+(?:file|pack|report|trail|review)\s*([:,-]?)", r" \1"),
    (r"^\W*(?:for\s+(?:the|our|my)\s+)?(?:packing\s+)?rota(?:\s+planning)?\s*[:,-]\s*", ""),
    (r",?\s*(?:for the (?:packing\s+)?rota|(?:i\s+)?need it for (?:a|an|the|my|our)\s+(?:\w+\s+){0,2}?(?:post|slide|email|deck|"
     r"report|rota))\b\.?", " "),
    # chat slang and asides that carry no figure
    (r"\b(?:ngl|lowkey|highkey|bestie|lol|lmao|tbh|imo|omg|fr fr|no cap|deadass|istg|bruh|fyi)\b", " "),
    (r"^\W*(?:wait|hey|hi|hello|yo|um+|hmm+)\b[,!.]?\s*", ""), (r"\bfr\W*$", " "),
    (r"\bw/?\s+us\b", "with us"), (r"\baussies?\b", "australian customers"),
    (r"[.?!]\s*our \w+ (?:followers|fans|customers) are (?:wild|crazy|amazing|obsessed)\b[^?]*$", " "),
    (r"\b(\d{1,2})/(\d{1,2})/(\d{2})\b(?![/\d])", r"\1/\2/20\3"),  # "11/11/11"
    (r"((?:black friday|cyber monday|christmas eve|christmas day|boxing day)\s+(?:19|20)\d\d)\s*\([^)]{3,24}\)", r"\1"),
    (r"\b(?:the\s+)?(?:twelve|12|six|6|three|3|nine|9)\s+(?:full\s+|whole\s+|complete\s+)?months\s+(?=from\b)", " "),
    (r",?\s*(?:the|our)\s+(?:last|latest|most recent)\s+(?:full|complete|whole)\s+month\s+(?:in|of)\s+the\s+data\b", " "),
    (r"\(\s*weeks?\s+(?:run|running|start|starting|begin|beginning)\s+(?:on\s+)?(?:a\s+)?mon(?:day)?s?(?:\s+to\s+sun(?:day)?s?)?"
     r"\s*\)", " "),
    (r"\bmonday[- ]start(?:ing)?\s+weeks\b", "weeks"),
    (r"\bweeks\s+(?:beginning|starting|commencing)\s+in\s+(?=q[1-4]|h[12]|(?:19|20)\d\d)", "weeks in "),
    (r",?\s*counting (?:only )?(?:the )?(?:days with (?:at least one|an?|any) orders?|trading days)\b", " "),
    (r"\bper trading day\b", "per day"),
    (r",?\s*counting (?:only )?its completed lines\b", " "),
    (r"\b(?:were|was)\s+booked back in as returns?\b", "were returned"), (r"\bbring (?:you|us) in\b", "bring in"),
    (r"\bexpressed as\b", "as"),
    (r"\b(value|amount|worth) of (customer|account|client) (\w+)'s (cancel\w*|return\w*) (lines|orders|items)\b",
     r"\1 of \4 \5 of customer \3"),
    (r"\s*\(?\s*(?:the\s+)?invoice (?:numbers?|nos?\.?|ids?)\s+(?:starting|beginning|that start|prefixed)\s+with\s+(?:a\s+|an\s+)?"
     r"['\"]?c['\"]?\s*\)?", " "),  # what a cancelled order is, said again
    (r"[.?!;]?\s*use (?:all|the whole of|the total of|total) [^.?]{0,60}? as the (?:total|denominator|base|whole)\b\.?", " "),
    (r"\b(customers?|buyers|clients)\b([^?]{0,30}?)\s+(?:who\s+|that\s+)?(?:placed|made) their (?:very )?first (?:ever )?(?:order|purchase)"
     r"(?: with us)?\b", r"new \1\2"),
    (r"\bwhat was the (?:highest|largest|biggest|most|maximum) (?:number of )?(orders|net revenue|revenue|units|sales|takings)\b"
     r"(.{0,30}?)\s+(?:on|in) (?:a|one) single day\b|\bwhat was the (?:highest|largest|biggest|most|maximum) (?:number of )?"
     r"(orders|net revenue|revenue|units|sales|takings)\b(.{0,30}?)\s+(?:on|in) (?:a|one) day\b",
     lambda m: f"which day had the most {m.group(1) or m.group(3)}{m.group(2) or m.group(4) or ''}"),
    # an instruction's frame: "Task: ... Output: integer.", "How high was ...", "Margaret wants ...", "the MD would like"
    (r"[.?!;]?\s*\boutput\s*:\s*[^?]*$", ""), (r"\bhow high (?:was|is|were)\b", "what was"),
    (r"\b(?:margaret|she|he|the md|our md|the boss|my boss|the ceo|our ceo)(?:'s)?\s+(?:wants|would like|asked|has asked(?: me)?"
     r"(?: for)?|needs|would like to know|wants to know)\s+(?:to know\s+)?(?:about\s+)?", " "),
    (r"[,.]?\s*(?:please\s+)?,?\s*for (?:the|our) md\b\.?", " "),
    (r"\b(\d{1,2})\.(\d{1,2})\.((?:19|20)\d\d)\b", lambda m: f"{int(m.group(1))} {MONTH_NAMES[int(m.group(2)) - 1]} {m.group(3)}"
     if 1 <= int(m.group(2)) <= 12 else m.group(0)),  # dd.mm.yyyy, day first
    (r"\b(?:the\s+)?(1st|2nd|first|second)\s+half[- ]year\s+(?=(?:19|20)\d\d)", lambda m: ("h1 " if m.group(1) in ("1st", "first")
                                                                                          else "h2 ")),
    (r"\b(?:the\s+)?(1st|2nd|3rd|4th)\s+quarter\s+(?=(?:19|20)\d\d)", lambda m: f"q{m.group(1)[0]} "),
    (r"\bin the month (?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", "in "),
    (r"\bcustomer records\b", "customers"), (r"\banywhere in the data\b", " "),
    (r"\b(?:after deduction of|after deducting|net of) (?:the )?returns\b", "net"),
    (r"\binclusive (?:of )?guest orders\b", "including guest orders"),
    # revenue, units, orders and buyers never count cancelled lines: leaving them out says the definition again
    (r"^\W*(?:please\s+)?(?:ignore|exclude|leave out|disregard|don't count|do not count)\s+(?:anything\s+|all\s+|the\s+|any\s+)?"
     r"cancel\w*(?:\s+(?:orders?|lines?|invoices?|items?))?\s*[.:;,-]\s*(?=(?![^?]*\bcancel)[^?]*\b(?:revenue|sales|takings|"
     r"turnover|units|quantity|orders|customers|buyers)\b)", ""),  # "Ignore cancelled orders. How many orders ...?"
    (r"\b(revenue|sales|takings|turnover|units|quantity|orders)\b([^?]{0,30}?)\s*,?\s*(?:not counting|excluding|without|ignoring|"
     r"leaving out|net of)\s+(?:the\s+|any\s+)?(?:cancel\w*|credit notes?)(?:\s+(?:orders?|lines?|invoices?|items?))?\b",
     r"\1\2"),
    (r"\b(?:of|in) the records\b|\bcovered by the data\b|\bin the (?:whole |entire )?data ?set(?: altogether)?\b", " "),
    (r"\bcustomers\s+(?:placing|who placed|making|who made)\s+(?:an?\s+|any\s+)?orders?\b", "customers who bought"),
    (r"\bon how many days\b(.{0,50}?)\b(?:did|was|were)\s+(?:the shop|we|the company|the business|there|the store)\s+"
     r"(?:get|take|receive|have|see|taking|getting)\s+(?:(?:at least one|an?|any)\s+)?orders?\b", r"how many trading days\1"),
    # days since one customer's last order, in its many wordings (counted to the data's last day; see handlers.scalar)
    (r"\b(?:customer|account|client)\s+(\w+)\s*[:,-]\s*how many days before\s+(.{5,25}?)\s+was\s+(?:their|its|his|her)\s+"
     r"(?:last|latest|most recent)\s+(?:completed\s+)?order\b", r"days since last order of customer \1 as of \2"),
    (r"\bhow many days before\s+(.{5,25}?)\s+was\s+(?:customer|account|client)\s+(\w+?)(?:'s)?\s+(?:last|latest|most recent)\s+"
     r"(?:completed\s+)?order\b", r"days since last order of customer \2 as of \1"),
    (r"\bhow many days (?:had |have |has )?(?:it been |passed |elapsed |gone by |been )?since\s+(?:customer|account|client)\s+"
     r"(\w+?)(?:'s)?\s+(?:(?:last|latest|most recent)\s+(?:completed\s+)?(?:order|purchase)|(?:last\s+)?(?:ordered|placed an order|"
     r"bought|purchased)(?:\s+last)?)\b", r"days since last order of customer \1"),
    (r",?\s*\(?\s*(?:counting to|counted to|as at|as of)\s+(?=\d|(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", " as of "),
    (r"\bonce\s+(.{3,40}?)\s+(?:is|are)\s+(?:taken out|removed|excluded|stripped out|left out|deducted)\b", r"excluding \1"),
    (r"\b(?:at least one|at least 1|one or more|1 or more)\s+(cancel\w*|return\w*)\s+(orders?|lines?|invoices?)\b", r"a \1 \2"),
    (r"(\brepeat (?:customers|buyers)\b)[,;]?\s*(?:meaning|i\.?e\.?,?|that is,?)\s+(?:they|those who|customers who)\s+(?:have\s+)?"
     r"(?:placed|made)\s+(?:two|2)\s+or\s+more\s+orders(?:\s+ever|\s+in total)?", r"\1"),
    (r"(\bguest (?:orders?|checkouts?)\b)[,;]?\s*(?:meaning|i\.?e\.?,?|that is,?)\s+orders?\s+(?:(?:with|having)\s+(?:no|a missing|"
     r"an empty|a blank)|without\s+(?:an?\s+|any\s+)?)\s*customer ids?(?:\s+attached|\s+on (?:them|it)|\s+recorded)?\b,?", r"\1"),
    (r"\bhow many (?:completed )?(?:order )?lines did (?:an|each|the average|a typical|the typical) order have\b", "lines per order"),
    (r"\b(?:in|of) (?:the|your|our) rfm segmentation\b|\brfm segment(?:ation)?\b(?=\s+(?:champions|loyal|at risk|hibernating|lost))", " "),
    (r"\b(?:customer|client|account)\s+(?:no\.?|number|nr\.?|#)\s*(?=\d)", "customer "), (r"\baccount (?=\d{4,})", "customer "),
    (r"[?.]\s*(?:customer |client )?ids?(?:\s+(?:only|please))?\s*[?.!]*\s*$", "?"),  # "... by revenue? customer ids please"
    (r"\b(?:on|in) the (?:very )?first day of the data\s*,?\s*", " on "),
    (r"\bsince the data (?:begins|began|starts|started)\b|\bsince the (?:start|beginning) of the data\b", " "),
    (r"\s*\(\s*weeks? (?:starting|beginning|commencing) (?:on )?mondays?\s*\)", " "),
    (r",?\s*\b(?:for\s+)?(?:the\s+)?weeks?\s+(?:starting|beginning|commencing)\s+(?:on\s+)?(?:a\s+)?mondays?\b(?!\s*,?\s*\d|,?\s+from\b)",
     " "),  # "weekly orders for the weeks starting on a Monday in October": the weeks are Monday-start
    (r"\b(how many|number of|count of)\s+days\s+(?:with|that had|having|that saw)\s+(?:at least one\s+|an?\s+|any\s+)?"
     r"(?:completed\s+)?orders?\b(?:\s+(?:in|on)\s+(?:them|it))?", r"\1 trading days"),
    # orders with a cancelled line are the cancelled orders (cancellations are orders of their own)
    (r"\b(how many|number of|count of)\s+orders\s+(?:had|have|has|with|having|that had|containing|contained|carried)\s+"
     r"(?:a|at least one|any|one or more|1 or more)\s+cancel+ed\s+lines?\b", r"\1 cancelled orders"),
    # "in each of the three months of Q3 2011, that is in July, in August and in September": the months said again
    (r"(\beach of the (?:two|three|\d) months of [^,?]+?),?\s*(?:that is|i\.?e\.?|namely)?,?\s*(?:in\s+)?" + _MONTH_WORD
     + r",?\s*(?:in\s+)?" + _MONTH_WORD + r"(?:,?\s*(?:in\s+)?" + _MONTH_WORD + r")?,?\s*and\s+(?:in\s+)?" + _MONTH_WORD
     + r"(?=\s*[?.]|\s*$)", r"\1"),
    (r"\b(?:landed|came in|were received|received)\b(?=\s+(?:in|on|during|over|last|this)\b)", "placed"),
    (r"\b(?:land|lands)\s+(?=in\b|into\b)", "are "),  # "customers land in the medium band"
    (r"\bcut of\b", "share of"), (r"\bdid (.{2,40}?) beat (.{2,40}?)(?=[?.,]|$)", r"\1 vs \2"),
    (r"\bret (units|lines|value|revenue|orders)\b", r"returned \1"),
    (r"\s*\(\s*(?:qty|quantity|units) on returned lines\s*\)", " "),
    (r"\brfm\s+(?=(?:champions|loyal|at risk|hibernating|lost|potential|promising|need|about|cannot)\b)", ""),
    (r"\bone[- ]and[- ]done\b", "one-time"),
    (r"\btop(\d+)\b", r"top \1"), (r"\b(top \d+|bottom \d+|which|the) customer[ _]?ids?\b(?!\s*\d)", r"\1 customers"),
    (r"\b(non[- ]?(?:product|merchandise) (?:codes|lines|items))\s+(?:like|such as|e\.g\.?)\s+[a-z][a-z ,]*?(?=$|[?.]|"
     r"\s+(?:and|in|for|by)\b)", r"\1"),
    # a named day with its date again in brackets: "Black Friday 2011 (Friday 25 November)", "Cyber Monday 2011 (28 Nov)"
    (r"(\b(?:black friday|cyber monday|christmas eve|christmas day|boxing day)\s+(?:of\s+)?(?:19|20)\d{2})\s*\(\s*(?:[a-z]+\s+)?"
     r"\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3,9}\.?\s*\)", r"\1"),
    # a season named and then its dates: "in the Christmas run-up, 1 to 23 December 2010" (the dates say which)
    (r"\b(?:in|over|during|for)?\s*the\s+(?:autumn|fall|spring|summer|winter|christmas|xmas|holiday|festive|pre-christmas|"
     r"black friday|peak|busy|sales)(?:\s+(?:peak|run-?up|rush|period|season|push|quarter|weeks?|months?))+\s*,\s*"
     r"(?=(?:from\s+)?(?:\d|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec))", " in "),
    (r"\bsales value\b", "sales"),  # the money taken, not a customer's predicted value
    (r"\b(?:did|do|does|can|could) we (?:process|handle|deal with|ship out)\b", "did we get"),
    (r"\b(per|a|each) (?:trading|business|working) day\b", r"\1 day"),
    # "peak order count on any one day": the busiest day's figure
    (r"\bpeak\s+daily\s+(?:order count|number of orders|orders)\b", "the busiest day by orders"),
    (r"\bpeak\s+daily\s+(revenue|units)\b", r"the busiest day by \1"),
    (r"\bpeak\s+(?:order count|number of orders|orders)\b", "highest orders"),
    (r"\bpeak\s+(revenue|units)\b", r"highest \1"),
    (r"\b(?:the\s+)?(?:highest|largest|biggest|maximum|max|most)\s+(?:number of\s+)?(orders|revenue|units)\s+(?:\w+\s+)?(?:on|in)\s+"
     r"(?:one|a single|any single|any one|a|any)\s+day\b", r"the busiest day by \1"),
    (r"\s*\(\s*returns only,?\s*(?:and\s+)?cancell?ations? (?:not included|excluded|left out)\s*\)", " "),
    (r"\b(?:quantity|units|items) on (?:the\s+)?returned lines\b", "units returned"),
    (r"\b(?:lines|orders)\s+dated\s+(?=in|on|between|from)\b|\bdated\s+(?=in|on|between|from)\b", " "),
    (r"\breal products only\b", "excluding non-merchandise"),
    (r"(?:,\s*|\b)no (?=(?:manual adjustments|postage|fees|carriage|bank charges|samples|non-merchandise)\b)", " excluding "),
    (r"\b(orders?)\s+with\s+(?:a|at least one)\s+completed\s+line\b", r"completed \1"),  # (never all orders)
    (r"\b(?:carry|carries|have|has|with)\s+(?:the\s+)?status\s+['\"‘’]?(cancell?ed|returned|completed)['\"‘’]?", r"are \1"),
    (r"\bexactly how many\b", "how many"),
    (r"\bhow many (units|items|pieces) (?:did|does|do) (?:an? |the )?(?:average|typical) (order|basket) (?:carry|contain|have|hold)\b",
     "average units per order"),
    # who is asking and why, said before the question: "VP here,", "CS lead here -", "merch team -", "quick one from
    # finance:", "need one number before my 3pm call:", "I'm trying to reconcile a figure -"
    (r"^\W*(?:[a-z]+\s+){0,2}(?:here|team)\s*[,:-]\s*|^\W*quick one(?: from [a-z]+)?\s*[:,-]\s*|"
     r"^\W*(?:i )?need (?:one|a|the) (?:number|figure) (?:before|for) (?:my|the|a) [a-z0-9 ]{1,20}?\s*[:,-]\s*|"
     r"^\W*i'?m trying to (?:reconcile|check|verify|sanity[- ]check) (?:a|one|this|the) (?:figure|number)\s*[:,-]\s*", ""),
    (r"\s*[,.;-]?\s*(?:i )?need it for (?:the|a|my|our) (?:board |team |3pm |weekly |monthly )?call\b", " "),
    (r"\bwould you be able to\b|\bare you able to\b", "can you"), (r"\bjust the number\b", " "),
    (r"[.!]\s*i think it'?s (?:about|around|roughly) [^?.!]{1,30}?(?:but|and) (?:want|wanted|need) to (?:check|confirm)\b[.!]?", "."),
    (r"\bhas been on the phone(?: again)?\.?", " "),
    (r"\s*\((?=[^()]*\b(?:only runs? to|runs? only to|only goes to|is partial|is incomplete|is to date)\b)[^()]{0,80}\)", " "),
    (r"\borderd\b", "ordered"),
    (r"\binternational (customers|clients|buyers)\b(?=[^?]{0,40}\boutside\b)", r"\1"),
    (r"\b([a-z]{3,})\s+v\.?\s+([a-z]{3,})\b", r"\1 vs \2"),
    (r"\s*\(\s*the ones (?:with|that have) a (?:churn )?score\s*\)", " scored "),
    (r"\b(?:did|have|has) we (?:win|won|gain|gained|pick up|picked up|land|landed)\b", "did we get"),
    (r"\bbrand[- ]new\b", "new"),  # not respelled to "band" (a risk band)
    (r"\b(quarterly|monthly|weekly|daily)\b([^?]{0,60}?)\bthrough(?:out)?\s+(?=(?:19|20)\d{2}\b)", r"\1\2in "),
    # chat spellings too short for the typo fixer
    (r"\bhw\b", "how"), (r"\bfrm\b", "from"), (r"\bordr(s?)\b", r"order\1"), (r"\bcancell?d\b", "cancelled"),
    # the bookkeeping verbs of a finance close: revenue "booked", "recognised", "recorded" is revenue
    (r"\b(?:did|do|does|have|has)\s+(?:we|you|the company|the business|the shop)\s+(?:book|recogni[sz]e|record|post|report)\b",
     " "),
    (r"\b(revenue|sales|turnover)\s+(?:we\s+)?(?:booked|recogni[sz]ed|recorded|posted|reported)\b", r"\1"),
    # what the figure is for, not what it is: "I'm closing November 2011", "for the Q3 accruals", "for a win-back mailing"
    (r"\b(?:i'?m|i am|we'?re|we are)\s+(?:closing|reconciling|finali[sz]ing|wrapping up)(?:\s+(?:the\s+)?(?:books|accounts))?"
     r"(?:\s+for)?\b", " "),
    (r"\baccruals?\b|\b(?:month|quarter|year)[- ]end(?: close)?\b|\b(?:for|in) (?:a|the|our|my) (?:win[- ]?back|"
     r"re-?engagement|retention|reactivation) (?:mailing|campaign|e-?mail|list|push)\b", " "),
    # the whole history: "across the full period the data covers", "during calendar year 2011" (the year)
    (r"\b(?:across|over|for|in)\s+(?:the\s+)?(?:full|whole|entire)\s+(?:period|history|time range|range|time span)"
     r"(?:\s+(?:that\s+)?(?:the|our)\s+data\s+(?:covers|has|holds|spans))?\b", " of all time"),
    (r"\bcalendar year\b", " "),
    # "customers who placed their first-ever order in 2011": the period's new customers
    (r"\bcustomers\s+(?:who|that)?\s*(?:placed|made)\s+(?:their|a)\s+(?:very\s+)?first(?:[- ]ever|\s+ever)?\s+(?:completed\s+)?"
     r"(?:order|purchase)\b", "new customers"),
    (r"\bcustomers\s+((?:based\s+)?(?:in|outside|from)\s+(?:the\s+)?[a-z][a-z ]{1,30}?)\s+(?:who\s+|that\s+)?(?:placed|made)\s+their\s+"
     r"(?:very\s+)?first(?:[- ]ever|\s+ever)?\s+(?:completed\s+)?(?:order|purchase)\b", r"new customers \1"),
    # "postage, manual adjustments etc", "postage and other non-product codes": the class of codes, not the ones named
    (r"\b(?=[^.?]*?\b(?:fees|fee lines|adjustments|charges|samples|discounts|vouchers)\b)"
     r"(?:postage|carriage|fees?|(?:manual )?adjustments?|bank charges|samples|discounts|vouchers)"
     r"(?:\s*(?:,|and|&|or|/)\s*(?:postage|carriage|fee lines|fees?|(?:manual )?adjustments?|bank charges|samples|discounts|"
     r"vouchers))+(?=\s*(?:[),.?;]|$))|"
     r"\b(?:postage|carriage|fees?|(?:manual )?adjustments?|bank charges|samples|discounts|vouchers)"
     r"(?:\s*(?:,|and|&|or)\s*(?:postage|carriage|fee lines|fees?|(?:manual )?adjustments?|bank charges|samples|discounts|vouchers))*"
     r"\s*,?\s*(?:etc\b\.?|and so on\b|and the like\b|(?:and|or) (?:the other|all other|other|similar|any other|every other) (?:non[- ]?product |"
     r"non[- ]?merchandise |service )?(?:codes|lines|items|stuff|things|charges)\b)", "non-merchandise"),
    (r"\bdiff\.?\s+(?=customers|clients|buyers|products|items|shoppers|countries|stock|codes|skus|articles|things)",
     "different "),
    (r"\bi mean\b|\bif (?:that|this) makes sense\b|\bif possible\b|\bif you can\b", " "),
    (r"\b(?:number of|count of) (?:items|things|pieces|units)\s*,?\s*not (?:money|revenue|value|sales|£|the value)\b",
     "number of units"),  # "number of items, not money": units, said twice
    (r"\bat least (?:one|1) (?:thing|item|line|product|unit)s?\b", " "),  # "cancelled at least one thing": any
    (r"\bwk\b", "week"),
    (r"\b(jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)([a-z]*)\s*['’]\s?([0-9]{2})\b", r"\1\2 20\3"),  # oct '11
    (r"\b([0-9]+)\s*\+\s*(orders?|purchases?|times)\b", r"\1 or more \2"),  # "5+ orders"
    (r"\b((?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|q[1-4]|h[12])\s*\+\s*(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|"
     r"oct|nov|dec)[a-z]*\b|q[1-4]\b|h[12]\b)", r"\1 and "),  # "oct+nov 2011": both months, never either
    (r"([a-z])\s*\+\s*([a-z])", r"\1 or \2"),  # "Hibernating + Lost": either
    (r"\b(more|less|fewer|greater|higher|lower) then\b", r"\1 than"),
    (r"^\W*(?:ok|okay|right|so|just checking|checking)\b[\s,:-]*(?:(?:just )?checking\b)?", " "),
    (r"\(\s*(?:min\.?|minimum(?: of)?|at least)\s+([0-9]+)\s+(orders?)\s*\)", r"with at least \1 \2"),
    # remarks in brackets that leave the question as it is: the scope said again, or a period said to be partial
    (r"\(\s*(?:across\s+|for\s+|in\s+)?(?:all|every|any)\s+(?:countries|markets|regions|products|items|customers|"
     r"channels)(?:\s+(?:included|combined|together))?\s*\)|\(\s*(?:worldwide|globally|everywhere|overall|in total|"
     r"combined)\s*\)", " "),
    (r"\(\s*(?:[a-z0-9']+\s+){0,3}(?:is\s+|are\s+|being\s+|only\s+)?(?:to date|partial|incomplete|so far|not (?:yet\s+)?"
     r"(?:complete|over|finished|closed|full))\s*\)", " "),
    (r"\(\s*((?:exactly|only|just) [0-9a-z]+ (?:orders?|purchases?))\s*\)", r" "),  # a restated condition
    (r"\b(?:sth|smth|smthg)\b", "something"),
    (r"^\W*(?:for (?:the|a|our) )?board(?: pack| deck| report)?\s*[:,-]\s*", ""),  # who it is for, not what
    (r"\bcusts\b|\bcust\.?s\b", "customers"),
    (r"\bcxl\b|\bcxld\b|\bcanc\b", "cancelled"),
    (r"\s*-?\s*\b(?:i )?need (?:it|this|these|that|them) for (?:the |a |my |our )?(?:[a-z]+ ){0,2}(?:review|deck|pack|report|"
     r"meeting|presentation|board)\b|\bfor (?:the |a |my |our )(?:regional |board |monthly |quarterly |weekly |annual |"
     r"sales |churn |retention |trading |ops |kpi )?(?:deck|review|pack|report|meeting|presentation)\b", " "),  # who it is for
    (r"\bin (?:pounds|gbp|sterling|£|money terms)(?!\w)", "in money"),
    (r"\s*-?\s*\b(?:people|customers|those)?\s*(?:who|that)(?:'d|\s+had|\s+have)\s+(?:bought|ordered|purchased|shopped)\s+before"
     r"\s+and\s+(?:came|come)\s+back(?:\s+(?:that|the same|in that)\s+month)?\b", " "),  # what "returning" means
    (r"\b(\d+)\s?d\b", r"\1 days"),  # "last 7d"
    (r"\byday\b|\by'day\b", "yesterday"),
    (r"\b(\w+)'d\b", r"\1 had"),
    (r"\b(?:add|added|adds) up to\b|\b(?:amount|amounted|amounts|come|came|comes) to\b", "total"),
    (r"\b(from|by)\s+(?:the\s+)?customers\s+(?:we\s+)?(?:acquired|won|gained|recruited|signed up)\b", r"\1 new customers"),
    (r"\b(?:customers|buyers|people) (?:who|that) (?:were|are) (?:brand[- ])?new(?: (?:that|in that|in the same|the same|in this) "
     r"(?:month|quarter|year|period|week))?\b", "new customers"),
    # new customers defined again by the same period: "2011 revenue from new customers, i.e. whose first order was in 2011"
    (r"(\b(?P<period>(?:[a-z]+\s+)?(?:19|20)\d\d)\b[^?]*?\bnew (?:customers|buyers|clients)\b[^?]{0,20}?)[,;]?\s*"
     r"(?:i\.?e\.?,?\s*|meaning\s+|that is,?\s*)?(?:those\s+|customers\s+|people\s+)?(?:whose|with (?:their|a))\s+first "
     r"(?:completed\s+)?(?:order|purchase)\s+(?:was\s+|fell\s+|came\s+|is\s+)?(?:dated\s+)?(?:in|during|within)\s+"
     r"(?P=period)\b", r"\1"),
    (r"\b(units|quantity|qty)\b([^?]{0,40}?)\s*\(\s*(?:on\s+|from\s+)?completed (?:order\s+)?lines\s*\)", r"\1\2"),
    (r"\b(units|quantity|qty)\s+(?:on|from)\s+(?:the\s+)?completed (?:order\s+)?lines\b", r"\1"),
    (r"\bknown customers?\b", "customers"),  # a customer is someone with an id: guests are orders, never customers
    (r"[,;]?\s*-?\s*(?:guests|guest (?:orders|checkouts)|anonymous orders) (?:left out|excluded|removed|not counted)\b",
     " excluding guest orders"),
    (r"\bcust\b", "customer"),
    (r"\bprob\b|\bprobab\b", "probability"),
    (r"\bflagged(?: as)?\b|\btagged as\b|\bmarked as\b", " "),
    (r"\(\s*rfm\s*\)", " "),
    (r"\bcustomer base\b", "customers"),
    (r"\b(?:since records began|since (?:the )?(?:very )?(?:start|beginning)(?: of (?:the )?(?:data|records|time))?|"
     r"(?:over |for |in |across )?(?:the )?(?:whole|entire|full) (?:data ?set|history|(?:data )?period)|since we started)\b", " "),
    (r"\bq([1-4])\s*[-'’]?\s*([0-9]{2})\b(?![-/.:0-9])", r"q\1 20\2"),  # "q3 11": Q3 2011
    (r"\b(?:showed up|turned up|appeared|featured|were included|was included)\s+(?:in|on)\b", "in"),
    (r"^\W*repeat (?:purchase|customer|buyer|order)s? rate\s*[-:–—]\s*", ""),  # a name, then what it means
    (r"\b(?:what(?:'s| is| was)? (?:the |our )?)?repeat (?:purchase|customer|buyer|order)s? rate\b",
     "what share of customers who ordered ordered more than once"),
    (r"(?<![\w-])((?:q[1-4]|h[12]|[a-z]{3,9})\s+(?:19|20)\d{2}|[a-z0-9]+)\s*(?:->|→|=>)\s*", r"from \1 to "),  # "oct -> nov",
    # "Q1 2011 -> Q2 2011": from the first to the second
    (r"\bqty\b", "quantity"),
    (r"\bno\.\s*of\b|\bnum\.?\s+of\b|#\s*of\b", "number of"),
    (r"\b(?:best|top)[- ]?sellers?\b|\bbest[- ]selling (?:products|items|lines)\b", "top products"),
    (r"\bsellers\b", "products"),
    (r"\b(?:came|come|comes|coming) back (?:for|to make|to place) (?:a |an )?(?:second|another|2nd|repeat) (?:order|purchase)\b",
     "ordered more than once"),  # a customer coming back, not goods
    (r"\b(?:came|come|comes|coming)\s+back\s+and\s+(?=bought|ordered|purchased|shopped)", "also "),  # customers, not goods
    # returning customers said in other words: "how many of the customers who ordered had already ordered before
    # November", "... returning customers ordered in November 2011? By returning I mean they ordered in November 2011
    # and their first order was before November 2011." (the parser checks the day said against the period)
    (r"\bhow many (?:of the )?(customers|buyers|clients|shoppers)\s+(?:who|that)\s+(?:ordered|bought)\s+"
     r"(?=had\s+(?:already|previously)\s+(?:ordered|bought)\s+before\b)", r"how many returning \1 who "),
    (r"\b(returning (?:customers|buyers))([^?]*?\bin\s+([a-z0-9 ]{3,20}?))\s*\?\s*by returning(?: customers)?,?\s+(?:i mean\s+)?"
     r"(?:they|those who|customers who|people who)\s+(?:ordered|bought)\s+in\s+\3\s+and\s+(?:their|had their)\s+first\s+"
     r"order\s+(?:was|came)?\s*before\s+([^?.]{2,30}?)[.?]?\s*$", r"\1 (first order before \4)\2?"),
    # definitions said again in other words: net units, an order's value, a line's value, distinct buyers
    (r"\(?\s*,?\s*(?:with\s+)?returns?\s+(?:taken off|netted off|knocked off|deducted|netted out|subtracted)\s*\)?",
     " net of returns"),
    (r",?\s*(?:with\s+)?each order (?:worth|valued at|counted at|being worth) (?:the sum of )?its completed lines\b", " "),
    (r"\breached the most (separate |different |distinct |unique )?(customers|buyers|shoppers)\b", r"had the most different \2"),
    (r"\b(cancell?ed lines)\b([^?]{0,60}?)[:,]?\s*what were they worth\b(?:\s+at\s+(?:quantity|qty)\s*(?:\u00d7|x|times)\s*"
     r"(?:the\s+)?unit price)?", r"what was the value of \1\2"),
    (r"\b(?:broken down|split|one figure for each day)\s+(?:from\s+)?monday\s+(?:to|through)\s+sunday\b", "by weekday"),
    (r"^(?=[^?]*\b(?:non[- ]?product|non[- ]?merchandise|merchandise)\b)([^?]*\?)\s*i only want (?:merchandise|real products|"
     r"actual products)\.?\s*$", r"\1"),
    # "9 a.m.": one word, its dots kept as a sentence's end only where a new sentence follows ("runs until 9 a.m. How ...")
    (r"\b(\d{1,2})\s*([ap])\.\s?m\.(\s+\S)?",
     lambda m: f"{m.group(1)}{m.group(2)}m" + ("." if m.group(3) and m.group(3).strip()[0].isupper() else "") + (m.group(3) or "")),
    # hours said as a span of clock times, after a part of the day or on their own: "in the afternoon, 12:00 to 17:59"
    (r"\b(?:in|during) the (?:morning|afternoon|evening),?\s*(?:from\s+|between\s+)?(?=\d{1,2}:\d\d\s*(?:to|-|–|until)\s*"
     r"\d{1,2}:\d\d)", "from "),
    (r"(?<!from )(?<!between )(?<![\d:])(\d{1,2}:\d\d\s*(?:to|-|–|until)\s*\d{1,2}:\d\d)", r"from \1"),
    # "the 2 highest-revenue days": the days ranked by revenue
    (r"\b(highest|lowest|biggest|smallest|busiest|quietest)-(revenue|sales|order)\s+(days|weeks|months|hours|weekdays)\b",
     lambda m: f"{m.group(3)} with the {m.group(1)} {'orders' if m.group(2) == 'order' else m.group(2)}"),
    (r"\bweeks (?:starting|beginning|commencing) (?:on )?(?:a )?mondays?,? (?=from\b)", "weeks "),
    # an hour named and then said again as clock times: "the nine o'clock hour, 09:00 to 09:59", "the 2pm hour (14:00 to
    # 14:59)" (the clock times decide; an hour that is not theirs stays, to be refused)
    (r"\b(?:in\s+)?the\s+([a-z]+\s+o'?clock|\d{1,2}\s*(?:am|pm))\s+hour\b,?\s*\(?\s*(?:from\s+)?(\d{1,2}):00\s*(?:to|-|–)\s*"
     r"(\d{1,2}):59\s*\)?", _hour_said_again),
    (r"\b(returned|cancell?ed) lines\b([^?]{0,40}?)[:,]?\s*what (?:quantity|number of units|units) did they (?:carry|hold|have|"
     r"contain)\b", r"how many \1 units\2"),
    (r"\bwhat were ((?:the\s+)?(?!that\b|those\b|these\b|their\b)[a-z]+ orders) worth\b", r"what was the revenue of \1"),
    (r",?\s*\ball (?:two|three|four|five|2|3|4|5)(?: of them)? (together|combined)\b", r" \1"),
    (r",?\s*summing (?:their|its|the) completed lines\b", " "),
    (r"\s*\bby (?:its |their )?completed[- ]lines?(?:'s)? value\b", " "),
    (r"\b(bought|ordered|purchased) in ([^?]{3,30}?) and (?:came back to (?:buy|order|purchase)|(?:bought|ordered|purchased))"
     r"(?: again)? in\b", r"\1 in both \2 and"),
    (r"\s*\(\s*(?:stock |product )?codes (?:starting|that start|beginning|that begin) with a (?:digit|number)\s*\)", " "),
    (r"\blost the most units to cancell?ations\b", "had the most cancelled units"),
    (r"\bweeks of (?=\d{1,2}(?:st|nd|rd|th)?\s*,)", "weeks starting "),
    (r"\b(?:for )?each week (?=starting|beginning|commencing)", "by week for the weeks "),
    (r"\s*[.?]?\s*\bnew means (?:the |a )?customer'?s first (?:completed )?order (?:fell|falls|was|came) in (?:that|the) "
     r"(?:month|period|quarter|week)\.?\s*$", "?"),
    (r"\b(?:the\s+)?first (two|three|2|3) quarters of ((?:19|20)\d\d)\b",
     lambda m: f"Q1 to Q{ {'two': 2, 'three': 3}.get(m.group(1), m.group(1)) } {m.group(2)}"),
    (r"\bfor each of (?=Q1 to Q[23] (?:19|20)\d\d)", "by quarter for "),
    # a line's kind said as a compound: "completed-line count", "returned-line quantity", "orders with at least one
    # cancelled line"
    (r"\bcompleted[- ]line count\b", "number of completed order lines"),
    (r"\b(returned|cancell?ed)[- ]line (?:quantity|units)\b", r"\1 units"),
    (r"\s*\(\s*(?:those|the ones|orders) with an? cancell?ed line\s*\)", " "),
    (r"\borders with (?:at least one|an?|any) cancell?ed line\b", "cancelled orders"),
    (r"\b(?:orders|invoices) with (?:at least one|an?|any) completed line\b", "completed orders"),
    # a range of products said by a word of their names in brackets: "garland products (GARLAND in the name)"
    (r"\b[a-z-]+ (?:products|items|lines) \(\s*([a-z0-9' &-]{2,30}?) in (?:the|their|its) names?\s*\)",
     r"products with \1 in the name"),
    (r"\bdid the (?:warehouse|shop|team|business|company|store|firm) (?:handle|process|ship|pack|take|get|receive)\b", "were"),
    (r"\bon how many days\b([^?]{0,40}?)\bdid (?:the (?:warehouse|shop|business|company|store)|we|you) (?:trade|take orders|open)\b",
     r"how many trading days\1"),
    (r",?\s*counting any (?:trading )?day(?: with at least one order)?\b|,?\s*i\.e\.\s*took at least one order\b", " "),
    (r"\bcount the days (in [^?]{3,40}?) on which the (?:shop|warehouse|business|company) traded\b", r"how many trading days \1"),
    (r"\b(at least|more than|exactly|at most|fewer than|over)\s+(\w+)\s+(?:separate|different|distinct)\s+orders\b",
     r"\1 \2 orders"),
    (r"^(?=[^?]*\bscor)([^?]*\?)\s*(?:i only want |only )?(?:the )?scored customers in the (?:base|denominator|whole)"
     r"(?:,?\s*please)?[\s,.]*$", r"\1"),
    (r"^\W*(?:what is the |what's the )?size of (?:the )?(?=[^?]{2,40}?\bsegment\b)", "how many customers are in the "),
    (r"(\bsegment\b)\s*\(\s*customers\s*\)", r"\1"),
    (r"\bmiddle (order value|value)\s*\(\s*median\s*\)", r"median \1"),
    (r",?\s*the (?:final|last) (?:fortnight|week|month|day)(?: on record)?\s*,", " ,"),
    (r"\b(\d{1,2}\s+[a-z]{3,9})-(\d{1,2}\s+[a-z]{3,9}\s+(?:19|20)\d\d)\b", r"\1 to \2"),
    (r"^\W*postage is (?:billed|charged|booked|recorded) (?:as|under|on) (?:the (?:stock )?codes? )?([a-z0-9]{2,8}) and "
     r"([a-z0-9]{2,8})\.\s*(.*?)\bthose two codes\b", r"\3postage (\1 and \2)"),
    (r"\bcounted by (country|month|segment|week|quarter)\b", r"by \1"),
    (r"\bwith at least one customer ordering\b", "with orders"),
    (r"\b(?:in )?which (\w+) (?:clock )?hours did the most orders (?:arrive|come in|land)\b", r"which \1 hours had the most orders"),
    (r"\b(?:are|is) (?:best|most strongly|most) represented\b", "have the most customers"),
    (r"\bwhich (\w+) (countries|markets|products|months) lead\b", r"which \1 \2 are top"),
    (r",?\s*counting each customer in the month of (?:their|its) first (?:completed )?order\b", " "),
    (r"\bhourly breakdown of (\w+)", r"\1 by hour"),
    (r"\bover the twelve months (?=from\b)", ""),
    # what the shop recorded, and where the churn model puts customers
    (r"\bdid (?:it|the (?:shop|retailer|business|company|store|merchant|firm)|you|they) (?:record|post|book|report|log|"
     r"register)\b", "was"),
    (r"\b(?:does|did|do) the (?:churn |rfm )?(?:model|scoring|segmentation) (?:place|put|score|rank|assign|flag|label|class|"
     r"classify|tag|call|mark)\s+(?:in|into|as)?\b", "are in "),
    (r"\b(?:in|by|from|of) the (rfm|churn) model\b|\b(rfm|churn) model(?:'s)?\b(?=\s*(?:,|:|segment|band|label|high|medium|low))",
     " "),  # "Can't Lose Them segment in the RFM model", "Churn model, high band:": the segment or band names it
    (r"\b(did not|didn't|never) (?:come|came) back in\b", "placed no order in"),
    # customers who came back are returning customers, never returned goods ("how many customers came back in May")
    (r"\bhow many (?:of (?:the|our|those) )?(customers|buyers|clients|shoppers)\s+(?:came|come)\s+back\b", r"how many returning \1"),
    (r"\b((?:customers|buyers|clients|shoppers|people|accounts)\b[^?.]{0,40}?)\b(?:came|come|comes|coming)\s+back\b",
     r"\1 came_back"),  # any other way: a word the parser does not know, so refused
    (r"\b(?:came|come|comes|coming|sent|send)\s+back(?:\s+as\s+returns?)?\b", "returned"),
    (r"\bchurn[- ]risk\s+(bands?|groups?|levels?|categor(?:y|ies))\b", r"risk \1"),
    (r"\brfm\s+(?:segment|group|class|bucket|tier|category)(s?)\b|\b(?:segment|group)s?\s+in\s+rfm\b", r"segment\1"),
    (r"\b(?:group|segment)\s+members\b|\bmembers\b", "customers"),
    (r"\b(\w+)'ve\b", r"\1 have"),
    (r"\bmon(?:day)?\s*(?:to|-|through)\s*sun(?:day)?\b", " "),
    (r"\bturn(?:ed|s)?\s+over\b", "turnover"),
    (r"(?<!\bthe )(?<!\ba )(?<!\bmy )(?<!\bour )(?<!\bnight )(?<!\bday )(?<!\bearly )(?<!\blate )(?<!\bhardest )(?<!\bbusiest )"
     r"\b(?:shift|shifted|shifting)\b(?!\s+(?:pattern|rota|plan|cover|work|worker|manager|lead|change)s?\b)|"
     r"\b(?:went|go|gone|going)\s+out(?:\s+(?:of\s+)?the\s+door)?\b", "sold"),
    (r"\b(?:ship|ships|shipped|dispatch|dispatches|dispatched|sent out|send out|picked|packed)\b", "sold"),  # goods leaving
    (r"\b(?:send|sent|sending|deliver|delivered|delivering)\s+to\b", "sold to"),
    (r"\borders to (?:pick|pack|ship|fulfil|fulfill|process|dispatch)\b", "orders"),
    (r",?\s*\b(?:net of|after|less|minus) returns\b", " "),  # units and revenue are net of returns already
    (r"\b(?:mon|tue|tues|wed|weds|thu|thur|thurs|fri|sat|sun)\.?\s+(?=\d{1,2}(?:st|nd|rd|th)?\s+[a-z]{3})", ""),
    (r"(?:[£$€]\s?)?\b(\d+(?:\.\d+)?)\s?k\b", lambda m: f"{float(m.group(1)) * 1000:g}"),  # "over 5k": 5000
    (r"\bmy (?:manager|boss|team|lead|director|ceo|cfo|client)\s+(?:asked|asks|wants to know|needs (?:this|it)|"
     r"is asking)\b|\bsorry(?: if this is (?:basic|a dumb question|obvious|silly|a silly question))?\b|"
     r"\b(?:quick|dumb|silly|basic|simple) question\b", " "),
    (r"\b(?:key |wholesale |trade |customer |client )?accounts\b", "customers"),  # a key-account manager's customers
    (r"\b(?:key |wholesale |trade )?account\b(?=\s+(?:no\.?\s*|number\s+|#\s*)?[0-9])", "customer"),
    (r"\bpeak\s+(day|week|month|quarter|hour|weekday|year)\b", r"busiest \1"),
    # "from the second quarter of 2011 to the third": the third quarter of 2011
    (r"\b(first|second|third|fourth)\s+(quarter|half)\s+of\s+(\d{4})\s+(to|and|with|versus|vs\.?)\s+the\s+"
     r"(first|second|third|fourth)\b(?!\s+(?:quarter|half)\b)", r"\1 \2 of \3 \4 the \5 \2 of \3"),
    (r"\b(?:went|gone)\s+to\b", "sold to"),  # "how many units went to UK customers" (not "going to churn")
    (r"\b(?:big\s+)?spenders\b", "customers by revenue"),
    (r"\blifetime\s+(?:net\s+|gross\s+)?(?:spend|spending|revenue|sales)\b", "revenue"),
    (r"\bper\s+(?!active\b|buying\b|paying\b|new\b|returning\b|repeat\b|each\b|single\b)([a-z]+)\s+(customer|buyer|client)\b",
     r"per \2 \1"),  # "orders per Swiss customer": a customer of that country
    (r"\bper\s+(?:buyer|client|shopper|head|purchaser)\b|\bper\s+(?:active|buying|paying)\s+(?:customer|buyer|client|"
     r"shopper)\b", "per customer"),  # those who bought in the period are the ones a per-customer figure divides by
    (r"\b(?:each|every|per|by)\s+day\s+of\s+(?:the\s+)?week\b", "by weekday"),
    (r"\bat\s+(high|medium|low)\s+risk\s+of\s+(?:churn\w*|leaving|lapsing)\b", r"\1 risk"),
    (r"\b(high|medium|low)[- ]risk\s+(?:of\s+)?churn(?:ing)?\b|\b(high|medium|low)[- ]churn[- ]risk\b", r"\1\2 risk"),
    (r"\brfm\s+(segments?)\b", r"\1"),
    # a weekday leading the question: "Fridays in January and February 2011 - how many orders in total?"
    (r"^(\W*)((?:mon|tues|wednes|thurs|fri|satur|sun)days)\s+(?=in\b|during\b|of\b|between\b|from\b)", r"\1on \2 "),
    # a weekday said before its measure: "Friday order count, April-June 2011", "Sunday revenue"
    (r"\b(mon|tues|wednes|thurs|fri|satur|sun)days?\s+(number of orders|order count|orders|order|revenue|sales|takings|units)\b",
     r"\2 on \1day"),
    # "the At Risk group", "its headcount": a segment and its number of customers
    (r"\b(champions|loyal customers|loyal|at risk|hibernating|lost|potential loyalists?|promising|need attention|"
     r"about to sleep|cannot lose them)\s+(?:group|bucket|cluster|band)\b", r"\1 segment"),
    (r"\b(?:what'?s|what is|give me)\s+(?:its|their|the)\s+headcount\b", "how many customers"),
    (r",?\s*with (?:their |the )?headcounts\b", " by customers"),
    (r"\bheadcounts?\b", "number of customers"),
    # stop 43: v50's and v51's wordings
    (r"\s*\(\s*(?:only\s+)?(?:had\s+)?(?:days with\s+)?(?:1\+|1 or more|one or more|at least (?:one|1)|an?)\s+(?:orders?|number of orders)(?:\s+counts?)?"
     r"\s*\)", " "),
    (r",?\s*(?:summed|added up|totalled)\s*(?=\?|$)", ""),
    (r"\bnumber of countries with at least one (?:ordering|buying|paying|active) customer\b", "number of countries customers ordered from"),
    (r"\bper day (?:that|when|on which) (?:the shop|we|you|it|the business)\s+(?:actually\s+)?traded\b", "per day"),
    (r"\s*[-\u2013,]?\s*\(?\s*(?:qty|quantity|units)\s*(?:\u00d7|x|\*|times)\s*(?:unit\s+)?price,?\s*(?:summed|added up|totalled)\s*\)?"
     r"(?=\s*[?.]|$)", ""),
    (r"\borders that (?:have|had|carry|carried) (?:an?|at least one) (cancell?ed|completed|returned) line\b", r"orders with a \1 line"),
    (r"\s*\(\s*divide by all (?:the\s+)?orders(?:\s+(?:of|in) (?:the|that) (?:month|period|quarter|year))?\s*\)", " "),
    (r"\s*\(\s*(?:denominator|base|whole)\s*(?:=|:|is)\s*all (?:net\s+)?revenue,?\s*(?:incl\.?|including) guest(?:s| orders| checkouts)?"
     r"\s*\)", " "),  # the whole of a share always holds the guest orders
    (r"\bevery product whose name (?:includes|contains|has) ([a-z0-9'& ]+?)(?=\s*[?.,;:]|$)", r"products with '\1' in the name"),
    (r"\b([a-z]+) products\s*\(\s*(?:every|any|each|all)\s+(?:stock\s+)?codes?\s+whose\s+names?\s+(?:contains?|includes?|has|have)\s+it"
     r"\s*\)", r"products with '\1' in the name"),
    (r"^\W*(?:(?!revenue|sales|units|orders|customers|quantity|buyers)[a-z ]){3,30}?\s*\(\s*(?:every|any|each|all)\s+(?:stock\s+)?"
     r"codes?\s+with\s+'?([a-z0-9'& ]+?)'?\s+(?:somewhere\s+|"
     r"anywhere\s+)?in\s+(?:its|the|their)\s+names?\s*\)", r"products with '\1' in the name"),
    (r"\s*\(\s*(?:i\.?e\.?|\.)?,?\s*(?:went|gone|going) (?:quiet|silent|dormant|inactive) before [a-z0-9 ]+\)", " "),
    (r"\b(?:ordered|bought|purchased) (\w+) (?:or|and) more times(?: altogether| in total| overall)?\b", r"placed at least \1 orders"),
    (r"\bhow many does (?:your|the) churn model (?:score|put|place|rate|class)\s+(?:them\s+)?as (high|medium|low)(?:[- ]risk)?\b",
     r"how many are \1 risk"),
    (r"\bgive (?:me )?the (?:leading|top|biggest) (\d+|two|three|four|five)\b", r"top \1"),
    (r",?\s*(?:so\s+)?skip postage and (?:the\s+)?other codes that (?:don'?t|do not) start with a digit\b", " excluding non-merchandise"),
    (r"\s*\(\s*any cancell?ed line makes the (?:order count|number of orders|order)(?: count)?(?: as cancell?ed)?\s*\)", " "),
    (r"(?:\bmerchandise only,?\s*(?:so\s+)?)?\bskip non-merchandise(?: that (?:don'?t|do not) start with a digit)?", "excluding non-merchandise"),
    (r"\b(?:(for|in|over|during)\s+)?each of the (week|month|quarter|day)s\b", r"by \2 \1 the \2s"),  # a series, never the sum
    (r"\bfor (?:each|every|the individual|the separate) (week|month|quarter|day)s? (?:of|in)\b", r"by \1 in"),  # "orders for each week in March"
    (r"\s*\(\s*the last(?: one| week)? (?:runs|goes|ends|running) (?:on\s+)?(?:to|until|till|through|into)?\s*(?:sunday\s+)?\d{1,2}(?:st|nd|rd|th)?"
     r"\s+[a-z]{3,9}\.?\s*\)", " "),  # a week's end said again
    (r"\b(?:each|every)\s+monday[- ]start(?:ing)?\s+week\s+of\s+([a-z]+)\s+(\d{4})\s*[-\u2013,:]\s*the\s+weeks\s+(beginning|starting)\s+"
     r"(\d[\d, ]*(?:and|&)\s*\d{1,2})\s+\1\b", r"by week for the weeks \3 \4 \1 \2"),
    (r"^\W*([a-z]+)\s+(\d{4})\s+weeks\s*\(\s*mondays\s+(\d[\d, ]*(?:and|&)\s*\d{1,2})\s+[a-z]{3,9}\.?\s*\)\s*:\s*which\s+(\w+)\s+weeks\b",
     r"which \4 weeks starting on mondays \3 \1 \2"),
    (r"[.?]\s*give each week'?s monday and its (?:net\s+)?(?:revenue|orders|figure|value|total)\s*[.!]?\s*$", "?"),
    # "Ireland shows up as EIRE in your data, I gather. Its customers' net revenue ...": the data's name for the country
    (r"^\W*[a-z ]{3,30}?\s+(?:shows up|appears|is listed|is recorded|is stored|is coded)\s+as\s+([a-z][a-z ]{1,30}?)\s+in\s+(?:your|the)\s+"
     r"(?:data|records|system),?(?:\s*i\s+(?:gather|think|believe|assume|understand))?\s*\.\s*its\b", r"\1's"),
    # "had stopped buying before September 2011, i.e. their latest completed order is dated before 1 Sep 2011"
    (r"\b(?:had\s+)?stopped\s+(?:buying|ordering|purchasing)\s+before\s+[a-z0-9 ]{3,30}?,?\s*(?:i\.e\.?|\.),?\s*(?:their|whose)\s+"
     r"(?:latest|last|most recent)\s+(?:completed\s+)?order\s+(?:is|was)\s+(?:dated\s+)?before\s+", "had their last completed order before "),
    (r"\b(buyers|customers|shoppers)\s+outside the uk,?\s*(?:i\.e\.?|\.)\s*non-uk\s+(?:customers|buyers)\s+with\s+an?\s+"
     r"order\s+(?:that|this|in the)\s+(?:month|quarter|period)\b", r"\1 outside the uk"),
    # the whole of a share said to hold the guest orders: it always does
    (r"\s*\(\s*(?:with\s+)?guest (?:orders|checkouts)(?: included)? in the (?:base|whole|denominator)(?: too| as well)?\s*\)", " "),
    (r"\b(?:in\s+|for\s+)?each of (?:the\s+)?(q[1-4] to q[1-4] (?:of\s+)?\d{4})\b", r"by quarter in \1"),  # "each of the first three quarters"
    # "over the three autumn months, September, October and November 2011": the months named say it
    (r"\b(?:over|in|across|during)?\s*the\s+(?:two|three|four|five|six|\d)\s+(?:autumn\s+|summer\s+|spring\s+|winter\s+|"
     r"christmas\s+|festive\s+|peak\s+|busy\s+|quiet\s+)?months\s*,\s*(?=(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\b)",
     " in "),
    (r"\bdivide\s+(net\s+revenue|revenue|sales|takings)\s+by\s+the\s+number\s+of\s+(?:trading\s+)?days\s+(?:on\s+which|when|"
     r"with)\s+[^?.]{0,40}?(?:at least one|an?|any|one or more)\s+(?:completed\s+)?orders?\b(?:\s*[-,]\s*what do you get)?",
     r"average \1 per day"),  # (a mean per day is over the days with orders)
    (r"\s*\(\s*(?:qty|quantity|units)\s*(?:\u00d7|x|\*|times)\s*(?:unit\s+)?price(?:,?\s*summed)?\s*\)", " "),
    (r"\b((?:mon|tues|wednes|thurs|fri|satur|sun)days)\s+only\b", r"on \1"),
    (r"(\btrading days\b[^?.]{0,40}?),?\s*(?:meaning|i\.e\.?|that is|defined as)\s+days\s+(?:with|on which there was)\s+"
     r"(?:at least one|an?|any|one or more)\s+(?:completed\s+)?orders?\b", r"\1"),
    (r"(\btrading days\b[^?.]{0,40}?),?\s*(?:meaning|i\.e\.?|that is)\s+trading days\b", r"\1"),
    (r"\s*\(\s*(?:by\s+)?(?:the\s+)?(?:each\s+order'?s\s+)?first line'?s? time\s*\)", " "),  # an order's time is its lines'
    (r"[.?]?\s*go by the time (?:on|of) (?:each|the|an) order'?s first line\s*[.]?", "."),
    (r"\b([a-z]+)-named (products|items|lines)\b", r"\2 with \1 in the name"),
    (r"(\bwith '?([a-z]+)'? in the name)\s*\(\s*(?:every|any|each|all)\s+(?:stock\s+)?codes?\s+with\s+'?\2'?\s+(?:somewhere\s+|"
     r"anywhere\s+)?in\s+(?:its|the|their)\s+names?\s*\)", r"\1"),  # the name filter said again
    (r"\b(top \d+|\w+)\s+([a-z]+)\s+(items|products|lines)\b([^()?]*?)\s*\(\s*(?:every|any|each|all)\s+(?:stock\s+)?codes?\s+with\s+"
     r"'?\2'?\s+(?:somewhere\s+|anywhere\s+)?in\s+(?:its|the|their)\s+names?\s*\)", r"\1 \3 with '\2' in the name\4"),
    (r"\b(bought|purchased|ordered)\s+one\b(?!\s+(?:of|or|more|time|order|product|item))", r"\1"),
    (r"\b(\w+)\s+orders,?\s+no more(?:,)?\s+(?:and|or)\s+no (?:fewer|less)\b", r"exactly \1 orders"),
    (r":\s*how many customers is that\b", ": how many customers"),
    (r"\b(\w+) days with the highest (revenue|sales|orders)\b", r"top \1 days by \2"),
    (r"\b(two|three|four|five|six|seven|eight|nine|ten|\d{1,2}) peak days\b(?:\s+by\s+(?:the\s+)?(?:number of\s+)?(orders|revenue|units))?",
     lambda m: f"top {m.group(1)} days by {m.group(2) or 'orders'}"),
    (r",?\s*(?:dates|names|ids) and (?:figures|values|amounts|revenue|totals)\s*(?=\?|$)", ""),
    (r"\bname the (top\s+)?(\w+)\s+(?=[a-z-]*\s*(?:countries|products|customers|segments|months|days))", r"which are the \1\2 "),
    (r",?\s*and give (?:the|their) (?:counts|figures|values|numbers)\b", " "),
    (r"\breached the (?:widest|broadest|largest) (?:range|number|spread) of (customers|buyers)\b", r"had the most \1"),
    (r"\s*[-\u2013]\s*most distinct buyers each\b", " "),
    (r"\b(?:the\s+)?(\w+)\s+most frequent (?:buyers|customers|shoppers)\s+by\s+(?:order count|number of orders|orders)\b",
     r"top \1 customers by orders"),
    (r"\?\s*customer ids,?\s*(?:pls|please)\b", "?"),
    (r"\s*\(\s*count an order once if any (?:line of it|of its lines|line) (?:was|is|were) cancell?ed\s*\)", " "),
    (r"\bhow many (?:separate|individual)\s+(?=[a-z])", "how many "),  # a count, not each one separately
    # the name filter said first: "EGG CUP in the product name: how many customers bought one in 2011?"
    (r"^\W*([a-z0-9'&](?:(?!\bwith\b)[a-z0-9'& ]){1,38}?)\s+in (?:the|its|their) (?:product |item )?names?\s*[:\-\u2013]\s*(.+?)\s*([?.!]*)\s*$",
     r"\2 with \1 in its name\3"),
    (r"\s*\(\s*(?:i\.e\.?\s+)?(?:the\s+)?(\d+)[- ]month total\s*(?:/|divided by)\s*\1\s*\)", " "),  # "(the 11-month total / 11)"
    # the span of a range said again in words: "from 19 Nov to 9 Dec 2011 inclusive (the closing three weeks of the records)"
    (r"(\bto\s+[^()?]{3,40}?\d{4}(?:\s+inclusive)?)\s*\(\s*(?:i\.e\.?\s+)?the\s+(?:closing|last|final|first|opening)\s+(?:\w+\s+)?"
     r"(?:days|weeks|months)(?:\s+of\s+the\s+(?:records|data|dataset|data set|history))?\s*\)", r"\1"),
    # the weeks' start days said again in brackets: "the five Monday-start weeks beginning 2 May (2, 9, 16, 23 and 30 May)"
    (r"(\bweeks?\b[^()?]{0,40}?\b(?:beginning|starting|from|commencing)\s+(?:monday\s+)?\d{1,2}[^()?]{0,20}?)\s*\(\s*\d{1,2}"
     r"(?:,\s*\d{1,2})*,?\s*(?:and|&)\s*\d{1,2}\s+[a-z]{3,9}\.?\s*\)", r"\1"),
    (r"\s*[-\u2013,;]\s*which (?:customer\s+)?ids\b(?:,?\s*and how much (?:each|apiece|for each|did each spend))?", " "),
    (r"\b(?:your|the|our)\s+rfm\s+(?:segmentation|model)\s+has\s+(?:an?|the)\s+", "the "),
]
# words that set something aside, or say how to work the figure out, in a sentence of context: never words about the
# asker ("Skip the December spike.", "Make it a monthly figure.", "We care mostly about weekends.")
SET_ASIDE = (r"\b(?:skip|skipping|ignore|ignoring|forget|disregard|exclude|excluding|except|treat it|divide|divided|"
             r"dividing|denominator|treat them|make it|make that|split it|split that|split them|break it|break that|round it|express it)\b|"
             r"^\W*(?:please\s+)?(?:use|split|break|leave|drop|only|just)\b")
# besides those, in a sentence whose unknown words are dropped as context: words that narrow or count ("Guests don't
# count for us.")
LEFT_ASIDE = (r"\b(?:drop|dropping|leave|leaving|without|aside|apart|besides|only|just|mostly|mainly|weekends?|weekdays?|"
              r"working days?|treat|count|counting|make|split|break|instead|rather|round|express|convert|"
              r"in (?:euros?|dollars?|units|percent))\b")
# days said as a filter in a sentence of context ("We care mostly about weekends.", "Fridays, January and February
# 2011: ..."), and any day said in the question itself
DAYS_AS_A_FILTER = r"\b(?:weekends?|weekdays|working days|business days|(?:mon|tues|wednes|thurs|fri|satur|sun)days)\b"
DAYS_SAID = r"\b(?:weekends?|weekdays|working days|business days|(?:mon|tues|wednes|thurs|fri|satur|sun)days?)\b"


# customers said to have bought before: a count of those with no order since keeps them only
ONCE_BOUGHT = (r"\bever\s+(?:bought|ordered|purchased|shopped)\b|\b(?:at some point|at least once|anymore|any more|no longer|"
               r"stopped|lapsed|lapsing|churned|dormant|inactive|gone quiet|win-?back)\b|\b(?:bought|ordered|purchased|shopped)\s+"
               r"(?:from us\s+)?(?:before|previously|in the past)\b|\bwho(?:'ve| have| had)\s+(?:ever\s+)?(?:ordered|bought|"
               r"purchased|shopped)\b")
# content words of the grammar, for respelling a mistyped one ("revnue", "custmers")
_PATTERN_TEXT = " ".join([p for _, p in METRIC_PATTERNS + DIM_PATTERNS + RULES] + sorted(FUNCTION_WORDS | PROTECTED))
VOCABULARY = sorted({w for w in re.findall(r"[a-z]{4,}", re.sub(r"\\[a-zA-Z]", " ", _PATTERN_TEXT))}
                    | {"january", "february", "march", "april", "june", "july", "august", "september", "october",
                       "november", "december", "receive", "received", "cancelled", "returned", "quarter", "weekend",
                       "weekends", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday",
                       "acquire", "acquired", "quantity"})
# the question's own words: a fuzzy match of one of them is never an entity ("entire" is not EIRE)
WORDS_NOT_NAMES = frozenset(FUNCTION_WORDS) | frozenset(VOCABULARY) | frozenset(
    "franc francs euro euros dollar dollars pound pounds sterling krona kronor krone kroner yen rand peso pesos zloty "
    "currency currencies".split())  # "Swiss revenue in Swiss francs" names no France
FILLER_PHRASES = re.compile(r"\b(in total|all together|so far|to date|of all time|on record|as a whole|break(?:s|ing)? (?:it )?down|"
                            r"breakdown|split (?:up )?by|"
                            r"how much|how many|number of|amount of|what was|what is|what were|what are|"
                            r"could you|can you|would you|tell me|show me|give me|i want|i need|i'd like|"
                            r"do we|did we|have we|does it|were there|was there|is there|are there)\b")


def _num(token: str) -> int:
    return int(token) if token.isdigit() else NUMBER_WORDS[token]
