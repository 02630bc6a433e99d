"""The segment report: one self-contained HTML file a marketer opens offline.

    custseg report --database serving/customer_segmentation.duckdb --out report.html
    custseg refresh --report report.html ...      # written with every successful refresh

The report reads the marts read-only and only through aggregate queries (group by, counts, sums,
percentile points): no customer id, e-mail or phone reaches the page. plotly.js is inlined once
(plotly's Python package ships it), so the file opens without a network; a Jinja2 template lays
out the page. Each chart carries a one-line reading for a marketer.

`build_charts()` returns the charts with the data frames behind them; the pytest suite checks
those numbers against the marts by independent queries, and a headless browser checks that every
chart renders without console errors.
"""

from __future__ import annotations

import argparse
import datetime as dt
import html
import os
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

SCHEME_TITLES: dict[str, str] = {
    "rfm_segment": "RFM segments",
    "value_tier": "Value tiers",
    "pyramid_tier": "Value pyramid",
    "abc_class": "ABC classes",
    "lifecycle_stage": "Lifecycle stages",
    "membership_level": "Membership levels",
    "smart_segment": "Smart segments (clusters)",
}
# the scheme whose movements the Sankey and the retention lines show
MOVEMENT_SCHEME = "rfm_segment"


@dataclass
class Chart:
    """One chart: where it sits, what it says, its figure and the numbers behind it."""

    chart_id: str
    section: str
    title: str
    reading: str
    figure: Any | None = None  # a plotly Figure; None when the marts hold nothing to draw
    data: pd.DataFrame = field(default_factory=pd.DataFrame)
    empty_message: str = ""


@dataclass
class Report:
    kpis: dict[str, Any]
    charts: list[Chart]


def _query(con: Any, sql: str) -> pd.DataFrame:
    return con.execute(sql).df()


def _has_rows(con: Any, table: str) -> bool:
    return (
        con.execute(f"select count(*) from (select 1 from marts.{table} limit 1)").fetchone()[0] > 0
    )


def read_kpis(con: Any) -> dict[str, Any]:
    row = _query(
        con,
        """
        select
            count(*) as customers,
            count(*) filter (where is_buyer) as buyers,
            coalesce(sum(net_revenue), 0) as net_revenue,
            count(*) filter (where purchase_days >= 2) as repeat_buyers,
            max(as_of_date) as as_of_date
        from marts.customer_segments
        """,
    ).iloc[0]
    buyers = int(row.buyers)
    return {
        "customers": int(row.customers),
        "buyers": buyers,
        "net_revenue": float(row.net_revenue),
        "repurchase_rate": (int(row.repeat_buyers) / buyers) if buyers else None,
        "as_of_date": str(row.as_of_date)[:10] if row.as_of_date is not None else "",
    }


def _bar_layout(fig: Any, **extra: Any) -> Any:
    fig.update_layout(
        margin={"l": 10, "r": 10, "t": 30, "b": 10},
        height=extra.pop("height", 380),
        template="plotly_white",
        legend={"orientation": "h", "y": -0.15},
        **extra,
    )
    return fig


def scheme_charts(con: Any) -> list[Chart]:
    import plotly.graph_objects as go

    summary = _query(
        con,
        """
        select segmentation_scheme, segment, segment_rank, customers, share_of_customers,
               cast(net_revenue as double) as net_revenue, share_of_revenue
        from marts.segment_summary
        order by segmentation_scheme, segment_rank, segment
        """,
    )
    charts = []
    for scheme, title in SCHEME_TITLES.items():
        part = summary[summary.segmentation_scheme == scheme].reset_index(drop=True)
        chart = Chart(
            chart_id=f"segments_{scheme}",
            section="Segments",
            title=f"{title}: share of customers and of revenue",
            reading="Where the revenue bar is longer than the customer bar, the group brings more "
            "than its head count: protect it; the reverse is where to grow value.",
            data=part,
            empty_message=f"No {title.lower()} in this build.",
        )
        if len(part):
            fig = go.Figure(
                [
                    go.Bar(
                        name="share of customers",
                        y=part.segment,
                        x=part.share_of_customers,
                        orientation="h",
                        customdata=part.customers,
                        hovertemplate="%{y}: %{x:.1%} of customers (%{customdata})<extra></extra>",
                    ),
                    go.Bar(
                        name="share of revenue",
                        y=part.segment,
                        x=part.share_of_revenue,
                        orientation="h",
                        hovertemplate="%{y}: %{x:.1%} of net revenue<extra></extra>",
                    ),
                ]
            )
            fig.update_yaxes(autorange="reversed")
            fig.update_xaxes(tickformat=".0%")
            chart.figure = _bar_layout(fig, barmode="group", height=max(300, 40 * len(part)))
        charts.append(chart)
    return charts


