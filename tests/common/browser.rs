//! Headless Chromium for the tests that open Hearken's pages (reports, the history trend).

use super::tmpdir;
use std::path::Path;
use std::process::Command;

pub fn chromium() -> &'static str {
    for c in ["chromium", "chromium-browser"] {
        if Command::new(c)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
        {
            return c;
        }
    }
    panic!(
        "chromium is missing: install the Debian package chromium (bash .ci/setup.sh --test does)"
    );
}

/// Open a page in headless Chromium: its DOM after scripts ran, and the browser's log.
pub fn open_in_chromium(page: &Path, screenshot: Option<&Path>) -> (String, String) {
    let url = format!("file://{}", page.canonicalize().unwrap().display());
    let profile = tmpdir();
    let mut c = Command::new(chromium());
    c.args([
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--no-first-run",
        "--enable-logging=stderr",
        "--v=0",
        "--window-size=1280,1500",
    ])
    .arg(format!("--user-data-dir={}", profile.path().display()));
    match screenshot {
        Some(p) => c.arg(format!("--screenshot={}", p.display())),
        None => c.arg("--dump-dom"),
    };
    let out = c.arg(&url).output().expect("run chromium");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}
