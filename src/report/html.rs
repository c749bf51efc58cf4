//! The report as one self-contained HTML page: inline CSS, a generated SVG timeline, a few
//! lines of inline script, no remote scripts or fonts, so it opens offline in any browser and
//! can be mailed as one file.
//!
//! Hand-written rather than a charting library: the picture is lanes of rectangles, markers
//! and one polyline, which clean generated SVG draws in a page of code, and a JS charting
//! library would have to be inlined (hundreds of kB) to keep the page self-contained.

use super::{CallReport, Span};
use crate::contract::time::clock;
use crate::contract::{Category, Level, Speaker};
use std::fmt::Write;

/// Audio for click-to-play: none, a link to the recording, or the recording inside the page.
#[derive(Debug, Clone, PartialEq)]
pub enum Audio {
    None,
    /// A URL (usually a path relative to the report).
    Link(String),
    /// A data: URL with the WAV bytes.
    Embedded(String),
}

const WIDTH: f64 = 1200.0;
const LEFT: f64 = 90.0;
const RIGHT: f64 = 20.0;

fn esc(s: &str) -> String {
    let mut o = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => o.push_str("&amp;"),
            '<' => o.push_str("&lt;"),
            '>' => o.push_str("&gt;"),
            '"' => o.push_str("&quot;"),
            '\'' => o.push_str("&#39;"),
            _ => o.push(c),
        }
    }
    o
}

fn secs(ms: u64) -> String {
    format!("{:.1} s", ms as f64 / 1000.0)
}

struct Scale {
    duration: f64,
}

impl Scale {
    fn x(&self, ms: u64) -> f64 {
        LEFT + (ms as f64 / self.duration.max(1.0)) * (WIDTH - LEFT - RIGHT)
    }
    fn w(&self, s: &Span) -> f64 {
        (self.x(s.end_ms) - self.x(s.start_ms)).max(1.0)
    }
}

/// Render the page.
pub fn render(r: &CallReport, audio: &Audio) -> String {
    let mut h = String::new();
    let title = format!("Call report: {}", r.source);
    let _ = writeln!(
        h,
        "<!doctype html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n\
         <title>{}</title>\n<style>{}</style>\n</head>\n<body>",
        esc(&title),
        CSS
    );
    let _ = writeln!(
        h,
        "<header><h1>Call report</h1><p class=\"src\">{} &middot; {}</p></header>",
        esc(&r.source),
        clock(r.duration_ms)
    );
    numbers(&mut h, r);
    match audio {
        Audio::None => {}
        Audio::Link(url) | Audio::Embedded(url) => {
            let _ = writeln!(
                h,
                "<section class=\"player\"><audio id=\"audio\" controls preload=\"metadata\" src=\"{}\"></audio>\
                 <p class=\"hint\">Click a moment in the timeline or a time in the transcript to play the call from there.</p></section>",
                esc(url)
            );
        }
    }
    timeline(&mut h, r);
    prompts(&mut h, r);
    transcript(&mut h, r);
    let _ = writeln!(
        h,
        "<footer>Made on this computer by Hearken {} (report schema {}). Nothing in it was sent anywhere.</footer>\n\
         <script>{}</script>\n</body>\n</html>",
        env!("CARGO_PKG_VERSION"),
        r.schema_version,
        SCRIPT
    );
    h
}

