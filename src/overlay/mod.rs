//! The overlay: the small always-on-top window the agent reads during a call.
//!
//! `state` folds engine events into what is shown, `view` draws it with egui (and is what the
//! egui_kittest tests drive), `window` is the eframe edge: the real window on the main thread,
//! fed by the engine over a crossbeam channel it never waits on.

pub mod state;
pub mod view;
pub mod window;

pub use state::OverlayState;
pub use window::{Beside, OverlaySink, channel, run, run_beside, try_open};
