//! Drawing the overlay: a pure function of [`OverlayState`] plus the agent's clicks and keys.
//!
//! Written against `egui::Ui` only (no eframe), so the same code runs in the real window and
//! in egui_kittest. Every control has a text label: that is how the agent's screen reader
//! and the tests find it. Colour never carries meaning alone: the tension meter says its level
//! in a word, the prompt says its category.

use super::state::OverlayState;
use crate::contract::time::{ClockStyle, clock_as};
use crate::contract::{Category, Level};
use egui::{
    self, Align, Color32, CornerRadius, Frame, Key, Layout, Margin, RichText, Sense, Stroke, Ui,
    Vec2, ViewportCommand,
};

/// Window sizes: the usual panel, and the strip it collapses to.
pub const FULL_SIZE: Vec2 = Vec2::new(360.0, 210.0);
pub const STRIP_SIZE: Vec2 = Vec2::new(360.0, 44.0);
pub const MIN_SIZE: Vec2 = Vec2::new(240.0, 44.0);

const PROMPT_SIZE: f32 = 19.0;
const BODY_SIZE: f32 = 14.0;
const SMALL_SIZE: f32 = 12.0;

/// What the agent asked for this frame, beyond the state changes `draw` makes itself.
#[derive(Debug, Default, PartialEq)]
pub struct Actions {
    /// Close the window (the close button).
    pub close: bool,
    /// New call (N): a call starts now.
    pub new_call: bool,
    /// End call (E): the call going on ends now.
    pub end_call: bool,
}

/// Tension colours, with the text colour that keeps contrast on each (WCAG AA at this size).
fn tension_colours(level: Level) -> (Color32, Color32) {
    match level {
        Level::Calm => (Color32::from_rgb(0x2E, 0x7D, 0x32), Color32::WHITE),
        Level::Elevated => (Color32::from_rgb(0xF9, 0xA8, 0x25), Color32::BLACK),
        Level::High => (Color32::from_rgb(0xC6, 0x28, 0x28), Color32::WHITE),
    }
}

/// Category colours, chosen per theme so small text keeps a 4.5:1 contrast (WCAG AA).
fn category_colour(c: Category, dark: bool) -> Color32 {
    match (c, dark) {
        (Category::Listening, true) => Color32::from_rgb(0x64, 0xB5, 0xF6),
        (Category::Listening, false) => Color32::from_rgb(0x15, 0x65, 0xC0),
        (Category::Empathy, true) => Color32::from_rgb(0xCE, 0x93, 0xD8),
        (Category::Empathy, false) => Color32::from_rgb(0x6A, 0x1B, 0x9A),
        (Category::Reinforcement, true) => Color32::from_rgb(0x81, 0xC7, 0x84),
        (Category::Reinforcement, false) => Color32::from_rgb(0x2E, 0x7D, 0x32),
    }
}

/// The privacy mark's green, per theme (as above).
fn privacy_green(dark: bool) -> Color32 {
    if dark {
        Color32::from_rgb(0x66, 0xBB, 0x6A)
    } else {
        Color32::from_rgb(0x2E, 0x7D, 0x32)
    }
}

/// The overlay with its panel margin: what the window shows, and what the tests render.
pub fn show(state: &mut OverlayState, ui: &mut Ui) -> Actions {
    // egui's default label grey is too faint to read at a glance: near-white on dark,
    // near-black on light.
    let dark = ui.visuals().dark_mode;
    ui.visuals_mut().widgets.noninteractive.fg_stroke.color = if dark {
        Color32::from_gray(225)
    } else {
        Color32::from_gray(20)
    };
    Frame::central_panel(ui.style())
        .inner_margin(Margin::same(8))
        .show(ui, |ui| draw(state, ui))
        .inner
}