fn numbers(h: &mut String, r: &CallReport) {
    let hd = &r.headline;
    h.push_str("<section class=\"numbers\" id=\"numbers\">");
    let mut card = |label: &str, value: String, note: String| {
        let _ = write!(
            h,
            "<div class=\"card\"><div class=\"label\">{}</div><div class=\"value\">{}</div><div class=\"note\">{}</div></div>",
            esc(label),
            esc(&value),
            esc(&note)
        );
    };
    card(
        "Agent talk share",
        hd.agent_talk_share
            .map(|s| format!("{:.0}%", s * 100.0))
            .unwrap_or_else(|| "–".into()),
        "of all talk in the call".into(),
    );
    card(
        "Interruptions",
        format!(
            "{} by agent · {} by customer",
            hd.interruptions_by_agent, hd.interruptions_by_customer
        ),
        "talking over past a backchannel".into(),
    );
    card(
        "Longest agent monologue",
        secs(hd.longest_agent_monologue_ms),
        String::new(),
    );
    card(
        "Dead air",
        secs(hd.dead_air_ms),
        format!("{} stretch(es) of 5 s or more", r.dead_air.len()),
    );
    card(
        "Peak customer tension",
        match (hd.peak_level, hd.peak_tension) {
            (Some(l), Some(s)) => format!("{} ({:.2})", l.word(), s),
            (None, Some(s)) => format!("calm ({s:.2})"),
            _ => "–".into(),
        },
        match (hd.peak_level, hd.calm_again_after_ms) {
            (Some(l), Some(ms)) if l > Level::Calm => format!("calm again after {}", secs(ms)),
            (Some(l), None) if l > Level::Calm => "did not come down before the end".into(),
            _ => String::new(),
        },
    );
    card(
        "Empathy acknowledgements",
        hd.empathy_acknowledgements.to_string(),
        "agent turns that named the feeling".into(),
    );
    card(
        "Prompts",
        hd.prompts.to_string(),
        "shown to the agent".into(),
    );
    h.push_str("</section>\n");
}

/// Where the timeline's lanes sit, in SVG units.
struct Lanes {
    sc: Scale,
    lane_h: f64,
    prompt: f64,
    agent: f64,
    customer: f64,
    tension: f64,
    tension_h: f64,
}

fn timeline(h: &mut String, r: &CallReport) {
    let l = Lanes {
        sc: Scale {
            duration: r.duration_ms as f64,
        },
        lane_h: 26.0,
        prompt: 34.0,
        agent: 70.0,
        customer: 104.0,
        tension: 150.0,
        tension_h: 90.0,
    };
    let height = l.tension + l.tension_h + 30.0;
    let _ = writeln!(
        h,
        "<section><h2>Timeline</h2>\n<svg id=\"timeline\" role=\"img\" aria-label=\"Timeline of the call\" \
         viewBox=\"0 0 {WIDTH} {height}\" preserveAspectRatio=\"xMinYMin meet\">"
    );
    axis(h, r, &l);
    speech(h, r, &l);
    marks(h, r, &l);
    tension(h, r, &l);
    h.push_str(
        "</svg>\n<p class=\"legend\"><span class=\"k agent\"></span>agent speaking \
        <span class=\"k customer\"></span>customer speaking <span class=\"k overlap\"></span>both \
        <span class=\"k deadair\"></span>dead air &#9660; interruption (on the interrupter's lane) \
        &#9679; prompt; the tension line is the customer's running score with its calm, elevated \
        and high bands</p></section>\n",
    );
}

/// Time ticks at a round step giving about ten labels, and the lanes' names.
fn axis(h: &mut String, r: &CallReport, l: &Lanes) {
    let step = [
        5_000u64, 10_000, 15_000, 30_000, 60_000, 120_000, 300_000, 600_000,
    ]
    .into_iter()
    .find(|s| r.duration_ms / s <= 12)
    .unwrap_or(1_200_000);
    let mut t = 0;
    while t <= r.duration_ms {
        let x = l.sc.x(t);
        let _ = writeln!(
            h,
            "<line class=\"tick\" x1=\"{x:.1}\" y1=\"20\" x2=\"{x:.1}\" y2=\"{:.1}\"/>\
             <text class=\"axis\" x=\"{x:.1}\" y=\"14\">{}</text>",
            l.tension + l.tension_h,
            clock(t).trim_end_matches(".0")
        );
        t += step;
    }
    for (y, label) in [
        (l.prompt, "Prompts"),
        (l.agent, "Agent"),
        (l.customer, "Customer"),
        (l.tension + 14.0, "Tension"),
    ] {
        let _ = writeln!(
            h,
            "<text class=\"lane\" x=\"6\" y=\"{:.1}\">{label}</text>",
            y + 17.0
        );
    }
}