def rfm_heatmap(con: Any) -> Chart:
    import plotly.graph_objects as go

    cells = _query(
        con,
        """
        select recency_score, frequency_score, count(*) as customers,
               avg(cast(net_revenue as double)) as avg_net_revenue
        from marts.customer_segments
        where recency_score is not null and frequency_score is not null
        group by recency_score, frequency_score
        order by recency_score, frequency_score
        """,
    )
    chart = Chart(
        "rfm_heatmap",
        "RFM",
        "Recency x frequency: customers and average net revenue per cell",
        "Top right (recent and frequent) are the champions; top left are recent first-timers to "
        "nurture; bottom right are frequent buyers who stopped coming: win them back first.",
        data=cells,
        empty_message="No scored buyers in this build.",
    )
    if len(cells):
        grid = cells.pivot(index="recency_score", columns="frequency_score", values="customers")
        money = cells.pivot(
            index="recency_score", columns="frequency_score", values="avg_net_revenue"
        )
        text = [
            [
                ""
                if pd.isna(grid.iloc[i, j])
                else f"{int(grid.iloc[i, j])}<br>{money.iloc[i, j]:,.0f} avg"
                for j in range(grid.shape[1])
            ]
            for i in range(grid.shape[0])
        ]
        fig = go.Figure(
            go.Heatmap(
                z=grid.values,
                x=[f"F{c}" for c in grid.columns],
                y=[f"R{r}" for r in grid.index],
                text=text,
                texttemplate="%{text}",
                colorscale="Blues",
                colorbar={"title": "customers"},
                hovertemplate="%{y} %{x}: %{z} customers<extra></extra>",
            )
        )
        fig.update_layout(xaxis_title="frequency score", yaxis_title="recency score")
        chart.figure = _bar_layout(fig, height=420)
    return chart


def pareto_chart(con: Any) -> Chart:
    import plotly.graph_objects as go

    # cumulative share of net revenue at each whole percent of buyers, highest spenders first;
    # ties broken by customer id inside SQL so the curve is deterministic (ids never leave SQL)
    curve = _query(
        con,
        """
        with ranked as (
            select
                cast(net_revenue as double) as revenue,
                row_number() over (order by net_revenue desc, customer_id) as position,
                count(*) over () as buyers
            from marts.customer_segments
            where is_buyer
        ),
        cumulative as (
            select position, buyers,
                   sum(revenue) over (order by position) / nullif(sum(revenue) over (), 0)
                       as revenue_share
            from ranked
        )
        select ceil(100.0 * position / buyers) / 100.0 as share_of_buyers,
               arg_max(revenue_share, position) as share_of_revenue
        from cumulative
        group by 1
        order by 1
        """,
    )
    reach = curve[curve.share_of_revenue >= 0.8].share_of_buyers
    who = f"{reach.iloc[0]:.0%}" if len(reach) else "—"
    chart = Chart(
        "pareto",
        "Value",
        "Pareto curve: cumulative share of revenue against share of buyers",
        f"The top {who} of buyers bring 80% of net revenue: they are the ones to keep.",
        data=curve,
        empty_message="No buyers in this build.",
    )
    if len(curve):
        fig = go.Figure(
            [
                go.Scatter(
                    x=[0.0, *curve.share_of_buyers],
                    y=[0.0, *curve.share_of_revenue],
                    mode="lines",
                    name="cumulative revenue",
                    hovertemplate="top %{x:.0%} of buyers: %{y:.1%} of revenue<extra></extra>",
                ),
                go.Scatter(x=[0, 1], y=[0.8, 0.8], mode="lines", name="80%", line={"dash": "dot"}),
            ]
        )
        fig.update_xaxes(tickformat=".0%", title="share of buyers (highest spenders first)")
        fig.update_yaxes(tickformat=".0%", title="share of net revenue")
        chart.figure = _bar_layout(fig)
    return chart