/// Draw the whole overlay into `ui` and act on the agent's input.
pub fn draw(state: &mut OverlayState, ui: &mut Ui) -> Actions {
    let mut actions = Actions::default();
    keyboard(state, ui, &mut actions);
    // The background drags the window (it has no title bar). Registered before the widgets,
    // which sit on top of it and keep their own clicks.
    let whole = ui.max_rect();
    let bg = ui.interact(whole, ui.scope_id().with("drag"), Sense::drag());
    if bg.drag_started() {
        ui.ctx().send_viewport_cmd(ViewportCommand::StartDrag);
    }
    header(state, ui, &mut actions);
    if let Some(b) = &state.banner {
        banner(ui, &b.detail);
    }
    if state.collapsed {
        return actions;
    }
    ui.add_space(4.0);
    if state.in_call {
        meters(state, ui, state.banner.is_none());
        ui.add_space(6.0);
        prompt(state, ui);
        if state.show_captions {
            captions(state, ui);
        }
    } else if let Some(c) = state.card.clone() {
        card(state, &c, ui);
    } else {
        idle(ui);
    }
    call_controls(state, ui, &mut actions);
    resize_grip(ui, whole);
    actions
}

/// Between calls, before any card: a quiet line.
fn idle(ui: &mut Ui) {
    ui.add_space(8.0);
    ui.label(RichText::new("Between calls").size(PROMPT_SIZE));
    ui.label(
        RichText::new("Coaching starts with the next call.")
            .size(BODY_SIZE)
            .color(ui.visuals().weak_text_color()),
    );
}

/// After a call: one thing that went well, one to try, each with its evidence, and the
/// call's figures. It stays until the next call or Dismiss.
fn card(state: &mut OverlayState, c: &crate::contract::CallCard, ui: &mut Ui) {
    let dark = ui.visuals().dark_mode;
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "Last call, {}",
                clock_as(c.duration_ms, ClockStyle::Seconds)
            ))
            .size(BODY_SIZE)
            .strong(),
        );
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button(RichText::new("Dismiss").size(SMALL_SIZE))
                .on_hover_text("Hide this card (Esc)")
                .clicked()
            {
                state.dismiss();
            }
        });
    });
    for (label, p, category) in [
        ("WENT WELL", &c.went_well, Category::Reinforcement),
        ("TRY NEXT", &c.try_next, Category::Empathy),
    ] {
        ui.horizontal_wrapped(|ui| {
            ui.label(
                RichText::new(label)
                    .size(SMALL_SIZE)
                    .color(category_colour(category, dark))
                    .strong(),
            );
            ui.label(RichText::new(&p.text).size(BODY_SIZE))
                .on_hover_text(&p.evidence);
        });
    }
    let share = c
        .agent_talk_share
        .map_or("–".to_string(), |s| format!("{:.0}%", s * 100.0));
    ui.label(
        RichText::new(format!(
            "You talked {share} · talk-overs {} · longest stretch {} s · dead air {} s",
            c.talk_overs,
            c.longest_agent_monologue_ms / 1000,
            c.dead_air_ms / 1000
        ))
        .size(SMALL_SIZE)
        .color(ui.visuals().weak_text_color()),
    );
}

/// New call / End call, where the window can start and end calls (live).
fn call_controls(state: &OverlayState, ui: &mut Ui, actions: &mut Actions) {
    if !state.call_controls {
        return;
    }
    ui.with_layout(Layout::bottom_up(Align::Min), |ui| {
        let (label, hint) = if state.in_call {
            ("End call", "The call is over: show its card (E)")
        } else {
            ("New call", "A call starts now (N)")
        };
        if ui
            .button(RichText::new(label).size(SMALL_SIZE))
            .on_hover_text(hint)
            .clicked()
        {
            if state.in_call {
                actions.end_call = true;
            } else {
                actions.new_call = true;
            }
        }
    });
}

/// Esc dismisses the prompt (or the card), P pauses or resumes coaching, C collapses or
/// expands; with call controls, N starts a call and E ends it.
fn keyboard(state: &mut OverlayState, ui: &mut Ui, actions: &mut Actions) {
    let (dismiss, pause, collapse, new, end) = ui.input_mut(|i| {
        (
            i.consume_key(egui::Modifiers::NONE, Key::Escape),
            i.consume_key(egui::Modifiers::NONE, Key::P),
            i.consume_key(egui::Modifiers::NONE, Key::C),
            i.consume_key(egui::Modifiers::NONE, Key::N),
            i.consume_key(egui::Modifiers::NONE, Key::E),
        )
    });
    if state.call_controls {
        actions.new_call = new && !state.in_call;
        actions.end_call = end && state.in_call;
    }
    if dismiss {
        state.dismiss();
    }
    if pause {
        state.toggle_pause();
    }
    if collapse {
        set_collapsed(state, ui, !state.collapsed);
    }
}

