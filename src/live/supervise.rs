//! Which devices the system lists, once a second, on a thread of its own: listing devices
//! can take long (a sound server that is slow to answer), and the thread that runs the
//! engine must never wait for it.

use crate::audio::devices::{self, DeviceInfo};
use crossbeam_channel::{Receiver, bounded};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

/// The input devices listed at one moment; None when the host could not be asked (which
/// says nothing about any device).
pub type Listing = Option<Vec<DeviceInfo>>;

/// Start listing every second until `stop`; the newest listing is always the one waiting.
pub fn start(host: Option<String>, stop: Arc<AtomicBool>) -> Receiver<Listing> {
    let (tx, rx) = bounded::<Listing>(1);
    let stale = rx.clone();
    let spawned = std::thread::Builder::new()
        .name("hearken-devices".into())
        .spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let listing = devices::host(host.as_deref())
                    .ok()
                    .and_then(|h| devices::inputs(&h));
                // Only the newest matters: a listing nobody took yet is replaced.
                if let Err(crossbeam_channel::TrySendError::Full(l)) = tx.try_send(listing) {
                    let _ = stale.try_recv();
                    let _ = tx.try_send(l);
                }
                std::thread::sleep(Duration::from_secs(1));
            }
        });
    if let Err(e) = spawned {
        tracing::warn!(
            "cannot start the device watch: {e}; lost devices are noticed only by their errors"
        );
    }
    rx
}
