"""The dashboard with streamlit.testing: every page on a real published copy, roles, masking, audit, report.

One `cip run` of the synthetic default builds the published copy for this module and for
tests/test_dashboard_browser.py (kept on the pytest config, so a session builds it once). Two copies
are derived from it: `bare`, with every table the later issues add removed (each page must say what
to run, never crash), and `full`, where tables that those issues have not published yet are added
as stand-ins in the documented shape (built from the run's own raw feedback and scores).
"""

import os
import re
import shutil
import sys
from io import BytesIO
from pathlib import Path

import duckdb
import pandas as pd
import pytest
import yaml
from streamlit.testing.v1 import AppTest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # `dashboards` is not an installed package
    sys.path.insert(0, str(ROOT))
APP = str(ROOT / "dashboards" / "app.py")
PAGES = ["views/overview.py", "views/churn_pricing.py", "views/customer.py", "views/segments.py",
         "views/feedback.py", "views/ask.py", "views/alerts.py", "views/experiments.py", "views/exports.py"]
OPTIONAL = ["nlp.feedback_sentiment", "nlp.feedback_aspects", "nlp.feedback_topics", "nlp.feedback_topic_trend",
            "nlp.feedback_summary", "ml.offer_recommendations", "ml.uplift_evaluation", "ml.price_sensitivity",
            "monitoring.alerts", "monitoring.drift_summary", "monitoring.data_quality",
            "monitoring.model_performance", "ml.purchase_propensity", "ml.propensity_evaluation",
            "ml.next_action_scores", "ml.next_action_evaluation", "marts.funnel_by_category", "marts.purchase_timing"]
SECRET_EMAIL = "jane.doe@example.com"
SECRET_PHONE = "+44 20 7946 0958"

STAND_INS = {
    "nlp.feedback_sentiment": f"""
        SELECT feedback_id, customer_id, product_id, category, channel, created_at, rating,
               CASE WHEN row_number() OVER (ORDER BY created_at DESC, feedback_id) = 1
                    THEN text || ' Call me on {SECRET_PHONE} or mail {SECRET_EMAIL}' ELSE text END AS text,
               CASE WHEN rating >= 4 THEN 'positive' WHEN rating <= 2 THEN 'negative' ELSE 'neutral' END
                   AS sentiment_label,
               coalesce((rating - 3) / 2, 0) AS sentiment_score, 'stand-in' AS method,
               dense_rank() OVER (ORDER BY category) AS topic_id, category || ' talk' AS topic_label,
               ['quality'] AS aspects
        FROM wh.raw.feedback WHERE text IS NOT NULL""",
    "nlp.feedback_aspects": """
        SELECT feedback_id, CASE WHEN text ILIKE '%courier%' OR text ILIKE '%deliver%' THEN 'delivery'
                                 ELSE 'quality' END AS aspect, sentiment_label AS aspect_sentiment
        FROM nlp.feedback_sentiment""",
    "nlp.feedback_topics": """
        SELECT topic_id, topic_label, lower(category) || ', quality, price' AS top_words, count(*) AS texts,
               count(*) / sum(count(*)) OVER () AS share, min(text) AS representative_1, max(text) AS representative_2,
               any_value(text) AS representative_3
        FROM nlp.feedback_sentiment GROUP BY topic_id, topic_label, category""",
    "nlp.feedback_topic_trend": """
        SELECT topic_id, topic_label, date_trunc('week', created_at) AS week, count(*) AS texts
        FROM nlp.feedback_sentiment GROUP BY ALL""",
    "ml.offer_recommendations": """
        SELECT customer_id,
               CASE risk_band WHEN 'high' THEN 'discount_20' WHEN 'medium' THEN 'discount_10' ELSE 'no_offer' END
                   AS recommended_arm,
               CASE risk_band WHEN 'high' THEN 20 WHEN 'medium' THEN 10 ELSE 0 END AS discount_pct,
               churn_probability * 0.1 AS predicted_uplift, avg_order_value AS expected_order_value,
               churn_probability * 0.1 * avg_order_value * 0.5 AS expected_incremental_profit,
               churn_probability, risk_band, 'stand-in' AS reason,
               row_number() OVER (ORDER BY churn_probability DESC, customer_id) AS priority_rank,
               row_number() OVER (ORDER BY churn_probability DESC, customer_id) <= 100 AS within_budget
        FROM marts.customer_scores WHERE churn_probability IS NOT NULL AND avg_order_value > 0""",
    "ml.price_sensitivity": """
        SELECT * FROM (VALUES ('Champions', 'Electronics', -0.8, -1.2, -0.4, 500, 'stand-in'),
                              ('At Risk', 'Clothing', -1.6, -2.3, -0.9, 300, 'stand-in'))
            t(segment, category, elasticity, ci_low, ci_high, n_lines, note)""",
    "monitoring.alerts": """
        SELECT * FROM (VALUES (1, TIMESTAMP '2024-12-30 02:00', 'critical', 'drift', 'ml/churn_scores',
                               'feature recency_days drifted', 'psi', 0.31, 0.2, 'open'),
                              (2, TIMESTAMP '2024-12-30 02:00', 'warning', 'data_quality', 'raw/orders',
                               'null share above threshold', 'null_share', 0.06, 0.05, 'open'),
                              (3, TIMESTAMP '2024-12-01 02:00', 'warning', 'performance', 'ml/churn_model',
                               'roc_auc fell', 'roc_auc', 0.69, 0.7, 'closed'))
            t(id, created_at, severity, kind, entity, message, metric, value, threshold, status)""",
    "monitoring.drift_summary": """
        SELECT * FROM (VALUES ('recency_days', 0.31, true), ('frequency', 0.05, false)) t(feature, drift_score, drifted)""",
    "monitoring.data_quality": """
        SELECT * FROM (VALUES ('raw.order_lines', 'not_null order_id', true), ('raw.customers', 'unique id', true))
            t(table_name, check_name, passed)""",
    "monitoring.model_performance": """
        SELECT * FROM (VALUES (DATE '2024-11-01', 'churn', 'roc_auc', 0.74), (DATE '2024-12-01', 'churn', 'roc_auc', 0.72))
            t(evaluated_at, model, metric, value)""",
}