fn set_collapsed(state: &mut OverlayState, ui: &Ui, collapsed: bool) {
    if state.collapsed != collapsed {
        state.toggle_collapse();
        let size = if collapsed { STRIP_SIZE } else { FULL_SIZE };
        ui.ctx().send_viewport_cmd(ViewportCommand::InnerSize(size));
    }
}

/// The top line: privacy mark, call timer, the controls; collapsed, also the tension word and
/// the prompt (the strip is all there is then).
fn header(state: &mut OverlayState, ui: &mut Ui, actions: &mut Actions) {
    ui.horizontal(|ui| {
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui
                .button(RichText::new("×").size(BODY_SIZE))
                .on_hover_text("Close Hearken")
                .clicked()
            {
                actions.close = true;
            }
            let (label, hint) = if state.collapsed {
                ("Expand", "Show the full panel (C)")
            } else {
                ("Collapse", "Shrink to a strip (C)")
            };
            if ui
                .button(RichText::new(label).size(SMALL_SIZE))
                .on_hover_text(hint)
                .clicked()
            {
                set_collapsed(state, ui, !state.collapsed);
            }
            // The strip has room for one control besides these; pausing stays on P there.
            // Between calls there is nothing to pause.
            if !state.collapsed && state.in_call {
                let (label, hint) = if state.paused {
                    ("Resume coaching", "Show prompts again (P)")
                } else {
                    ("Pause coaching", "No prompts for the rest of this call (P)")
                };
                if ui
                    .button(RichText::new(label).size(SMALL_SIZE))
                    .on_hover_text(hint)
                    .clicked()
                {
                    state.toggle_pause();
                }
            }
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                privacy_mark(ui, !state.collapsed);
                let timer = if state.in_call || state.call_ms > 0 {
                    clock_as(state.call_ms, ClockStyle::Seconds)
                } else {
                    "waiting for a call".to_string()
                };
                ui.label(RichText::new(timer).size(BODY_SIZE).monospace())
                    .on_hover_text("Call time");
                if state.collapsed {
                    tension_chip(state, ui);
                    if let Some(p) = &state.prompt {
                        ui.add(
                            egui::Label::new(RichText::new(&p.text).size(BODY_SIZE).strong())
                                .truncate(),
                        )
                        .on_hover_text(&p.reason);
                    }
                }
            });
        });
    });
}

fn banner(ui: &mut Ui, detail: &str) {
    Frame::new()
        .fill(Color32::from_rgb(0xB7, 0x1C, 0x1C))
        .inner_margin(Margin::symmetric(8, 4))
        .corner_radius(CornerRadius::same(4))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(
                egui::Label::new(
                    RichText::new(detail)
                        .size(BODY_SIZE)
                        .color(Color32::WHITE)
                        .strong(),
                )
                .wrap(),
            );
        });
}

fn tension_chip(state: &OverlayState, ui: &mut Ui) {
    let (fill, text) = tension_colours(state.tension);
    let word = state.tension.word();
    Frame::new()
        .fill(fill)
        .inner_margin(Margin::symmetric(6, 1))
        .corner_radius(CornerRadius::same(3))
        .show(ui, |ui| {
            ui.label(
                RichText::new(word.to_uppercase())
                    .size(SMALL_SIZE)
                    .color(text)
                    .strong(),
            )
        })
        .response
        .on_hover_text(format!("Customer tension: {word}"));
}

/// Customer tension, agent talk share over the last minute, interruptions.
fn meters(state: &OverlayState, ui: &mut Ui, floor: bool) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Customer").size(BODY_SIZE));
        let steps = match state.tension {
            Level::Calm => 1,
            Level::Elevated => 2,
            Level::High => 3,
        };
        let (fill, _) = tension_colours(state.tension);
        let off = ui.visuals().widgets.inactive.bg_fill;
        for k in 0..3 {
            let (rect, _) = ui.allocate_exact_size(Vec2::new(18.0, 12.0), Sense::hover());
            let colour = if k < steps { fill } else { off };
            ui.painter().rect_filled(rect, 2.0, colour);
        }
        tension_chip(state, ui);
    })
    .response
    .on_hover_text(&state.tension_reason);
    // With a banner up, the floor numbers give way so the prompt stays in view.
    if !floor {
        return;
    }
    let share = match state.talk_share_60s {
        Some(s) => format!("{:.0}%", s * 100.0),
        None => "–".to_string(),
    };
    // Over the coach's talk-share limit: in bold, so it reads as a warning without colour.
    let heavy = state.talk_share_60s.is_some_and(|s| s > 0.7);
    let text = RichText::new(format!("You talked {share} of the last minute")).size(BODY_SIZE);
    ui.label(if heavy { text.strong() } else { text });
    ui.label(
        RichText::new(format!(
            "Interruptions: {} by you, {} by them",
            state.interruptions_by_agent, state.interruptions_by_customer
        ))
        .size(SMALL_SIZE),
    );
}

