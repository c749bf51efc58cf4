//! The overlay's drawing, driven through egui_kittest by its labels, as an agent would use it;
//! snapshot images of the main states are kept in tests/snapshots (rendered by wgpu on a
//! software adapter). The real window is tested in overlay_window.rs.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hearken::coach::Category;
use hearken::detect::tension::Level;
use hearken::overlay::state::OverlayState;
use hearken::overlay::view::{self, FULL_SIZE, STRIP_SIZE};
use hearken::{Event, EventBody, Speaker};

const PROMPT: &str = "You talked over the customer. Let them finish.";

fn harness(state: OverlayState, theme: egui::Theme) -> Harness<'static, OverlayState> {
    Harness::builder()
        .with_size(FULL_SIZE)
        .with_theme(theme)
        .build_ui_state(
            |ui, state: &mut OverlayState| {
                view::show(state, ui);
            },
            state,
        )
}

fn call_start() -> Event {
    Event::new(
        0,
        EventBody::CallStart {
            source: "test".into(),
            sample_rate: 16_000,
            channels: 2,
        },
    )
}

fn prompt(t_ms: u64, kind: &str, text: &str) -> Event {
    Event::new(
        t_ms,
        EventBody::Prompt {
            kind: kind.into(),
            category: Category::Listening,
            text: text.into(),
            reason: "you started 0.4 s into their sentence and kept going".into(),
            priority: 80,
        },
    )
}

fn metrics(t_ms: u64, share: f32, by_agent: u32) -> Event {
    Event::new(
        t_ms,
        EventBody::Metrics {
            agent_talk_share_60s: Some(share),
            agent_talk_share_call: Some(share),
            agent_wpm: None,
            silence_ms: 0,
            interruptions_by_agent: by_agent,
            interruptions_by_customer: 0,
            longest_agent_monologue_ms: 0,
        },
    )
}

fn tension(t_ms: u64, level: Level) -> Event {
    Event::new(
        t_ms,
        EventBody::Tension {
            level,
            score: 0.5,
            reason: "louder and higher than at the start".into(),
        },
    )
}

/// A call in progress: tension up, the agent talking over, a prompt on screen.
fn busy_call() -> OverlayState {
    let mut s = OverlayState::new(false);
    for e in [
        call_start(),
        tension(41_000, Level::Elevated),
        metrics(42_000, 0.72, 2),
        prompt(42_300, "talk_over", PROMPT),
        metrics(43_000, 0.72, 2),
    ] {
        s.apply(&e);
    }
    s
}

#[test]
fn an_arriving_prompt_and_tension_show_with_words_not_colour_alone() {
    let mut h = harness(OverlayState::new(false), egui::Theme::Dark);
    h.run();
    assert!(h.query_by_label(PROMPT).is_none());
    h.get_by_label("No call");
    h.state_mut().apply(&call_start());
    h.state_mut().apply(&tension(41_000, Level::Elevated));
    h.state_mut().apply(&metrics(42_000, 0.72, 2));
    h.state_mut().apply(&prompt(42_300, "talk_over", PROMPT));
    h.run();
    h.get_by_label(PROMPT);
    h.get_by_label("ELEVATED");
    h.get_by_label("LISTENING");
    h.get_by_label("You talked 72% of the last minute");
    h.get_by_label("Interruptions: 2 by you, 0 by them");
    h.get_by_label("0:42");
    h.get_by_label("On-device");
    h.state_mut().apply(&tension(60_000, Level::High));
    h.run();
    h.get_by_label("HIGH");
    assert!(h.query_by_label("ELEVATED").is_none());
}

#[test]
fn dismiss_by_button_and_by_escape() {
    let mut h = harness(busy_call(), egui::Theme::Dark);
    h.run();
    h.get_by_label("Dismiss").click();
    h.run();
    assert!(h.query_by_label(PROMPT).is_none());
    assert!(h.state().prompt.is_none());
    h.get_by_label("Listening…");

    h.state_mut()
        .apply(&prompt(50_000, "dead_air", "Long silence."));
    h.run();
    h.get_by_label("Long silence.");
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(h.query_by_label("Long silence.").is_none());
}

