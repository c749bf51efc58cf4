//! The overlay's window: eframe on the main thread, fed by the engine over a channel.
//!
//! The engine never waits for the window: [`OverlaySink::send`] is a `try_send` on a bounded
//! channel followed by a repaint request. The window repaints only when an event arrives or
//! the agent touches it, so with nothing happening it costs next to nothing.

use super::state::OverlayState;
use super::view::{self, FULL_SIZE, MIN_SIZE};
use crate::config::{OverlayConfig, Theme};
use crate::contract::{CallCommand, CallReason, Event};
use crossbeam_channel::{Receiver, Sender, TrySendError, bounded};
use egui::{ViewportCommand, WindowLevel};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Events waiting for the window. The window drains them every frame; a full queue means the
/// window is stuck, and then events are dropped (and counted) rather than stall the engine.
const QUEUE: usize = 4096;

/// The engine's end of the overlay.
#[derive(Clone)]
pub struct OverlaySink {
    tx: Sender<Event>,
    ctx: Arc<OnceLock<egui::Context>>,
    dropped: Arc<AtomicU64>,
}

impl OverlaySink {
    /// Hand an event to the window without waiting. Returns false once the window is gone.
    pub fn send(&self, e: &Event) -> bool {
        match self.tx.try_send(e.clone()) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) => {
                if self.dropped.fetch_add(1, Ordering::Relaxed) == 0 {
                    tracing::warn!("the overlay is not keeping up; dropping its events");
                }
            }
            Err(TrySendError::Disconnected(_)) => return false,
        }
        if let Some(ctx) = self.ctx.get() {
            ctx.request_repaint();
        }
        true
    }
}

impl OverlaySink {
    /// Close the window from another thread (the call is over).
    pub fn close(&self) {
        if let Some(ctx) = self.ctx.get() {
            ctx.send_viewport_cmd(ViewportCommand::Close);
            ctx.request_repaint();
        }
    }
}

/// What came of running work beside the window.
pub struct Beside<T> {
    /// The window's own fate: Err when it could not open or failed.
    pub window: Result<(), String>,
    /// What the work returned; None when the window never opened and the work never ran.
    pub work: Option<T>,
}

/// Run `work` on a thread of its own while the overlay window runs on this (the main)
/// thread, the one place a replay or a live call is shown in the window. The work starts once
/// the window is up and feeds it through the sink it is given; when the agent closes the
/// window, `closed` runs (to stop the work) and this waits for the work to end.
pub fn run_beside<T: Send>(
    cfg: &OverlayConfig,
    controls: Option<Sender<CallCommand>>,
    work: impl FnOnce(&OverlaySink) -> T + Send,
    closed: impl FnOnce(),
) -> Beside<T> {
    let (sink, rx, ctx) = channel();
    let (start_tx, start_rx) = bounded::<bool>(1);
    std::thread::scope(|scope| {
        let worker = scope.spawn(move || {
            // Wait until the window is up; if it never comes, the work never starts.
            start_rx.recv().unwrap_or(false).then(|| work(&sink))
        });
        let window = run(cfg, rx, ctx, controls, move || {
            let _ = start_tx.send(true);
        });
        closed();
        let work = worker
            .join()
            .unwrap_or_else(|p| std::panic::resume_unwind(p));
        Beside { window, work }
    })
}

/// Make the channel between the engine and the window.
pub fn channel() -> (OverlaySink, Receiver<Event>, Arc<OnceLock<egui::Context>>) {
    let (tx, rx) = bounded(QUEUE);
    let ctx = Arc::new(OnceLock::new());
    let sink = OverlaySink {
        tx,
        ctx: ctx.clone(),
        dropped: Arc::new(AtomicU64::new(0)),
    };
    (sink, rx, ctx)
}

struct OverlayApp {
    state: OverlayState,
    rx: Receiver<Event>,
    /// Where New call / End call go (a live session), if anywhere.
    controls: Option<Sender<CallCommand>>,
    frames: u64,
    on_top_again: bool,
}

impl eframe::App for OverlayApp {
    fn logic(&mut self, ctx: &egui::Context, _frame: &mut eframe::Frame) {
        for e in self.rx.try_iter() {
            self.state.apply(&e);
        }
        // On X11 winit drops the always-on-top flag when it is set before the window maps:
        // ask again once the window is up, and once more a moment later for slow window
        // managers.
        self.frames += 1;
        if self.frames == 2 {
            ctx.send_viewport_cmd(ViewportCommand::WindowLevel(WindowLevel::AlwaysOnTop));
            ctx.request_repaint_after(std::time::Duration::from_millis(500));
        } else if !self.on_top_again && ctx.input(|i| i.time) > 0.5 {
            self.on_top_again = true;
            ctx.send_viewport_cmd(ViewportCommand::WindowLevel(WindowLevel::AlwaysOnTop));
        }
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        egui::CentralPanel::default()
            .frame(egui::Frame::NONE)
            .show(ui, |ui| {
                let actions = view::show(&mut self.state, ui);
                if actions.close {
                    ui.ctx().send_viewport_cmd(ViewportCommand::Close);
                }
                let command = if actions.new_call {
                    Some(CallCommand::Start(CallReason::Agent))
                } else if actions.end_call {
                    Some(CallCommand::End(CallReason::Agent))
                } else {
                    None
                };
                if let (Some(c), Some(tx)) = (command, &self.controls) {
                    // The session takes it at its next step; it never waits on the window.
                    let _ = tx.try_send(c);
                }
            });
    }
}