/// Dead air behind everything, each side's speech, and where both spoke.
fn speech(h: &mut String, r: &CallReport, l: &Lanes) {
    let (sc, lane_h) = (&l.sc, l.lane_h);
    for s in &r.dead_air {
        let _ = writeln!(
            h,
            "<rect class=\"deadair\" data-t=\"{}\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{}\">\
             <title>Dead air {} from {}</title></rect>",
            s.start_ms,
            sc.x(s.start_ms),
            l.agent - 4.0,
            sc.w(s),
            l.customer - l.agent + lane_h + 8.0,
            secs(s.end_ms - s.start_ms),
            clock(s.start_ms)
        );
    }
    for (i, (y, class)) in [(l.agent, "agent"), (l.customer, "customer")]
        .iter()
        .enumerate()
    {
        for s in &r.speech[i] {
            let _ = writeln!(
                h,
                "<rect class=\"{class}\" data-t=\"{}\" x=\"{:.1}\" y=\"{y}\" width=\"{:.1}\" height=\"{lane_h}\">\
                 <title>{class} speaking {}–{}</title></rect>",
                s.start_ms,
                sc.x(s.start_ms),
                sc.w(s),
                clock(s.start_ms),
                clock(s.end_ms)
            );
        }
    }
    for s in &r.overlaps {
        let _ = writeln!(
            h,
            "<rect class=\"overlap\" data-t=\"{}\" x=\"{:.1}\" y=\"{}\" width=\"{:.1}\" height=\"{:.1}\">\
             <title>Both speaking {}</title></rect>",
            s.start_ms,
            sc.x(s.start_ms),
            l.agent,
            sc.w(s),
            l.customer - l.agent + lane_h,
            clock(s.start_ms)
        );
    }
}

/// Interruptions on the interrupter's lane, and prompts on theirs.
fn marks(h: &mut String, r: &CallReport, l: &Lanes) {
    for i in &r.interruptions {
        let x = l.sc.x(i.onset_ms);
        let y = if i.by == Speaker::Agent {
            l.agent
        } else {
            l.customer
        } - 2.0;
        let _ = writeln!(
            h,
            "<path class=\"interruption\" data-t=\"{}\" d=\"M{:.1},{:.1} l7,-12 l-14,0 z\">\
             <title>Interruption by the {} at {}{}</title></path>",
            i.onset_ms,
            x,
            y,
            i.by,
            clock(i.onset_ms),
            if i.cut_off {
                ", and the other stopped"
            } else {
                ""
            }
        );
    }
    for p in &r.prompts {
        let x = l.sc.x(p.t_ms);
        let class = match p.category {
            Category::Listening => "p-listening",
            Category::Empathy => "p-empathy",
            Category::Reinforcement => "p-reinforcement",
        };
        let _ = writeln!(
            h,
            "<circle class=\"prompt {class}\" data-t=\"{}\" cx=\"{x:.1}\" cy=\"{:.1}\" r=\"7\">\
             <title>{} · {}: {} ({})</title></circle>",
            p.t_ms,
            l.prompt + 13.0,
            clock(p.t_ms),
            p.category.word(),
            esc(&p.text),
            esc(&p.reason)
        );
    }
}

/// The customer's tension: level bands, the running score after each utterance, the level
/// changes named.
fn tension(h: &mut String, r: &CallReport, l: &Lanes) {
    let sc = &l.sc;
    let ty = |score: f32| l.tension + l.tension_h - (score.clamp(0.0, 1.0) as f64) * l.tension_h;
    for (lo, hi, class) in [
        (0.0, 0.40, "band-calm"),
        (0.40, 0.60, "band-elevated"),
        (0.60, 1.0, "band-high"),
    ] {
        let _ = writeln!(
            h,
            "<rect class=\"{class}\" x=\"{LEFT}\" y=\"{:.1}\" width=\"{:.1}\" height=\"{:.1}\"/>",
            ty(hi),
            WIDTH - LEFT - RIGHT,
            ty(lo) - ty(hi)
        );
    }
    if !r.tension.is_empty() {
        let pts: Vec<String> = r
            .tension
            .iter()
            .map(|p| format!("{:.1},{:.1}", sc.x(p.t_ms), ty(p.score)))
            .collect();
        let _ = writeln!(
            h,
            "<polyline id=\"tension\" class=\"tension\" points=\"{}\"/>",
            pts.join(" ")
        );
        for p in &r.tension {
            let _ = writeln!(
                h,
                "<circle class=\"tpoint\" data-t=\"{}\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"3\"><title>{}: tension {:.2}</title></circle>",
                p.t_ms,
                sc.x(p.t_ms),
                ty(p.score),
                clock(p.t_ms),
                p.score
            );
        }
    }
    for c in &r.tension_changes {
        let x = sc.x(c.t_ms);
        let _ = writeln!(
            h,
            "<text class=\"tlevel\" data-t=\"{}\" x=\"{x:.1}\" y=\"{:.1}\">{}<title>{}: {}</title></text>",
            c.t_ms,
            l.tension - 2.0,
            c.level.word(),
            clock(c.t_ms),
            esc(&c.reason)
        );
    }
}

