"""Feedback: sentiment over time, by category and product, aspects, topics with words, trend, quotes, drill-down."""

import plotly.express as px
import streamlit as st

from dashboards import data, ui

st.title("Feedback")
ui.page_guard()
ui.filter_note("period, category, country (via the customer)")
if not ui.need("nlp.feedback_sentiment"):
    st.caption("The feedback models have not produced nlp.feedback_sentiment yet: run `cip run` with a source "
               "that has feedback (the synthetic default does) once the feedback assets are installed.")
    st.stop()
span = ui.period()
cond, params = ui.where(category="f.category", country="c.country")
if span:
    cond, params = cond + " AND f.created_at::DATE BETWEEN $s AND $e", {**params, "s": span[0], "e": span[1]}
join = "LEFT JOIN marts.customer_360 c USING (customer_id)" if ui.selected("country") else ""
base = f"(SELECT f.* FROM nlp.feedback_sentiment f {join} WHERE {cond})"

totals = data.read(f"""SELECT count(*) AS texts, avg(sentiment_score) AS sentiment,
                              avg((sentiment_label = 'negative')::INT) AS negative, avg(rating) AS rating
                       FROM {base}""", **params)
c = st.columns(4)
c[0].metric("Texts", f"{totals.texts[0]:,}")
c[1].metric("Average sentiment", "n/a" if totals.sentiment.isna()[0] else f"{totals.sentiment[0]:+.2f}")
c[2].metric("Negative share", "n/a" if totals.negative.isna()[0] else f"{totals.negative[0]:.1%}")
c[3].metric("Average rating", "n/a" if totals.rating.isna()[0] else f"{totals.rating[0]:.2f}")
if totals.texts[0] == 0:
    st.info("No feedback in the chosen period and filters.")
    st.stop()

weekly = data.read(f"""SELECT date_trunc('week', created_at) AS week, channel, avg(sentiment_score) AS sentiment,
                              count(*) AS texts FROM {base} GROUP BY 1, 2 ORDER BY 1""", **params)
st.plotly_chart(px.line(weekly, x="week", y="sentiment", color="channel", hover_data=["texts"], height=300,
                        title="Average sentiment by week"), width="stretch")
left, right = st.columns(2)
by_cat = data.read(f"""SELECT category, sentiment_label, count(*) AS texts FROM {base} GROUP BY 1, 2""", **params)
left.plotly_chart(px.bar(by_cat, x="category", y="texts", color="sentiment_label", height=340,
                         color_discrete_map={"negative": "#d62728", "neutral": "#aaaaaa", "positive": "#2ca02c"},
                         title="Sentiment by category"), width="stretch")
by_product = data.read(f"""SELECT product_id, count(*) AS texts, avg(sentiment_score) AS sentiment
                           FROM {base} WHERE product_id IS NOT NULL GROUP BY 1 HAVING count(*) >= 5
                           ORDER BY sentiment LIMIT 15""", **params)
right.plotly_chart(px.bar(by_product, x="sentiment", y="product_id", orientation="h", hover_data=["texts"],
                          height=340, title="Products with the lowest sentiment (5+ texts)"), width="stretch")

st.subheader("Aspects")
if ui.need("nlp.feedback_aspects"):
    kind = data.read("SELECT typeof(aspect_sentiment) AS t FROM nlp.feedback_aspects LIMIT 1")
    if len(kind) and kind.t[0] in ("DOUBLE", "FLOAT", "DECIMAL", "INTEGER", "BIGINT"):  # a score per mention
        aspects = data.read(f"""SELECT a.aspect, count(*) AS mentions, avg(a.aspect_sentiment) AS avg_sentiment,
                                       avg((a.aspect_sentiment < 0)::INT) AS negative_share
                                FROM nlp.feedback_aspects a JOIN {base} b USING (feedback_id)
                                GROUP BY 1 ORDER BY mentions DESC""", **params)
        fig = px.bar(aspects, x="aspect", y="mentions", color="avg_sentiment", color_continuous_scale="RdYlGn",
                     range_color=(-1, 1), hover_data=["negative_share"], height=320)
    else:  # a label per mention
        aspects = data.read(f"""SELECT a.aspect, a.aspect_sentiment, count(*) AS mentions
                                FROM nlp.feedback_aspects a JOIN {base} b USING (feedback_id) GROUP BY 1, 2""",
                            **params)
        fig = px.bar(aspects, x="aspect", y="mentions", color="aspect_sentiment", height=320)
    st.plotly_chart(fig, width="stretch")

st.subheader("Topics")
if ui.need("nlp.feedback_topics"):
    topics = data.read("SELECT * FROM nlp.feedback_topics ORDER BY texts DESC")
    st.dataframe(topics[[c for c in ("topic_id", "topic_label", "top_words", "texts", "share") if c in topics]],
                 hide_index=True, width="stretch")
    if data.has("nlp.feedback_topic_trend"):
        trend = data.read("SELECT topic_label, week, texts FROM nlp.feedback_topic_trend ORDER BY week")
        st.plotly_chart(px.area(trend, x="week", y="texts", color="topic_label", height=320,
                                title="Topics by week"), width="stretch")
    if len(topics):
        label = st.selectbox("Representative quotes of", topics.topic_label.tolist(), key="fb_topic")
        row = topics[topics.topic_label == label].iloc[0]
        quotes = ui.mask(topics[topics.topic_label == label][[c for c in ("representative_1", "representative_2",
                                                                          "representative_3") if c in topics]])
        for q in quotes.iloc[0].dropna():
            st.markdown(f"> {ui.md(q)}")  # a review is text, never Markdown: no remote images or links
        st.caption(ui.md(f"topic {row.topic_id}: {row.get('top_words', '')}"))

st.subheader("Texts")
c1, c2 = st.columns(2)
label_filter = c1.multiselect("Sentiment", ["negative", "neutral", "positive"], key="fb_labels")
search = c2.text_input("Contains", key="fb_search")
tcond = "TRUE"
tparams = dict(params)
if label_filter:
    tcond += " AND sentiment_label IN (SELECT unnest($labels::VARCHAR[]))"
    tparams["labels"] = label_filter
if search:
    tcond += " AND text ILIKE $needle"
    tparams["needle"] = f"%{search}%"
id_col = "customer_id, " if ui.allowed("analyst") else ""
texts = data.read(f"""SELECT created_at, {id_col}channel, category, product_id, rating, sentiment_label,
                             round(sentiment_score, 2) AS sentiment_score, topic_label, text
                      FROM {base} WHERE {tcond} ORDER BY created_at DESC LIMIT 1000""", **tparams)
ui.paginated(texts, "fb_texts", page_size=20)
if ui.allowed("analyst"):
    ui.export_buttons(texts, "feedback_texts", "fb_export")