def lifecycle_funnel(con: Any) -> Chart:
    import plotly.graph_objects as go

    stages = _query(
        con,
        """
        select segment, segment_rank, customers
        from marts.segment_summary
        where segmentation_scheme = 'lifecycle_stage'
        order by
            case segment
                when 'prospect' then 1 when 'new' then 2 when 'active' then 3
                when 'loyal' then 4 when 'reactivated' then 5 when 'dormant' then 6
                when 'churned' then 7 else 8
            end,
            segment
        """,
    )
    chart = Chart(
        "lifecycle_funnel",
        "Lifecycle",
        "Lifecycle stages",
        "How many customers sit at each stage, from prospects and first-time buyers to loyal "
        "customers, then those won back and those slipping away; a growing dormant or churned "
        "stage is the first sign of losing customers.",
        data=stages,
    )
    if len(stages):
        fig = go.Figure(
            go.Funnel(y=stages.segment, x=stages.customers, textinfo="value+percent total")
        )
        chart.figure = _bar_layout(fig)
    return chart


def transitions_sankey(con: Any) -> Chart:
    import plotly.graph_objects as go

    flows = _query(
        con,
        f"""
        with latest as (
            select max(period_end) as period_end
            from marts.segment_transitions
            where segmentation_scheme = '{MOVEMENT_SCHEME}'
        )
        select t.period_start, t.period_end, t.from_segment, t.to_segment, t.customers
        from marts.segment_transitions as t
        inner join latest on t.period_end = latest.period_end
        where t.segmentation_scheme = '{MOVEMENT_SCHEME}'
        order by t.from_segment, t.to_segment
        """,
    )
    chart = Chart(
        "transitions_sankey",
        "Movement",
        "Movement between RFM segments in the last period",
        "Each band is customers who moved from one segment (left) to another (right); wide bands "
        "into At risk or Lost are the leaks to fix.",
        data=flows,
        empty_message="No movement yet: the history holds one snapshot. Backfill it with "
        "`custseg refresh --history-start YYYY-MM-DD`.",
    )
    if len(flows):
        left = sorted(flows.from_segment.unique())
        right = sorted(flows.to_segment.unique())
        labels = [f"{s} (start)" for s in left] + [f"{s} (end)" for s in right]
        fig = go.Figure(
            go.Sankey(
                node={"label": labels, "pad": 12},
                link={
                    "source": [left.index(s) for s in flows.from_segment],
                    "target": [len(left) + right.index(s) for s in flows.to_segment],
                    "value": list(flows.customers),
                },
            )
        )
        start, end = str(flows.period_start.iloc[0])[:10], str(flows.period_end.iloc[0])[:10]
        chart.title = f"Movement between RFM segments, {start} to {end}"
        chart.figure = _bar_layout(fig, height=520)
    return chart


def retention_chart(con: Any) -> Chart:
    import plotly.graph_objects as go

    rates = _query(
        con,
        f"""
        select segment, period_end, retention_rate, customers_at_start
        from marts.segment_summary_history
        where segmentation_scheme = '{MOVEMENT_SCHEME}' and retention_rate is not null
        order by segment, period_end
        """,
    )
    chart = Chart(
        "retention",
        "Movement",
        "Retention over time per RFM segment",
        "The share of each segment's customers still in it a period later; a falling line is a "
        "segment losing its hold.",
        data=rates,
        empty_message="No retention yet: the history holds one snapshot.",
    )
    if len(rates):
        fig = go.Figure(
            [
                go.Scatter(
                    x=part.period_end.astype(str),
                    y=part.retention_rate,
                    mode="lines+markers",
                    name=segment,
                )
                for segment, part in rates.groupby("segment", sort=True)
            ]
        )
        fig.update_yaxes(tickformat=".0%", title="retained")
        chart.figure = _bar_layout(fig)
    return chart


