"""Aspects: what a text talks about, from keyword seeds plus embedding similarity, with a sentiment each.

A text carries an aspect when one of its sentences matches the aspect's keyword seeds, or when
its embedding is close to the aspect's description sentences (cosine >= SIMILARITY_THRESHOLD).
On the synthetic feedback (8,875 texts whose primary aspect is known) keywords alone find the true
aspect in 94.0% of texts (1.41 tags per text); similarity >= 0.5 adds 0.1 point for +0.04 tags per
text, >= 0.35 adds 0.6 points for +0.71: 0.5 keeps similarity for texts that name no keyword. (Those are the
transformer's figures; with the static build, the default, the mapped levels add no recall there and at most
+0.05 tags per text.) The aspect's sentiment is the
mean VADER score of the sentences that name it; where that is neutral (|score| < 0.05: VADER
knows no word for "took two weeks") or the text was tagged by similarity alone, the aspect takes
the text's own sentiment score (the classifier's, where one is in use). Sentences are scored with
VADER rather than embedded, so the encoder runs once per text, not once per sentence.

The seven aspects the brief names come first; the last four are what the real review sets
suggest (their most frequent topic words: fabric/material and colour/style/flattering in the
clothing reviews, sound/battery/performance and setup/app in the Alexa and Flipkart reviews).
Extra aspects can be passed as {name: (descriptions, keyword regex)}.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from cip_assets.feedback.embeddings import split_sentences

SIMILARITY_THRESHOLD = 0.5  # on the transformer's cosine scale (text_encoders.cosine_level maps it per build)
NEUTRAL_BAND = 0.05  # sentence scores closer to 0 than this defer to the text's own score

# name: (description sentences embedded as prototypes, keyword regex matched per sentence, case-insensitive)
ASPECTS: dict[str, tuple[list[str], str]] = {
    "delivery": (["The delivery was late and the parcel took weeks to arrive.",
                  "Fast delivery, the order arrived the next day.", "Shipping, courier and delivery time."],
                 r"\b(?:deliver\w*|arriv\w*|ship(?:ping|ped|ment|s)?|courier|parcel|dispatch\w*|tracking|postage|"
                 r"on time|late)\b"),
    "product quality": (["The product quality is poor, it broke and fell apart.",
                         "Excellent build quality, very well made and durable.", "How well the product is made."],
                        r"\b(?:quality|well made|poorly made|badly made|flimsy|cheaply|sturdy|durable|broke\w*|"
                        r"fell apart|falling apart|stopped working|defect\w*|faulty|damaged|craftsmanship)\b"),
    "size and fit": (["The size runs small, it did not fit.", "It fits perfectly and is true to size.",
                      "Sizing and fit of the clothes."],
                     r"\b(?:size[sd]?|sizing|fit|fits|fitted|fitting|tight|loose|too (?:small|big|large|long|short)|"
                     r"runs (?:small|large|big)|petite|length)\b"),
    "price and value": (["It is overpriced and not worth the money.", "Great value for money at this price.",
                         "The price, discount and value of the purchase."],
                        r"\b(?:price[sd]?|pricey|overpriced|expensive|cheap(?:er)?|value|worth|money|cost\w*|"
                        r"discount\w*|sale|charged|billing)\b"),
    "customer support": (["Customer service never replied and was unhelpful.",
                          "The support team was very helpful and solved my issue.",
                          "Contacting customer service, support agents and help."],
                         r"\b(?:customer (?:service|care|support)|support|helpdesk|agent|replied|reply|"
                         r"contact(?:ed)?|complain\w*|manager)\b"),
    "returns and refunds": (["I returned the item and I am still waiting for my refund.",
                             "The return was easy and the refund was quick.", "Returns, exchanges and refunds."],
                            r"\b(?:return\w*|refund\w*|exchang\w*|send(?:ing)? (?:it )?back|sent (?:it )?back|"
                            r"money back)\b"),
    "packaging": (["The box was crushed and the packaging was damaged.",
                   "Nicely packaged and well protected in the box.", "Packaging, box and wrapping."],
                  r"\b(?:packag\w*|packed|box(?:es)?|wrapp\w*|plastic|bubble wrap)\b"),
    "fabric and material": (["The fabric is thin, scratchy and see-through.", "Soft, thick, lovely material.",
                             "The fabric and material of the garment."],
                            r"\b(?:fabric|material|cotton|linen|silk|wool|polyester|knit|lining|sheer|"
                            r"see[- ]through|itchy|scratchy|soft)\b"),
    "look and style": (["The colour and pattern are beautiful and very flattering.",
                        "It looks unflattering and the colour is not as pictured.",
                        "The look, colour, design and style."],
                       r"\b(?:colou?rs?|pattern|print|design|style|stylish|flattering|unflattering|cute|pretty|"
                       r"beautiful|gorgeous|looks?)\b"),
    "performance and battery": (["The battery drains fast and it is slow.",
                                 "Great performance, the sound is loud and clear.",
                                 "Performance, speed, battery life and sound."],
                                r"\b(?:battery|performance|speed|slow|fast|lag\w*|sound|speaker|audio|volume|"
                                r"display|screen|processor|heating)\b"),
    "ease of use": (["Easy to set up and simple to use with the app.",
                     "Setup was confusing and it keeps disconnecting from wifi.", "Setup, app and ease of use."],
                    r"\b(?:set ?up|install\w*|easy to use|user friendly|app|wifi|wi-fi|connect\w*|pair\w*|"
                    r"instructions?)\b"),
}


def definitions_hash(aspects: dict | None = None) -> str:
    """A short hash of the aspect definitions: texts tagged under others are read again."""
    import hashlib

    return hashlib.md5(repr(aspects or ASPECTS).encode()).hexdigest()[:12]


def similarity_threshold(backend: str) -> float:
    from cip_resources.text_encoders import cosine_level

    return cosine_level(backend, SIMILARITY_THRESHOLD)


def aspect_names(aspects: dict | None = None) -> list[str]:
    return list((aspects or ASPECTS).keys())


def prototype_vectors(encode, aspects: dict | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(vectors of every description sentence, aspect index of each), from any encode(list[str]) function."""
    aspects = aspects or ASPECTS
    texts, owner = [], []
    for i, (descriptions, _) in enumerate(aspects.values()):
        texts += descriptions
        owner += [i] * len(descriptions)
    return np.asarray(encode(texts), dtype=np.float32), np.array(owner)


