//! The overlay's drawing, driven through egui_kittest by its labels, as an agent would use it;
//! snapshot images of the main states are kept in tests/snapshots (rendered by wgpu on a
//! software adapter). The real window is tested in overlay_window.rs.

use eframe::egui;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use hearken::contract::Category;
use hearken::contract::Level;
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
            at_ms: 0,
            reason: hearken::contract::CallReason::Recording,
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
    h.get_by_label("Between calls");
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

fn card_event(t_ms: u64) -> Event {
    use hearken::contract::{CallCard, CardPoint};
    let point = |kind: &str, text: &str, evidence: &str| CardPoint {
        kind: kind.into(),
        text: text.into(),
        evidence: evidence.into(),
    };
    Event::new(
        t_ms,
        EventBody::CallCard(CallCard {
            went_well: point(
                "let_finish",
                "You let the customer finish 5 of 6 times.",
                "1 talk-over in 6 turns you took",
            ),
            try_next: point(
                "acknowledge_first",
                "The customer got upset at 03:12.0; naming the feeling first ('I can hear this has been frustrating') helps.",
                "tension rose at 03:12.0; none of your words after it named a feeling",
            ),
            duration_ms: 312_000,
            agent_talk_share: Some(0.48),
            talk_overs: 1,
            agent_turns: 6,
            let_finish: 5,
            longest_agent_monologue_ms: 21_000,
            dead_air_ms: 0,
            upset_at_ms: Some(192_000),
            acknowledged_after_upset: 0,
            calm_again: false,
            prompts: 2,
        }),
    )
    .in_call(Some(1))
}

fn call_end(t_ms: u64) -> Event {
    Event::new(
        t_ms,
        EventBody::CallEnd {
            duration_ms: t_ms,
            summary: Default::default(),
            at_ms: 0,
            reason: hearken::contract::CallReason::Auto,
        },
    )
    .in_call(Some(1))
}

/// After a call, the agent's card: what went well and what to try, with evidence on hover,
/// and the call's figures; it stays until dismissed or the next call begins.
#[test]
fn after_a_call_its_card_stays_until_dismissed_or_the_next_call() {
    let mut state = busy_call();
    state.apply(&card_event(312_000));
    state.apply(&call_end(312_000));
    let mut h = harness(state, egui::Theme::Dark);
    h.run();
    h.get_by_label("WENT WELL");
    h.get_by_label("You let the customer finish 5 of 6 times.");
    h.get_by_label_contains("naming the feeling first");
    h.get_by_label("Last call, 5:12");
    h.get_by_label_contains("talk-overs 1");
    assert!(
        h.query_by_label(PROMPT).is_none(),
        "no prompt after the call"
    );
    h.snapshot("overlay_card");
    h.get_by_label("Dismiss").click();
    h.run();
    h.get_by_label("Between calls");
    // A card again, then the next call clears it.
    h.state_mut().apply(&card_event(312_000));
    h.run();
    h.get_by_label("WENT WELL");
    h.state_mut().apply(&call_start());
    h.run();
    assert!(h.query_by_label("WENT WELL").is_none());
    h.get_by_label("Listening…");
}

/// In a live session the window starts and ends calls: New call between calls, End call in
/// one, by button and by key.
#[test]
fn new_call_and_end_call_by_button_and_by_key() {
    let mut state = OverlayState::new(false);
    state.call_controls = true;
    let mut h = Harness::builder().with_size(FULL_SIZE).build_ui_state(
        |ui, s: &mut (OverlayState, Vec<&'static str>)| {
            let a = view::show(&mut s.0, ui);
            if a.new_call {
                s.1.push("new");
            }
            if a.end_call {
                s.1.push("end");
            }
        },
        (state, Vec::new()),
    );
    h.run();
    h.get_by_label("New call").click();
    h.run();
    assert_eq!(h.state().1, ["new"]);
    h.state_mut().0.apply(&call_start());
    h.run();
    h.get_by_label("End call").click();
    h.run();
    h.key_press(egui::Key::E);
    h.run();
    assert_eq!(h.state().1, ["new", "end", "end"]);
    // Without a live session there are no such buttons.
    let mut plain = harness(busy_call(), egui::Theme::Dark);
    plain.run();
    assert!(plain.query_by_label("End call").is_none());
}