def churn_charts(con: Any) -> list[Chart]:
    import plotly.graph_objects as go

    levels = _query(
        con,
        """
        select churn_risk, count(*) as customers, sum(cast(net_revenue as double)) as net_revenue
        from marts.customer_segments
        group by churn_risk
        order by case churn_risk when 'low' then 1 when 'medium' then 2 when 'high' then 3 end,
            churn_risk
        """,
    )
    reasons = _query(
        con,
        """
        with reasons as (
            select unnest(string_split(churn_risk_reasons, ',')) as reason
            from marts.customer_segments
            where churn_risk_reasons is not null and churn_risk_reasons <> 'none'
        )
        select reason, count(*) as customers from reasons group by reason order by 2 desc, 1
        """,
    )
    risk = Chart(
        "churn_risk",
        "Churn",
        "Churn risk: customers and net revenue at each level",
        "High-risk customers with much revenue are this week's retention list.",
        data=levels,
    )
    if len(levels):
        fig = go.Figure(
            [
                go.Bar(name="customers", x=levels.churn_risk, y=levels.customers, offsetgroup="a"),
                go.Bar(
                    name="net revenue",
                    x=levels.churn_risk,
                    y=levels.net_revenue,
                    yaxis="y2",
                    offsetgroup="b",
                ),
            ]
        )
        risk.figure = _bar_layout(
            fig,
            barmode="group",
            yaxis={"title": "customers"},
            yaxis2={"title": "net revenue", "overlaying": "y", "side": "right"},
        )
    why = Chart(
        "churn_reasons",
        "Churn",
        "Why customers are at risk (a customer may have several reasons)",
        "The most common reason says which lever to pull: overdue buyers need a reminder, falling "
        "visits a reason to come back, falling spend a better offer.",
        data=reasons,
        empty_message="No customer has a churn risk reason.",
    )
    if len(reasons):
        why.figure = _bar_layout(go.Figure(go.Bar(x=reasons.reason, y=reasons.customers)))
    return [risk, why]


def prediction_charts(con: Any) -> list[Chart]:
    import plotly.graph_objects as go

    clv = _query(
        con,
        """
        select segment, segment_rank, avg_predicted_clv, avg_p_alive, customers
        from marts.segment_summary
        where segmentation_scheme = 'rfm_segment' and avg_predicted_clv is not null
        order by segment_rank, segment
        """,
    )
    alive = _query(
        con,
        """
        select least(floor(p.p_alive * 10), 9) / 10.0 as p_alive_from, count(*) as customers
        from marts.customer_predictions as p
        inner join marts.customer_segments as s on p.customer_id = s.customer_id
        where p.p_alive is not null and s.purchase_days >= 2
        group by 1
        order by 1
        """,
    )
    value = Chart(
        "predicted_clv",
        "Predictions",
        "Predicted customer value and P(alive) per RFM segment",
        "Average value each segment's customers are expected to bring over the prediction horizon, "
        "and the probability they are still active (1 for one-time buyers, by the BG/NBD "
        "definition): spend where both are high.",
        data=clv,
        empty_message="No predictions in this build.",
    )
    if len(clv):
        fig = go.Figure(
            [
                go.Bar(name="average predicted CLV", x=clv.segment, y=clv.avg_predicted_clv),
                go.Scatter(
                    name="average P(alive)",
                    x=clv.segment,
                    y=clv.avg_p_alive,
                    yaxis="y2",
                    mode="markers",
                    marker={"size": 10},
                ),
            ]
        )
        value.figure = _bar_layout(
            fig,
            yaxis={"title": "predicted CLV"},
            yaxis2={
                "title": "P(alive)",
                "overlaying": "y",
                "side": "right",
                "range": [0, 1],
                "tickformat": ".0%",
            },
        )
    hist = Chart(
        "p_alive_distribution",
        "Predictions",
        "Repeat buyers by the probability they are still active: P(alive) in steps of 10%",
        "Customers on the left have probably left already; a campaign there costs more than it "
        "brings back. One-time buyers are left out: the BG/NBD model gives them P(alive) = 1 until "
        "they buy again.",
        data=alive,
        empty_message="No P(alive) scores in this build.",
    )
    if len(alive):
        fig = go.Figure(
            go.Bar(x=[f"{a:.0%} to {a + 0.1:.0%}" for a in alive.p_alive_from], y=alive.customers)
        )
        fig.update_xaxes(title="P(alive)")
        hist.figure = _bar_layout(fig)
    return [value, hist]