def _copy_home(run_home: Path, dest: Path) -> Path:
    (dest / "published").mkdir(parents=True)
    shutil.copy(run_home / "published" / "cip.duckdb", dest / "published" / "cip.duckdb")
    (dest / "mlflow.db").symlink_to(run_home / "mlflow.db")  # the registry; artifacts stay in the run's home
    return dest / "published" / "cip.duckdb"


def build_homes(config, factory, run_home: Path) -> tuple[Path, Path, Path]:
    """(run home, bare copy, full copy) from the session's synthetic `cip run`, built once per pytest session."""
    cached = getattr(config, "_cip_dashboard_homes", None)
    if cached:
        return cached
    base = factory.mktemp("dashboard")
    bare_db = _copy_home(run_home, base / "bare")
    with duckdb.connect(str(bare_db)) as con:
        for table in OPTIONAL:
            con.execute(f"DROP TABLE IF EXISTS {table}")
    full_db = _copy_home(run_home, base / "full")
    with duckdb.connect(str(full_db)) as con:
        con.execute(f"ATTACH '{run_home / 'warehouse.duckdb'}' AS wh (READ_ONLY)")
        present = {r[0] for r in con.execute("SELECT table_schema || '.' || table_name FROM information_schema.tables "
                                             "WHERE table_catalog = current_database()").fetchall()}
        for table, sql in STAND_INS.items():
            if table not in present:  # the real table wins once its issue publishes it
                con.execute(f"CREATE SCHEMA IF NOT EXISTS {table.split('.')[0]}")
                con.execute(f"CREATE TABLE {table} AS {sql}")
        # the masking tests need a text with an e-mail and a phone number, also in the real feedback table
        if not con.execute(f"SELECT count(*) FROM nlp.feedback_sentiment WHERE text LIKE '%{SECRET_EMAIL}%'"
                           ).fetchone()[0]:
            con.execute(f"""UPDATE nlp.feedback_sentiment SET text = text || ' Call me on {SECRET_PHONE} or mail
                            {SECRET_EMAIL}' WHERE feedback_id = (SELECT feedback_id FROM nlp.feedback_sentiment
                            WHERE text IS NOT NULL ORDER BY created_at DESC, feedback_id LIMIT 1)""")
        # the budget flow needs profitable offers; an honest champion policy of "no offer" (it happens when the
        # targeted model loses on the held-out campaign) has none, so the stand-in offers take its place
        if not con.execute("SELECT count(*) FROM ml.offer_recommendations WHERE discount_pct > 0 "
                           "AND expected_incremental_profit > 0").fetchone()[0]:
            con.execute(f"CREATE OR REPLACE TABLE ml.offer_recommendations AS {STAND_INS['ml.offer_recommendations']}")
        # the acknowledge flow needs open alerts; a quiet synthetic run raises none, so add the stand-ins
        if not con.execute("SELECT count(*) FROM monitoring.alerts WHERE coalesce(lower(status), 'open') = 'open'"
                           ).fetchone()[0]:
            con.execute(f"INSERT INTO monitoring.alerts BY NAME ({STAND_INS['monitoring.alerts']})")
        con.execute("DETACH wh")
    config._cip_dashboard_homes = (run_home, base / "bare", base / "full")
    return config._cip_dashboard_homes


