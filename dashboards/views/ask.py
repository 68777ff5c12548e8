"""Ask: a chat over the question-answering engine (no LLM): answer cards with table, chart and SQL, history, suggestions."""

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboards import data, ui

st.title("Ask")
ui.page_guard()
try:
    from cip_assets.qa.engine import SUGGESTIONS, Engine, Session
except ImportError as exc:
    st.info(f"The question-answering engine is not installed (cip_assets.qa.engine: {exc}).")
    st.stop()


@st.cache_resource(show_spinner="loading the question index", max_entries=2)
def engine_for(db_path: str) -> Engine:
    from cip_resources.settings import paths

    return Engine(db_path, paths().qa_index)


engine = engine_for(str(data.db()))
session = st.session_state.setdefault("qa_session", Session())
history = st.session_state.setdefault("qa_history", [])


def suggestions() -> list[str]:
    made = getattr(engine, "_suggestions", None)
    try:
        found = list(made()) if callable(made) else []
    except Exception:  # a suggestion helper that fails must not take the page down
        found = []
    return found[:6] or [s for s in SUGGESTIONS if "{" not in s][:6]


def customer_level(card) -> bool:
    """The engine marks profiles, churn reasons and lists of customer ids; a table that names customers counts too."""
    columns = {str(c).lower() for c in (card.table or {}).get("columns", [])}
    return bool(getattr(card, "customer_level", False)) or bool(columns & {"customer", "customer_id"})


def show(card) -> None:
    if customer_level(card) and not ui.allowed("analyst"):
        st.warning("This answer is about individual customers and needs the analyst role.")
        return
    st.text(card.answer)  # answers quote data (reviews): shown as text, never rendered as Markdown
    table = card.table or {}
    frame = pd.DataFrame(table.get("rows") or [], columns=table.get("columns") or None)
    chart = card.chart or {}
    if len(frame) > 1 and chart.get("type") in ("bar", "line") and {chart.get("x"), chart.get("y")} <= set(frame):
        draw = px.bar if chart["type"] == "bar" else px.line
        st.plotly_chart(draw(frame, x=chart["x"], y=chart["y"], height=300), width="stretch")
    if len(frame):
        st.dataframe(ui.mask(frame), hide_index=True, width="stretch")
    details = [f"status: {card.status}", f"confidence: {card.confidence:.2f}"]
    if card.filters:
        details.append("understood: " + "; ".join(card.filters))
    st.caption(" · ".join(details))
    if card.sql:
        with st.expander("SQL"):
            st.code(card.sql, language="sql")
            st.caption(f"parameters: {card.params}")


for question, card in history:
    st.chat_message("user").write(question)
    with st.chat_message("assistant"):
        show(card)

st.caption("Try: ")
cols = st.columns(3)
clicked = None
for i, suggestion in enumerate(suggestions()):
    if cols[i % 3].button(suggestion, key=f"qa_suggest_{i}"):
        clicked = suggestion
question = st.chat_input("Ask about customers, revenue, churn, segments or feedback") or clicked
if question:
    try:
        card = engine.ask(question, session)
    except Exception as exc:  # the engine is another team's code: report, do not crash the page
        st.warning(f"The engine could not answer: {exc}")
    else:
        history.append((question, card))
        st.rerun()
if history and st.button("Clear the conversation", key="qa_clear"):
    st.session_state.qa_history, st.session_state.qa_session = [], Session()
    st.rerun()