def control_group_chart(con: Any) -> Chart:
    import plotly.graph_objects as go

    groups = _query(
        con,
        """
        select
            case when is_control_group then 'control group' else 'targeted' end as customer_group,
            count(*) as customers,
            avg(cast(net_revenue as double)) as avg_net_revenue,
            count(*) filter (where purchase_days >= 2)::double
                / nullif(count(*) filter (where is_buyer), 0) as repurchase_rate
        from marts.customer_segments
        group by is_control_group
        order by customer_group
        """,
    )
    chart = Chart(
        "control_group",
        "Campaigns",
        "Control group against the targeted customers",
        "The control group gets no campaign; once campaigns run, the gap in revenue and "
        "repurchase between the two bars is what the campaigns bought.",
        data=groups,
    )
    if len(groups):
        fig = go.Figure(
            [
                go.Bar(
                    name="average net revenue",
                    x=groups.customer_group,
                    y=groups.avg_net_revenue,
                    offsetgroup="a",
                ),
                go.Bar(
                    name="repurchase rate",
                    x=groups.customer_group,
                    y=groups.repurchase_rate,
                    yaxis="y2",
                    offsetgroup="b",
                ),
            ]
        )
        chart.figure = _bar_layout(
            fig,
            barmode="group",
            yaxis={"title": "average net revenue"},
            yaxis2={
                "title": "repurchase rate",
                "overlaying": "y",
                "side": "right",
                "tickformat": ".0%",
            },
        )
    return chart


def quality_charts(con: Any) -> list[Chart]:
    import plotly.graph_objects as go

    quarantine = _query(
        con,
        """
        select source_table, rejection_reason, count(*) as rows_quarantined
        from marts.quarantined_rows
        group by source_table, rejection_reason
        order by source_table, rows_quarantined desc, rejection_reason
        """,
    )
    files = _query(
        con,
        """
        select source_table, count(*) as files, sum(rows_read) as rows_read,
               sum(rows_accepted) as rows_accepted, sum(rows_quarantined) as rows_quarantined,
               sum(rows_malformed) as rows_malformed
        from marts.raw_files
        group by source_table
        order by source_table
        """,
    )
    q = Chart(
        "quarantine",
        "Data quality",
        "Quarantined raw rows by table and reason",
        "Rows set aside instead of counted; a jump in one reason usually means a changed export, "
        "worth a word with the team that sends the files.",
        data=quarantine,
        empty_message="No row was quarantined: every raw line was accepted.",
    )
    if len(quarantine):
        q.figure = _bar_layout(
            go.Figure(
                [
                    go.Bar(name=table, x=part.rejection_reason, y=part.rows_quarantined)
                    for table, part in quarantine.groupby("source_table", sort=True)
                ]
            ),
            barmode="group",
        )
    f = Chart(
        "raw_files",
        "Data quality",
        "Raw files loaded: rows accepted and quarantined per table",
        "Every raw line is either accepted or quarantined with a reason; nothing is lost.",
        data=files,
        empty_message="No raw files recorded.",
    )
    if len(files):
        f.figure = _bar_layout(
            go.Figure(
                [
                    go.Bar(name="accepted", x=files.source_table, y=files.rows_accepted),
                    go.Bar(
                        name="quarantined (parsed)",
                        x=files.source_table,
                        y=files.rows_quarantined - files.rows_malformed,
                    ),
                    go.Bar(
                        name="quarantined (malformed lines)",
                        x=files.source_table,
                        y=files.rows_malformed,
                    ),
                ]
            ),
            barmode="stack",
        )
    return [q, f]


def build_report(con: Any) -> Report:
    charts = [
        *scheme_charts(con),
        rfm_heatmap(con),
        pareto_chart(con),
        lifecycle_funnel(con),
        transitions_sankey(con),
        retention_chart(con),
        *churn_charts(con),
        *prediction_charts(con),
        control_group_chart(con),
        *quality_charts(con),
    ]
    return Report(kpis=read_kpis(con), charts=charts)


def read_report(database: Path) -> Report:
    import duckdb

    con = duckdb.connect(str(database), read_only=True)
    try:
        return build_report(con)
    finally:
        con.close()