@pytest.fixture(scope="module")
def homes(request, tmp_path_factory):
    return build_homes(request.config, tmp_path_factory, request.getfixturevalue("synthetic_run_home"))


@pytest.fixture
def use_home(monkeypatch, tmp_path):
    from streamlit import config as st_config

    bound = st_config.get_option("server.address")
    st_config.set_option("server.address", "127.0.0.1")  # what `cip dashboard` passes; AppTest binds nothing

    def use(home: Path, dashboard: dict | None = None) -> Path:
        monkeypatch.setenv("CIP_HOME", str(home))
        monkeypatch.delenv("CIP_DASHBOARD_AUTH", raising=False)
        if dashboard is None:
            monkeypatch.delenv("CIP_CONFIG", raising=False)
        else:
            path = tmp_path / "cip.yaml"
            path.write_text(yaml.safe_dump({"dashboard": dashboard}))
            monkeypatch.setenv("CIP_CONFIG", str(path))
        return home / "published" / "cip.duckdb"
    yield use
    st_config.set_option("server.address", bound)


def q(db: Path, sql: str):
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def render(page: str, at: AppTest | None = None) -> AppTest:
    at = at or AppTest.from_file(APP, default_timeout=60).run()
    at.switch_page(page).run()
    assert not at.exception, f"{page}: {[e.value for e in at.exception]}"
    return at