/// The privacy mark: a green dot, and the words when there is room.
fn privacy_mark(ui: &mut Ui, words: bool) {
    const PRIVACY: &str =
        "On-device: audio and words stay on this computer. Nothing is sent or kept.";
    let green = privacy_green(ui.visuals().dark_mode);
    let (rect, dot) = ui.allocate_exact_size(Vec2::splat(10.0), Sense::hover());
    ui.painter().circle_filled(rect.center(), 4.0, green);
    dot.on_hover_text(PRIVACY);
    if words {
        ui.label(RichText::new("On-device").size(SMALL_SIZE).color(green))
            .on_hover_text(PRIVACY);
    }
}

/// The prompt: large text, its category in a word, the evidence in small type.
fn prompt(state: &mut OverlayState, ui: &mut Ui) {
    let Some(p) = state.prompt.clone() else {
        let quiet = if state.paused {
            "Coaching paused for this call"
        } else {
            "Listening…"
        };
        ui.label(
            RichText::new(quiet)
                .size(BODY_SIZE)
                .color(ui.visuals().weak_text_color()),
        );
        return;
    };
    let colour = category_colour(p.category, ui.visuals().dark_mode);
    Frame::new()
        .stroke(Stroke::new(2.0, colour))
        .inner_margin(Margin::symmetric(8, 6))
        .corner_radius(CornerRadius::same(4))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(p.category.word().to_uppercase())
                        .size(SMALL_SIZE)
                        .color(colour)
                        .strong(),
                );
                ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
                    if ui
                        .button(RichText::new("Dismiss").size(SMALL_SIZE))
                        .on_hover_text("Hide this prompt (Esc)")
                        .clicked()
                    {
                        state.dismiss();
                    }
                });
            });
            ui.add(egui::Label::new(RichText::new(&p.text).size(PROMPT_SIZE).strong()).wrap())
                .on_hover_text(&p.reason);
            ui.add(
                egui::Label::new(
                    RichText::new(&p.reason)
                        .size(SMALL_SIZE)
                        .color(ui.visuals().weak_text_color()),
                )
                .truncate(),
            )
            .on_hover_text(&p.reason);
        });
}

fn captions(state: &OverlayState, ui: &mut Ui) {
    ui.add_space(4.0);
    for (who, c) in ["You", "Customer"].iter().zip(&state.captions) {
        if let Some(c) = c {
            let text = RichText::new(format!("{who}: {}", c.text)).size(SMALL_SIZE);
            ui.add(egui::Label::new(if c.partial { text.italics() } else { text }).truncate());
        }
    }
}

/// A grip in the bottom-right corner: the window has no frame to resize by.
fn resize_grip(ui: &mut Ui, whole: egui::Rect) {
    let size = 14.0;
    let rect = egui::Rect::from_min_size(whole.max - Vec2::splat(size), Vec2::splat(size));
    let r = ui
        .interact(rect, ui.scope_id().with("resize"), Sense::drag())
        .on_hover_cursor(egui::CursorIcon::ResizeSouthEast);
    if r.drag_started() {
        ui.ctx().send_viewport_cmd(ViewportCommand::BeginResize(
            egui::ResizeDirection::SouthEast,
        ));
    }
    let stroke = Stroke::new(1.0, ui.visuals().weak_text_color());
    for k in 1..=3 {
        let d = k as f32 * 4.0;
        ui.painter().line_segment(
            [
                egui::pos2(rect.max.x - d, rect.max.y - 1.0),
                egui::pos2(rect.max.x - 1.0, rect.max.y - d),
            ],
            stroke,
        );
    }
}