TEMPLATE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>Customer segments as of {{ kpis.as_of_date }}</title>
<style>
 body { font-family: system-ui, sans-serif; margin: 0 auto; max-width: 1200px; padding: 1rem;
        color: #222; }
 h1 { margin-bottom: .2rem; } h2 { margin-top: 2rem; border-bottom: 1px solid #ddd; }
 .kpis { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
 .kpi { background: #f3f6fa; border-radius: 6px; padding: .6rem 1rem; min-width: 9rem; }
 .kpi b { display: block; font-size: 1.5rem; }
 .grid { display: grid; grid-template-columns: repeat(auto-fit, minmax(520px, 1fr)); gap: 1rem; }
 .chart { border: 1px solid #e5e5e5; border-radius: 6px; padding: .5rem; }
 .chart h3 { margin: .2rem 0; font-size: 1rem; } .reading { color: #555; margin: 0 0 .4rem; }
 .empty { color: #888; font-style: italic; padding: 2rem 0; }
 footer { color: #888; margin-top: 2rem; font-size: .85rem; }
</style>
<script type="text/javascript">{{ plotly_js }}</script>
</head>
<body>
<h1>Customer segments</h1>
<div>as of {{ kpis.as_of_date }} · generated {{ generated_at }}</div>
<div class="kpis">
 <div class="kpi">customers<b id="kpi-customers">{{ "{:,}".format(kpis.customers) }}</b></div>
 <div class="kpi">buyers<b id="kpi-buyers">{{ "{:,}".format(kpis.buyers) }}</b></div>
 <div class="kpi">net revenue<b id="kpi-revenue">{{ "{:,.0f}".format(kpis.net_revenue) }}</b></div>
 <div class="kpi">repurchase rate<b id="kpi-repurchase">{{ "—" if kpis.repurchase_rate is none
   else "{:.1%}".format(kpis.repurchase_rate) }}</b></div>
</div>
{% for section, charts in sections %}
<h2>{{ section }}</h2>
<div class="grid">
{% for chart in charts %}
 <div class="chart" id="chart-{{ chart.chart_id }}">
  <h3>{{ chart.title }}</h3>
  <p class="reading">{{ chart.reading }}</p>
  {% if chart.html %}{{ chart.html }}
  {% else %}<div class="empty">{{ chart.empty_message }}</div>{% endif %}
 </div>
{% endfor %}
</div>
{% endfor %}
<footer>Built by custseg report from the segment marts; aggregates only, no personal data.
 Definitions of every segment and measure: the project README and dbt docs.</footer>
</body>
</html>
"""


def render_html(report: Report, generated_at: str | None = None) -> str:
    import jinja2
    from markupsafe import Markup
    from plotly.offline import get_plotlyjs

    sections: dict[str, list[dict[str, Any]]] = {}
    for chart in report.charts:
        chart_html = ""
        if chart.figure is not None:
            chart_html = chart.figure.to_html(
                full_html=False,
                include_plotlyjs=False,
                div_id=f"plot-{chart.chart_id}",
                config={"displaylogo": False, "responsive": True},
            )
        sections.setdefault(chart.section, []).append(
            {
                "chart_id": chart.chart_id,
                "title": chart.title,
                "reading": chart.reading,
                "empty_message": chart.empty_message,
                "html": Markup(chart_html),
            }
        )
    env = jinja2.Environment(autoescape=True)
    return env.from_string(TEMPLATE).render(
        kpis=report.kpis,
        sections=list(sections.items()),
        plotly_js=Markup(get_plotlyjs()),
        generated_at=generated_at or f"{dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC",
    )


def stage_report(database: Path, out: Path) -> tuple[Report, Path]:
    """Write the report for `database` into a temporary file beside `out`; return both.

    The caller renames the file over `out` (`os.replace`), so a reader never sees half a page
    and a failed report leaves the previous one in place.
    """
    report = read_report(database)
    page = render_html(report)
    out = out.resolve()
    out.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as stream:
            stream.write(page)
        os.chmod(temporary, 0o644)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
    return report, Path(temporary)


def write_report(database: Path, out: Path) -> Report:
    """Write the report for `database` to `out` atomically (a temporary file, then a rename)."""
    report, staged = stage_report(database, out)
    os.replace(staged, out.resolve())
    return report


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="custseg report",
        description="Write the segment report: one self-contained HTML file that opens offline.",
    )
    parser.add_argument(
        "--database",
        type=Path,
        default=Path("serving/customer_segmentation.duckdb"),
        help="the DuckDB file with the marts (default: serving/customer_segmentation.duckdb)",
    )
    parser.add_argument("--out", type=Path, default=Path("report.html"), help="the HTML file")
    args = parser.parse_args(argv)
    if not args.database.exists():
        print(f"custseg report: no database at {args.database}", file=sys.stderr)
        return 2
    started = time.monotonic()
    try:
        report = write_report(args.database, args.out)
    except Exception as error:  # one line for the user, not a traceback
        print(f"custseg report FAILED: {type(error).__name__}: {error}", file=sys.stderr)
        return 1
    drawn = sum(chart.figure is not None for chart in report.charts)
    print(
        f"report written to {html.escape(str(args.out))} in {time.monotonic() - started:.1f}s: "
        f"{drawn} of {len(report.charts)} charts drawn, as of {report.kpis['as_of_date']}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