fn prompts(h: &mut String, r: &CallReport) {
    h.push_str("<section><h2>Prompts</h2>\n");
    if r.prompts.is_empty() {
        h.push_str("<p>None: the coach had nothing to say on this call.</p></section>\n");
        return;
    }
    h.push_str("<ol class=\"prompts\">\n");
    for p in &r.prompts {
        let _ = writeln!(
            h,
            "<li><button class=\"t\" data-t=\"{}\">{}</button> <span class=\"cat c-{}\">{}</span> \
             <strong>{}</strong> <span class=\"why\">{}</span></li>",
            p.t_ms,
            clock(p.t_ms),
            p.category.word().replace(' ', "-"),
            p.category.word(),
            esc(&p.text),
            esc(&p.reason)
        );
    }
    h.push_str("</ol></section>\n");
}

fn transcript(h: &mut String, r: &CallReport) {
    h.push_str(
        "<section><h2>Transcript</h2>\n<table id=\"transcript\"><thead><tr><th>time</th><th>who</th><th>words</th></tr></thead><tbody>\n",
    );
    for l in &r.transcript {
        let words = marked(&l.text, &l.cues);
        let _ = writeln!(
            h,
            "<tr class=\"{}\" data-t=\"{}\"><td><button class=\"t\" data-t=\"{}\">{}</button></td><td>{}</td><td>{}</td></tr>",
            l.speaker,
            l.start_ms,
            l.start_ms,
            clock(l.start_ms),
            l.speaker,
            words
        );
    }
    h.push_str("</tbody></table></section>\n");
}

/// The text, escaped, with each cue's first occurrence in `<mark>`. Matched on the raw text
/// (ASCII case folded, so byte offsets stay true), then escaped piece by piece.
fn marked(text: &str, cues: &[String]) -> String {
    let lower = text.to_ascii_lowercase();
    let mut spans: Vec<(usize, usize)> = Vec::new();
    for cue in cues {
        let c = cue.to_ascii_lowercase();
        if c.is_empty() {
            continue;
        }
        if let Some(at) = lower.find(&c) {
            let end = at + c.len();
            if !spans.iter().any(|&(a, b)| at < b && a < end) {
                spans.push((at, end));
            }
        }
    }
    spans.sort();
    let mut out = String::new();
    let mut pos = 0;
    for (a, b) in spans {
        out.push_str(&esc(&text[pos..a]));
        out.push_str("<mark>");
        out.push_str(&esc(&text[a..b]));
        out.push_str("</mark>");
        pos = b;
    }
    out.push_str(&esc(&text[pos..]));
    out
}