def similarities(doc_vectors: np.ndarray, prototypes: np.ndarray, owner: np.ndarray, n_aspects: int) -> np.ndarray:
    """(n_docs, n_aspects): the best cosine of each text to any description sentence of the aspect."""
    sims = doc_vectors @ prototypes.T
    out = np.full((len(doc_vectors), n_aspects), -1.0, dtype=np.float32)
    for a in range(n_aspects):  # a loop over the ~11 aspects, not over rows
        out[:, a] = sims[:, owner == a].max(axis=1) if len(doc_vectors) else 0
    return out


def keyword_sentences(texts, aspects: dict | None = None) -> pd.DataFrame:
    """One row per (text, aspect, sentence) where the sentence matches the aspect's keywords:
    doc (position in `texts`), aspect, sentence."""
    aspects = aspects or ASPECTS
    sentences = split_sentences(pd.Series(texts, dtype=object))
    frames = []
    for name, (_, pattern) in aspects.items():
        hit = sentences.sentence.str.contains(re.compile(pattern, re.IGNORECASE), regex=True)
        frames.append(sentences.loc[hit, ["doc", "sentence"]].assign(aspect=name))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["doc", "sentence", "aspect"])


def tag_aspects(doc_ids, doc_vectors: np.ndarray, doc_scores: np.ndarray, keyword_hits: pd.DataFrame,
                sentence_scores: np.ndarray, prototypes: np.ndarray, owner: np.ndarray,
                aspects: dict | None = None, threshold: float = SIMILARITY_THRESHOLD) -> pd.DataFrame:
    """feedback_id, aspect, aspect_sentiment (in [-1, 1]), similarity, matched ('keyword' or 'similarity').

    `keyword_hits` comes from `keyword_sentences` (doc = position in doc_ids) and `sentence_scores`
    are the sentiment scores of its rows; `doc_scores` the texts' own scores."""
    names = np.array(aspect_names(aspects))
    doc_ids = np.asarray(doc_ids, dtype=object)
    sims = similarities(doc_vectors, prototypes, owner, len(names))
    hits = keyword_hits.assign(score=np.asarray(sentence_scores, dtype=float))
    by_keyword = hits.groupby(["doc", "aspect"], as_index=False).agg(aspect_sentiment=("score", "mean"))
    own = np.asarray(doc_scores, dtype=float)[by_keyword.doc.to_numpy().astype(int)] if len(by_keyword) else 0.0
    by_keyword["aspect_sentiment"] = np.where(by_keyword.aspect_sentiment.abs() >= NEUTRAL_BAND,
                                              by_keyword.aspect_sentiment, own)
    by_keyword["matched"] = "keyword"
    doc, col = np.nonzero(sims >= threshold)
    by_similarity = pd.DataFrame({"doc": doc, "aspect": names[col]})
    by_similarity = by_similarity.merge(by_keyword[["doc", "aspect"]], how="left", indicator=True)
    by_similarity = by_similarity[by_similarity._merge == "left_only"].drop(columns="_merge")
    by_similarity["aspect_sentiment"] = np.asarray(doc_scores, dtype=float)[by_similarity.doc.to_numpy()]
    by_similarity["matched"] = "similarity"
    tags = pd.concat([by_keyword, by_similarity], ignore_index=True)
    index = pd.Index(names)
    tags["similarity"] = sims[tags.doc.to_numpy().astype(int), index.get_indexer(tags.aspect)].astype(float)
    tags["feedback_id"] = doc_ids[tags.doc.to_numpy().astype(int)]
    tags["aspect_sentiment"] = tags.aspect_sentiment.clip(-1, 1)
    return (tags.sort_values(["doc", "similarity"], ascending=[True, False])
            [["feedback_id", "aspect", "aspect_sentiment", "similarity", "matched"]].reset_index(drop=True))


def aspect_lists(tags: pd.DataFrame) -> pd.Series:
    """feedback_id -> comma-separated aspects, most similar first."""
    if tags.empty:
        return pd.Series(dtype=object)
    return tags.groupby("feedback_id", sort=False).aspect.agg(",".join)
