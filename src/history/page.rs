//! `hearken history --report trend.html`: the agent's trend as one self-contained page
//! (inline CSS and SVG, no script, nothing fetched), to look at or keep.

use super::{Day, Entry, days};
use std::fmt::Write;

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

const W: f64 = 760.0;
const H: f64 = 170.0;
const LEFT: f64 = 44.0;
const BOTTOM: f64 = 24.0;

/// One plot: a bar per item (`None`: no bar), labelled below by `labels` where they change.
fn plot(id: &str, title: &str, values: &[(String, Option<f64>)], max: f64, unit: &str) -> String {
    let mut s = String::new();
    let _ = write!(
        s,
        "<section><h2>{}</h2><svg id=\"{id}\" class=\"plot\" role=\"img\" aria-label=\"{}\" viewBox=\"0 0 {W} {H}\">",
        esc(title),
        esc(title)
    );
    let plot_h = H - BOTTOM - 10.0;
    let y = |v: f64| 10.0 + plot_h * (1.0 - (v / max.max(1e-9)).clamp(0.0, 1.0));
    for k in 0..=2 {
        let v = max * k as f64 / 2.0;
        let _ = write!(
            s,
            "<line class=\"grid\" x1=\"{LEFT}\" x2=\"{W}\" y1=\"{:.1}\" y2=\"{:.1}\"/><text class=\"axis\" x=\"{:.1}\" y=\"{:.1}\">{}{unit}</text>",
            y(v),
            y(v),
            LEFT - 4.0,
            y(v) + 4.0,
            fmt(v)
        );
    }
    let n = values.len().max(1) as f64;
    let step = (W - LEFT) / n;
    let mut last_label = "";
    for (k, (label, v)) in values.iter().enumerate() {
        let x = LEFT + step * k as f64;
        if let Some(v) = v {
            let _ = write!(
                s,
                "<rect class=\"bar\" x=\"{:.1}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"><title>{}: {}{unit}</title></rect>",
                x + step * 0.15,
                y(*v),
                (step * 0.7).max(1.0),
                (y(0.0) - y(*v)).max(0.5),
                esc(label),
                fmt(*v)
            );
        }
        if label != last_label {
            let _ = write!(
                s,
                "<text class=\"day\" x=\"{:.1}\" y=\"{:.1}\">{}</text>",
                x + 2.0,
                H - 6.0,
                esc(label.get(5..).unwrap_or(label))
            );
            last_label = label;
        }
    }
    s.push_str("</svg></section>\n");
    s
}

fn fmt(v: f64) -> String {
    if v.fract().abs() < 1e-9 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

fn table(days: &[Day]) -> String {
    let mut s = String::from(
        "<section><h2>By day</h2><table><thead><tr><th>day</th><th>calls</th><th>you talked</th><th>talk-overs</th><th>customer upset</th><th>acknowledged</th><th>calm again</th></tr></thead><tbody>",
    );
    for d in days {
        let _ = write!(
            s,
            "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
            esc(&d.day),
            d.calls,
            d.talk_share_mean
                .map_or("–".into(), |x| format!("{:.0}%", x * 100.0)),
            d.talk_overs,
            d.upset,
            d.acknowledged,
            d.calm_again
        );
    }
    s.push_str("</tbody></table></section>\n");
    s
}

/// The page.
pub fn render(entries: &[Entry]) -> String {
    let per_call = |f: &dyn Fn(&Entry) -> Option<f64>| -> Vec<(String, Option<f64>)> {
        entries.iter().map(|e| (e.day.clone(), f(e))).collect()
    };
    let by_day = days(entries);
    let share_of = |num: fn(&Day) -> u32| -> Vec<(String, Option<f64>)> {
        by_day
            .iter()
            .map(|d| {
                let v = (d.upset > 0).then(|| 100.0 * num(d) as f64 / d.upset as f64);
                (d.day.clone(), v)
            })
            .collect()
    };
    let talk_overs = per_call(&|e| Some(e.talk_overs as f64));
    let most = talk_overs
        .iter()
        .filter_map(|x| x.1)
        .fold(2.0f64, f64::max)
        .ceil();
    let mut h = String::new();
    let _ = write!(
        h,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>Your calls over time</title><style>{CSS}</style></head><body>\
         <header><h1>Your calls over time</h1><p class=\"note\">{} calls from {} to {}. Figures only, kept on this computer for you alone: how you listened and how the customer's tension went, never what was said and never your own mood.</p></header>\n",
        entries.len(),
        esc(entries.first().map_or("–", |e| e.day.as_str())),
        esc(entries.last().map_or("–", |e| e.day.as_str()))
    );
    h.push_str(&plot(
        "talk-share",
        "How much of each call you talked",
        &per_call(&|e| e.agent_talk_share.map(|s| s as f64 * 100.0)),
        100.0,
        "%",
    ));
    h.push_str(&plot(
        "talk-overs",
        "Talk-overs per call",
        &talk_overs,
        most,
        "",
    ));
    h.push_str(&plot(
        "acknowledged",
        "Calls where you acknowledged the customer's feelings after they got upset",
        &share_of(|d| d.acknowledged),
        100.0,
        "%",
    ));
    h.push_str(&plot(
        "calm-again",
        "Calls where the upset customer calmed down again",
        &share_of(|d| d.calm_again),
        100.0,
        "%",
    ));
    h.push_str(&table(&by_day));
    h.push_str("<footer>Made on this computer by Hearken. Nothing in it was sent anywhere.</footer></body></html>\n");
    h
}

const CSS: &str = "body{font-family:system-ui,sans-serif;max-width:820px;margin:24px auto;padding:0 16px;color:#1a1a1a}\
h1{font-size:22px;margin:0}h2{font-size:16px;margin:22px 0 6px}.note{color:#555;font-size:13px}\
svg{width:100%;height:auto}.bar{fill:#1565c0}.grid{stroke:#ddd}.axis{font-size:10px;fill:#555;text-anchor:end}\
.day{font-size:10px;fill:#555}table{border-collapse:collapse;font-size:13px}td,th{padding:3px 8px;text-align:right}\
th:first-child,td:first-child{text-align:left}footer{margin-top:24px;font-size:12px;color:#555}\
@media (prefers-color-scheme: dark){body{background:#121212;color:#eee}.bar{fill:#64b5f6}.grid{stroke:#333}.axis,.day,.note,footer{fill:#aaa;color:#aaa}}";