def metric(at: AppTest, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


def frames(at: AppTest) -> list[pd.DataFrame]:
    return [d.value for d in at.dataframe]


# ---------------------------------------------------------------- every page, bare and full
def test_every_page_renders_on_a_copy_without_the_later_tables(homes, use_home):
    db = use_home(homes[1])
    at = AppTest.from_file(APP, default_timeout=60).run()
    assert not at.exception
    infos = {}
    for page in PAGES:
        render(page, at)
        infos[page] = " ".join(i.value for i in at.info)
    # the Overview tiles are the marts' numbers for the default period (the last 90 days)
    (lo, hi), = q(db, "SELECT max(order_date) - 89, max(order_date) FROM marts.daily_kpis")
    (revenue, orders), = q(db, f"SELECT sum(revenue), sum(orders) FROM marts.daily_kpis "
                               f"WHERE order_date BETWEEN DATE '{lo}' AND DATE '{hi}'")
    at.switch_page("views/overview.py").run()
    assert metric(at, "Revenue") == f"{revenue:,.0f}"
    assert metric(at, "Orders") == f"{orders:,.0f}"
    (high_share,), = q(db, "SELECT avg((risk_band = 'high')::INT) FROM ml.churn_scores")
    assert metric(at, "High churn-risk share") == f"{high_share:.1%}"
    assert metric(at, "Average sentiment") == "n/a"
    at.switch_page("views/churn_pricing.py").run()
    (high,), = q(db, "SELECT count(*) FROM marts.customer_scores WHERE risk_band = 'high'")
    assert metric(at, "high risk") == f"{high:,}"
    # pages whose tables are missing say what to run
    assert "nlp.feedback_sentiment" in infos["views/feedback.py"] and "cip run" in infos["views/feedback.py"]
    assert "ml.offer_recommendations" in infos["views/churn_pricing.py"]
    assert "ml.purchase_propensity" in infos["views/churn_pricing.py"]
    assert "monitoring.alerts" in infos["views/alerts.py"]


def test_every_page_renders_with_the_later_tables(homes, use_home):
    db = use_home(homes[2])
    at = AppTest.from_file(APP, default_timeout=60).run()
    for page in PAGES:
        render(page, at)
    # filters chosen on one page carry to the next and narrow its figures
    (country,), = q(db, "SELECT country FROM marts.geo_summary ORDER BY customers DESC LIMIT 1")
    at.switch_page("views/overview.py").run()
    at.multiselect(key="f_country").set_value([country]).run()
    at.switch_page("views/churn_pricing.py").run()
    assert at.multiselect(key="f_country").value == [country]
    (high,), = q(db, f"SELECT count(*) FROM marts.customer_scores WHERE risk_band = 'high' AND country = '{country}'")
    assert metric(at, "high risk") == f"{high:,}"
    # the purchase-intent tab: propensity scores joined on the customers, under the same filter
    (buyers, saveable), = q(db, f"""SELECT count(*), count(*) FILTER (WHERE propensity_decile >= 9 AND risk_band = 'high')
                                    FROM marts.customer_scores
                                    WHERE purchase_probability IS NOT NULL AND country = '{country}'""")
    assert buyers > 0
    assert metric(at, "Customers scored for purchase") == f"{buyers:,}"
    assert metric(at, "High churn risk, high purchase intent") == f"{saveable:,}"
    at.multiselect(key="f_country").set_value([]).run()
    at.switch_page("views/feedback.py").run()
    (lo, hi), = q(db, "SELECT max(order_date) - 89, max(order_date) FROM marts.daily_kpis")
    (texts,), = q(db, f"SELECT count(*) FROM nlp.feedback_sentiment WHERE created_at::DATE BETWEEN DATE '{lo}' "
                      f"AND DATE '{hi}'")
    assert metric(at, "Texts") == f"{texts:,}"
    # the offers under the default budget (half of all profitable offers' cost): same as pandas
    at.switch_page("views/churn_pricing.py").run()
    columns = {r[0] for r in q(db, "SELECT column_name FROM information_schema.columns "
                                   "WHERE table_schema = 'ml' AND table_name = 'offer_recommendations'")}
    cost = "expected_cost" if "expected_cost" in columns else "discount_pct / 100.0 * expected_order_value"
    offers = pd.DataFrame(q(db, f"SELECT customer_id, expected_incremental_profit, {cost} "
                                "FROM ml.offer_recommendations WHERE discount_pct > 0 "
                                "AND expected_incremental_profit > 0"), columns=["id", "profit", "cost"])
    offers = offers.sort_values(["profit", "id"], ascending=[False, True])
    budget = round(offers.cost.sum() / 2, 0)
    chosen = offers[offers.cost.cumsum() <= budget]
    assert metric(at, "Customers targeted") == f"{len(chosen):,}"
    assert metric(at, "Expected incremental profit") == f"{chosen.profit.sum():,.0f}"
    at.slider(key="cp_budget").set_value(0.0).run()
    assert metric(at, "Customers targeted") == "0"
    # alerts: two open; acknowledging one goes to the dashboard's own store, not the read-only copy
    open_ids = [str(r[0]) for r in q(db, "SELECT id FROM monitoring.alerts WHERE coalesce(lower(status), 'open') "
                                         "= 'open' ORDER BY created_at DESC")]
    at.switch_page("views/alerts.py").run()
    assert metric(at, "Open alerts") == f"{len(open_ids):,}"
    if open_ids:
        at.button(key=f"ack_{open_ids[0]}").click().run()
        assert metric(at, "Open alerts") == f"{len(open_ids) - 1:,}"
        from cip_assets.reports import access
        assert access.acknowledged(homes[2]).alert_id.tolist() == [open_ids[0]]


def test_what_if_rescoring_with_the_champion(homes, use_home):
    use_home(homes[2])
    at = render("views/customer.py")
    customer = at.selectbox(key="cl_customer").value
    at.toggle(key="cl_whatif").set_value(True).run()
    assert not at.exception and not at.warning, [w.value for w in at.warning]
    label = next(m.label for m in at.metric if m.label.startswith("Churn probability (model"))
    before = float(metric(at, label).rstrip("%"))
    at.number_input(key=f"wi_recency_days_{customer}_this c").set_value(400.0).run()
    after = float(metric(at, label).rstrip("%"))
    assert after > before  # a customer who stopped ordering 400 days ago is riskier


def test_ask_page_answers_with_a_card(homes, use_home):
    pytest.importorskip("cip_assets.qa.engine", reason="the question-answering engine is not installed")
    db = use_home(homes[2])
    at = render("views/ask.py")
    at.chat_input[0].set_value("top 5 countries by revenue").run()
    assert not at.exception
    (top,), = q(db, "SELECT country FROM marts.geo_summary ORDER BY revenue DESC LIMIT 1")
    assert at.dataframe and top in at.dataframe[0].value.astype(str).to_string()
    assert any("SELECT" in c.value.upper() for c in at.code)  # the SQL is shown


# ---------------------------------------------------------------- access

def _users():
    from cip_assets.reports.access import hash_password
    fast = 2 ** 14  # the cost of hashes made before 2**17: still accepted, and quick for tests
    return {"auth": True, "users": {"vic": {"role": "viewer", "password_hash": hash_password("view-pw", n=fast)},
                                    "ana": {"role": "analyst", "password_hash": hash_password("analyst-pw", n=fast)}}}


def login(user: str, password: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.text_input(key="login_user").set_value(user)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    return at


def test_wrong_password_is_refused_and_logins_are_audited(homes, use_home):
    use_home(homes[2], _users())
    at = login("ana", "not-the-password")
    assert any("Wrong user name or password" in e.value for e in at.error)
    assert not at.metric and "role" not in at.session_state
    try:  # nothing is registered before a login; a page reached anyway refuses
        at.switch_page("views/overview.py").run()
        assert not at.metric and not at.dataframe
        assert any(w.key == "login_user" for w in at.text_input) or any("log in" in w.value for w in at.warning)
    except ValueError:
        pass
    at = login("ana", "analyst-pw")
    assert not at.exception and at.session_state["role"] == "analyst" and at.metric
    from cip_assets.reports import access
    log = access.audit_log(homes[2])
    assert {"login_failed", "login"} <= set(log.action) and set(log.user) >= {"ana"}


def test_viewer_sees_aggregates_only_and_masked_text(homes, use_home):
    use_home(homes[2], _users())
    at = login("vic", "view-pw")
    assert at.session_state["role"] == "viewer"
    for page in ("views/customer.py", "views/exports.py"):
        with pytest.raises(ValueError, match="not a registered page|Could not find"):
            at.switch_page(page)
    for page in ("views/churn_pricing.py", "views/feedback.py", "views/segments.py", "views/overview.py"):
        render(page, at)
        assert not at.download_button and not [b for b in at.button if b.label == "Prepare export"]
        for frame in frames(at):
            assert "customer_id" not in frame.columns, page
            assert not frame.astype(str).apply(lambda s: s.str.contains(SECRET_EMAIL, regex=False)).any().any()
    at.switch_page("views/feedback.py").run()
    shown = pd.concat(frames(at), ignore_index=True).astype(str).to_string()
    assert "[e-mail]" in shown and "[phone]" in shown
    # a customer-level page opened directly (not through the navigation) still refuses a viewer
    direct = AppTest.from_file(str(ROOT / "dashboards" / "views" / "customer.py"), default_timeout=60)
    direct.session_state["role"], direct.session_state["user"] = "viewer", "vic"
    direct.run()
    assert any("needs the analyst role" in w.value for w in direct.warning) and not direct.dataframe


def test_analyst_exports_are_audited(homes, use_home):
    use_home(homes[2], _users())
    at = login("ana", "analyst-pw")
    render("views/feedback.py", at)
    assert any(SECRET_EMAIL in f.to_string() for f in frames(at))  # analysts read the text as written
    at.button(key="fb_export_prep").click().run()
    assert at.download_button
    from cip_assets.reports import access
    exports = access.audit_log(homes[2]).query("action == 'export'")
    assert "feedback_texts" in exports.target.tolist() and "ana" in exports.user.tolist()


def test_masked_fields_stay_masked_in_exports():
    from dashboards.ui import export_bytes

    frame = pd.DataFrame({"customer_id": ["C1"], "email": ["a@b.org"], "age": [37],
                          "text": [f"mail {SECRET_EMAIL} or ring {SECRET_PHONE} please"], "revenue": [12.5]})
    csv = export_bytes(frame, "csv", "viewer").decode()
    assert SECRET_EMAIL not in csv and SECRET_PHONE not in csv and "a@b.org" not in csv
    assert "30-39" in csv and ",37," not in csv and "12.5" in csv
    xlsx = pd.read_excel(BytesIO(export_bytes(frame, "xlsx", "viewer")))
    assert xlsx.loc[0, "age"] == "30-39" and SECRET_EMAIL not in xlsx.loc[0, "text"] and xlsx.loc[0, "email"] == "•••"
    assert SECRET_EMAIL in export_bytes(frame, "csv", "analyst").decode()  # analysts export what they see


def test_config_binding_and_passwords(tmp_path, monkeypatch):
    from cip_assets.reports import access
    from cip_assets.reports.cli import add_commands
    import argparse

    stored = access.hash_password("pw")
    assert access.verify_password("pw", stored) and not access.verify_password("pW", stored)
    assert stored != access.hash_password("pw")  # salted
    monkeypatch.delenv("CIP_CONFIG", raising=False)
    monkeypatch.delenv("CIP_DASHBOARD_AUTH", raising=False)
    cfg = access.load_dashboard_config()
    assert cfg.address == "127.0.0.1" and not cfg.auth_enabled(cfg.address) and cfg.auth_enabled("0.0.0.0")
    # binding elsewhere without users is refused rather than started open
    monkeypatch.setenv("CIP_HOME", str(tmp_path / "home"))
    parser = argparse.ArgumentParser()
    handlers = add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["dashboard", "--address", "0.0.0.0"])
    assert handlers["dashboard"](args) == 2


# ---------------------------------------------------------------- customer-level data and data text
IMAGE_REVIEW = "Lovely mug ![x](http://example.com/x.png) <img src='http://example.com/y.png'> :red[loud]"
CUSTOMER_ID = re.compile(r"C\d{7}")  # the synthetic source's customer ids


@pytest.fixture(scope="module")
def trust_home(homes, tmp_path_factory):
    """The full copy plus an open `high_value_at_risk` alert (a customer id and value in its message) and topic
    quotes carrying Markdown that would load a remote image."""
    home = tmp_path_factory.mktemp("trust") / "home"
    db = _copy_home(homes[2], home)
    with duckdb.connect(str(db)) as con:
        customer, value = con.execute("SELECT customer_id, value_12m FROM marts.customer_scores WHERE value_12m "
                                      "IS NOT NULL ORDER BY value_12m DESC LIMIT 1").fetchone()
        con.execute("""INSERT INTO monitoring.alerts BY NAME
                       SELECT 990 AS id, TIMESTAMP '2024-12-31 02:00' AS created_at, 'critical' AS severity,
                              'high_value_at_risk' AS kind, $c AS entity, 'churn_probability' AS metric,
                              0.8 AS value, 0.6 AS threshold, 'open' AS status,
                              'customer ' || $c || ' (12-month value ' || round($v)::BIGINT || ') entered the '
                              || 'high-risk band ![a](http://example.com/alert.png)' AS message""",
                    {"c": customer, "v": value})
        con.execute("UPDATE nlp.feedback_topics SET representative_1 = $r", {"r": IMAGE_REVIEW})
    return home


def page_text(at: AppTest) -> str:
    """Everything the page sent to the browser as text: every element's message, Arrow tables and chart specs
    included."""
    out = []

    def walk(node):
        if getattr(node, "proto", None) is not None:
            out.append(str(node.proto))
        for child in getattr(node, "children", {}).values():
            walk(child)
    walk(at.main)
    walk(at.sidebar)
    return "\n".join(out)


def test_viewers_see_no_customer_level_data_on_any_page(trust_home, use_home):
    use_home(trust_home, _users())
    at = login("ana", "analyst-pw")
    render("views/churn_pricing.py", at)
    assert CUSTOMER_ID.search(page_text(at))  # the scan sees the ids where analysts get them
    render("views/alerts.py", at)
    assert any("high\\_value\\_at\\_risk" in m.value and CUSTOMER_ID.search(m.value) for m in at.markdown)
    at = login("vic", "view-pw")
    assert at.session_state["role"] == "viewer"
    for page in ("views/overview.py", "views/churn_pricing.py", "views/segments.py", "views/feedback.py",
                 "views/experiments.py", "views/alerts.py"):
        render(page, at)
        found = CUSTOMER_ID.findall(page_text(at))
        assert not found, f"{page} shows a viewer customer ids: {found[:5]}"
    # the alerts page: the customer-level alert is counted by kind, without its entity, message or value
    (open_n,), = q(trust_home / "published" / "cip.duckdb",
                   "SELECT count(*) FROM monitoring.alerts WHERE coalesce(lower(status), 'open') = 'open'")
    assert metric(at, "Open alerts") == f"{open_n:,}"
    summary = pd.concat(frames(at), ignore_index=True)
    assert summary.loc[summary.kind == "high_value_at_risk", "alerts"].tolist() == [1]
    assert "12-month value" not in page_text(at) and not [b for b in at.button if b.label == "Acknowledge"]


def test_review_and_alert_text_render_as_text_not_markdown(trust_home, use_home):
    from dashboards.ui import md

    use_home(trust_home, _users())
    at = login("ana", "analyst-pw")
    render("views/feedback.py", at)
    bodies = [m.value for m in at.markdown] + [c.value for c in at.caption]
    assert not [b for b in bodies if "](http://example.com" in b or "<img" in b.replace("\\<", "")]
    assert any(md(IMAGE_REVIEW) in b for b in bodies)  # the quote is there, escaped
    render("views/alerts.py", at)
    bodies = [m.value for m in at.markdown]
    assert any("entered the high\\-risk band \\!\\[a\\]" in b for b in bodies)
    assert not [b for b in bodies if "![a](" in b]


# ---------------------------------------------------------------- report, swap, lineage
def test_cip_report_writes_html_and_pdf(homes, use_home, tmp_path):
    import argparse

    from cip_assets.reports.cli import add_commands

    db = use_home(homes[2])
    parser = argparse.ArgumentParser()
    handlers = add_commands(parser.add_subparsers(dest="command"))
    args = parser.parse_args(["report", "--out", str(tmp_path / "out")])
    assert handlers["report"](args) == 0
    html = next((tmp_path / "out").glob("*.html")).read_text()
    pdf = next((tmp_path / "out").glob("*.pdf")).read_bytes()
    assert pdf.startswith(b"%PDF") and len(pdf) > 10_000
    (revenue,), = q(db, "SELECT sum(revenue) FROM marts.daily_kpis WHERE order_date > "
                        "(SELECT max(order_date) - 30 FROM marts.daily_kpis)")
    assert f"{revenue:,.0f}" in html and "Top risks" in html and "<svg" in html
    assert SECRET_EMAIL not in html and SECRET_PHONE not in html


def test_the_app_survives_a_publish_swapping_the_copy(homes, use_home, tmp_path):
    home = tmp_path / "swap"
    db = _copy_home(homes[0], home)
    use_home(home)
    at = render("views/overview.py")
    before = metric(at, "Revenue")
    fresh = home / "published" / ".cip.duckdb.new.tmp"
    shutil.copy(db, fresh)
    with duckdb.connect(str(fresh)) as con:
        con.execute("UPDATE marts.daily_kpis SET revenue = revenue * 2")
    os.replace(fresh, db)  # what publish() does
    at.run()
    assert not at.exception
    assert metric(at, "Revenue") == f"{float(before.replace(',', '')) * 2:,.0f}" or \
        abs(float(metric(at, "Revenue").replace(",", "")) - 2 * float(before.replace(",", ""))) <= 2


def test_dashboard_asset_spec():
    import dagster as dg

    from cip_assets.dashboard_spec import dashboard_spec

    assert dashboard_spec.key == dg.AssetKey(["serving", "dashboard"])
    assert [d.asset_key for d in dashboard_spec.deps] == [dg.AssetKey(["serving", "published"])]