/// Open the overlay window and run it until the agent closes it. Must be called on the main
/// thread. `ctx_slot` receives the window's context so the sink can ask for repaints;
/// `opened` runs once the window exists (start feeding it then); `controls`, when given,
/// shows New call / End call and sends what the agent presses there.
pub fn run(
    cfg: &OverlayConfig,
    rx: Receiver<Event>,
    ctx_slot: Arc<OnceLock<egui::Context>>,
    controls: Option<Sender<CallCommand>>,
    opened: impl FnOnce() + 'static,
) -> Result<(), String> {
    let viewport = egui::ViewportBuilder::default()
        .with_title("Hearken")
        .with_app_id("hearken")
        .with_inner_size(FULL_SIZE)
        .with_min_inner_size(MIN_SIZE)
        .with_decorations(false)
        .with_resizable(true)
        .with_always_on_top();
    let options = eframe::NativeOptions {
        viewport,
        renderer: eframe::Renderer::Glow,
        // Place and size are remembered between runs (eframe's persistence).
        persist_window: true,
        ..Default::default()
    };
    let theme = cfg.theme;
    let show_captions = cfg.captions;
    eframe::run_native(
        "hearken",
        options,
        Box::new(move |cc| {
            match theme {
                Theme::System => {}
                Theme::Light => cc.egui_ctx.set_theme(egui::Theme::Light),
                Theme::Dark => cc.egui_ctx.set_theme(egui::Theme::Dark),
            }
            let _ = ctx_slot.set(cc.egui_ctx.clone());
            opened();
            let mut state = OverlayState::new(show_captions);
            state.call_controls = controls.is_some();
            Ok(Box::new(OverlayApp {
                state,
                rx,
                controls,
                frames: 0,
                on_top_again: false,
            }))
        }),
    )
    .map_err(|e| e.to_string())
}

/// Open a small window for a moment and close it again: whether this session can show the
/// overlay (a display, a window, OpenGL), for `hearken check`. What it found, or why not.
/// Must be called on the main thread, once per process (a window system allows one event
/// loop).
pub fn try_open() -> Result<String, String> {
    let env = |k: &str| std::env::var(k).ok().filter(|v| !v.is_empty());
    let display = env("WAYLAND_DISPLAY")
        .map(|d| format!("Wayland display {d}"))
        .or_else(|| env("DISPLAY").map(|d| format!("X11 display {d}")))
        .ok_or("no display: neither DISPLAY nor WAYLAND_DISPLAY is set")?;
    let drew = Arc::new(OnceLock::<String>::new());
    let seen = drew.clone();
    // eframe keeps its memory in a folder it makes at start: a scratch one, removed after,
    // so the check leaves nothing in the user's home.
    let scratch = std::env::temp_dir().join(format!("hearken-check-{}", std::process::id()));
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("Hearken check")
            .with_inner_size([240.0, 60.0])
            .with_decorations(false),
        renderer: eframe::Renderer::Glow,
        // A probe: it must not move the overlay's remembered place.
        persist_window: false,
        persistence_path: Some(scratch.join("state.ron")),
        ..Default::default()
    };
    let opened = eframe::run_native(
        "hearken-check",
        options,
        Box::new(move |cc| {
            let gl = match cc.gl.as_ref() {
                Some(gl) => {
                    use eframe::glow::HasContext;
                    // SAFETY: a plain query on the context eframe just made current on this
                    // thread, with a valid enum.
                    unsafe { gl.get_parameter_string(eframe::glow::RENDERER) }
                }
                None => "no OpenGL context".into(),
            };
            Ok(Box::new(Probe { drew: seen, gl }))
        }),
    )
    .map_err(|e| format!("{display}: the window did not open: {e}"));
    let _ = std::fs::remove_dir_all(&scratch);
    opened?;
    drew.get()
        .map(|gl| format!("{display}: a window opened and drew a frame (OpenGL renderer: {gl})"))
        .ok_or_else(|| format!("{display}: a window opened but drew nothing"))
}

/// The window `try_open` opens: it draws one frame, notes it, and closes.
struct Probe {
    drew: Arc<OnceLock<String>>,
    gl: String,
}

impl eframe::App for Probe {
    fn persist_egui_memory(&self) -> bool {
        false
    }

    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        ui.label("Hearken check");
        let _ = self.drew.set(self.gl.clone());
        ui.ctx().send_viewport_cmd(ViewportCommand::Close);
    }
}