const CSS: &str = r#"
:root { --agent: #1565c0; --customer: #e65100; --text: #1a1a1a; --muted: #555; --bg: #fff; --card: #f4f6f8; }
@media (prefers-color-scheme: dark) { :root { --agent: #64b5f6; --customer: #ffb74d; --text: #eee; --muted: #aaa; --bg: #121212; --card: #1e1e1e; } }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--text); background: var(--bg); margin: 24px auto; max-width: 1240px; padding: 0 16px; }
h1 { margin: 0; font-size: 24px; } h2 { font-size: 18px; margin: 28px 0 8px; }
.src { color: var(--muted); margin: 4px 0 16px; }
.numbers { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 10px; }
.card { background: var(--card); border-radius: 8px; padding: 10px 12px; }
.card .label { font-size: 12px; color: var(--muted); text-transform: uppercase; letter-spacing: .04em; }
.card .value { font-size: 20px; font-weight: 600; margin: 4px 0; }
.card .note { font-size: 12px; color: var(--muted); }
.player { margin-top: 16px; } .player audio { width: 100%; } .hint { font-size: 12px; color: var(--muted); }
svg { width: 100%; height: auto; display: block; }
svg .tick { stroke: #9993; } svg .axis { font-size: 11px; fill: var(--muted); text-anchor: middle; }
svg .lane { font-size: 13px; fill: var(--text); font-weight: 600; }
svg .agent { fill: var(--agent); } svg .customer { fill: var(--customer); }
svg .overlap { fill: #d32f2f; opacity: .35; } svg .deadair { fill: #9e9e9e; opacity: .3; }
svg .interruption { fill: #d32f2f; stroke: #fff; stroke-width: 1; }
svg .prompt { stroke: #fff; stroke-width: 1.5; } svg .p-listening { fill: #1e88e5; } svg .p-empathy { fill: #8e24aa; } svg .p-reinforcement { fill: #43a047; }
svg .band-calm { fill: #43a04722; } svg .band-elevated { fill: #f9a82533; } svg .band-high { fill: #c6282833; }
svg .tension { fill: none; stroke: var(--text); stroke-width: 2; } svg .tpoint { fill: var(--text); }
svg .tlevel { font-size: 11px; fill: var(--muted); }
svg [data-t] { cursor: pointer; }
.legend { font-size: 12px; color: var(--muted); }
.legend .k { display: inline-block; width: 12px; height: 10px; margin: 0 4px 0 10px; vertical-align: middle; }
.legend .agent { background: var(--agent); } .legend .customer { background: var(--customer); }
.legend .overlap { background: #d32f2f88; } .legend .deadair { background: #9e9e9e88; }
ol.prompts li { margin: 4px 0; } .why { color: var(--muted); font-size: 13px; }
.cat { font-size: 11px; text-transform: uppercase; padding: 1px 6px; border-radius: 3px; color: #fff; }
.c-listening { background: #1565c0; } .c-empathy { background: #6a1b9a; } .c-well-done { background: #2e7d32; }
table { border-collapse: collapse; width: 100%; } td, th { text-align: left; padding: 4px 8px; vertical-align: top; }
tr.agent td:nth-child(2) { color: var(--agent); font-weight: 600; } tr.customer td:nth-child(2) { color: var(--customer); font-weight: 600; }
tr.playing { background: var(--card); }
button.t { font: inherit; font-variant-numeric: tabular-nums; background: none; border: 0; color: inherit; text-decoration: underline dotted; cursor: pointer; padding: 0; }
mark { background: #fff59d; color: #000; }
footer { margin: 32px 0; font-size: 12px; color: var(--muted); }
"#;

/// Click anything with a time to play the call from there (when the page has the audio),
/// and mark the transcript line being spoken.
const SCRIPT: &str = r#"
(function () {
  var audio = document.getElementById('audio');
  var rows = Array.prototype.slice.call(document.querySelectorAll('#transcript tr[data-t]'));
  document.addEventListener('click', function (ev) {
    var el = ev.target.closest('[data-t]');
    if (!el) return;
    var t = Number(el.getAttribute('data-t')) / 1000;
    if (audio) { audio.currentTime = t; audio.play(); }
    mark(t);
  });
  function mark(t) {
    var current = null;
    rows.forEach(function (r) { if (Number(r.getAttribute('data-t')) / 1000 <= t + 0.05) current = r; });
    rows.forEach(function (r) { r.classList.toggle('playing', r === current); });
    if (current && current.scrollIntoView) current.scrollIntoView({ block: 'nearest' });
  }
  if (audio) audio.addEventListener('timeupdate', function () { mark(audio.currentTime); });
  document.body.setAttribute('data-ready', 'yes');
})();
"#;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cues_are_marked_in_the_text_and_everything_is_escaped() {
        let m = marked(
            "This is <b>ridiculous</b> & I want a MANAGER",
            &["ridiculous".into(), "manager".into()],
        );
        assert_eq!(
            m,
            "This is &lt;b&gt;<mark>ridiculous</mark>&lt;/b&gt; &amp; I want a <mark>MANAGER</mark>"
        );
    }
}