#[test]
fn paused_coaching_shows_no_prompts_until_resumed() {
    let mut h = harness(busy_call(), egui::Theme::Dark);
    h.run();
    h.get_by_label("Pause coaching").click();
    h.run();
    h.get_by_label("Coaching paused for this call");
    assert!(h.query_by_label(PROMPT).is_none());
    h.state_mut()
        .apply(&prompt(60_000, "monologue", "Long explanation."));
    h.run();
    assert!(h.query_by_label("Long explanation.").is_none());
    // The keyboard works too.
    h.key_press(egui::Key::P);
    h.run();
    h.get_by_label("Pause coaching");
    h.state_mut()
        .apply(&prompt(61_000, "monologue", "Long explanation."));
    h.run();
    h.get_by_label("Long explanation.");
}

#[test]
fn collapse_to_a_strip_and_back() {
    let mut h = harness(busy_call(), egui::Theme::Dark);
    h.run();
    h.get_by_label("Collapse").click();
    h.run();
    assert!(h.state().collapsed);
    // The strip keeps the essentials: timer, tension word, the prompt.
    h.get_by_label("Expand");
    h.get_by_label("ELEVATED");
    h.get_by_label(PROMPT);
    assert!(
        h.query_by_label("You talked 72% of the last minute")
            .is_none()
    );
    h.set_size(STRIP_SIZE);
    h.run();
    h.snapshot("overlay_collapsed");
    h.set_size(FULL_SIZE);
    h.key_press(egui::Key::C);
    h.run();
    assert!(!h.state().collapsed);
    h.get_by_label("You talked 72% of the last minute");
}

#[test]
fn a_device_problem_shows_a_banner_until_it_is_over() {
    let mut state = busy_call();
    state.apply(&Event::new(
        44_000,
        EventBody::Device {
            state: "device_lost".into(),
            detail: "Headset microphone disconnected: plug it back in; coaching resumes by itself."
                .into(),
        },
    ));
    let mut h = harness(state, egui::Theme::Dark);
    h.run();
    h.get_by_label_contains("Headset microphone disconnected");
    // The prompt stays in view; the floor numbers make room for the banner.
    h.get_by_label(PROMPT);
    assert!(
        h.query_by_label("You talked 72% of the last minute")
            .is_none()
    );
    h.snapshot("overlay_banner");
    h.state_mut().apply(&Event::new(
        50_000,
        EventBody::Device {
            state: "device_restored".into(),
            detail: "Headset microphone is back.".into(),
        },
    ));
    h.run();
    assert!(
        h.query_by_label_contains("Headset microphone disconnected")
            .is_none()
    );
    h.get_by_label("You talked 72% of the last minute");
}

#[test]
fn captions_show_both_sides_when_turned_on() {
    let mut state = busy_call();
    state.show_captions = true;
    state.apply(&Event::new(
        45_000,
        EventBody::Partial {
            speaker: Speaker::Customer,
            start_ms: 43_000,
            text: "this is the third time".into(),
        },
    ));
    let mut h = harness(state, egui::Theme::Dark);
    h.run();
    h.get_by_label("Customer: this is the third time");
    assert!(h.query_by_label_contains("You:").is_none());
}

#[test]
fn snapshot_dark() {
    let mut h = harness(busy_call(), egui::Theme::Dark);
    h.run();
    h.snapshot("overlay_prompt_dark");
}

#[test]
fn snapshot_light() {
    let mut h = harness(busy_call(), egui::Theme::Light);
    h.run();
    h.snapshot("overlay_prompt_light");
}

#[test]
fn the_engine_never_waits_for_the_window() {
    let (sink, rx, _ctx) = hearken::overlay::channel();
    let started = std::time::Instant::now();
    // Nobody reads: far more events than the queue holds.
    for k in 0..10_000u64 {
        assert!(sink.send(&metrics(k, 0.5, 0)));
    }
    assert!(
        started.elapsed() < std::time::Duration::from_secs(2),
        "sending blocked"
    );
    assert!(rx.len() < 10_000, "the queue is bounded");
    drop(rx);
    assert!(
        !sink.send(&metrics(1, 0.5, 0)),
        "a closed window is reported"
    );
}
