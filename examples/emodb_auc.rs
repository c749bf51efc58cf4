//! How well Hearken's acoustic tension score separates angry from neutral speech on real
//! voices: the Berlin Emotional Speech Database (EmoDB, 10 actors; not committed, read from
//! where it lies).
//!
//!     cargo run --example emodb_auc -- ../shared/data/emodb
//!
//! Speaker-normalised: each actor's own neutral utterances are their baseline (leaving out the
//! utterance being scored). Prints the ROC
//! AUC of angry vs neutral, as recorded and with every utterance levelled to the same
//! loudness (as a phone line's automatic gain control would), and per feature.

use hearken::detect::tension::{acoustic_score, delta_between};
use hearken::playbook::TensionWeights;
use hearken::signal::prosody::{Prosody, clip_prosody};
use std::collections::HashMap;
use std::path::PathBuf;

fn auc(pos: &[f32], neg: &[f32]) -> f64 {
    let mut wins = 0.0;
    for p in pos {
        for n in neg {
            wins += if p > n {
                1.0
            } else if p == n {
                0.5
            } else {
                0.0
            };
        }
    }
    wins / (pos.len() * neg.len()) as f64
}

fn mean(v: &[Prosody]) -> Prosody {
    let n = v.len() as f32;
    let f0: Vec<f32> = v.iter().filter_map(|p| p.f0_median_hz).collect();
    let rg: Vec<f32> = v.iter().filter_map(|p| p.f0_range_st).collect();
    Prosody {
        level_db: v.iter().map(|p| p.level_db).sum::<f32>() / n,
        f0_median_hz: (!f0.is_empty()).then(|| f0.iter().sum::<f32>() / f0.len() as f32),
        f0_range_st: (!rg.is_empty()).then(|| rg.iter().sum::<f32>() / rg.len() as f32),
        effort_db: v.iter().map(|p| p.effort_db).sum::<f32>() / n,
        voiced_share: v.iter().map(|p| p.voiced_share).sum::<f32>() / n,
        frames: 0,
    }
}

fn main() {
    let dir = PathBuf::from(
        std::env::args()
            .nth(1)
            .unwrap_or_else(|| "../shared/data/emodb".into()),
    );
    let labels =
        std::fs::read_to_string(dir.join("labels.csv")).expect("labels.csv in the EmoDB folder");
    let weights = TensionWeights::default();
    for levelled in [false, true] {
        let mut by_actor: HashMap<String, Vec<(String, Prosody)>> = HashMap::new();
        for line in labels.lines().skip(1) {
            let f: Vec<&str> = line.split(',').collect();
            let (file, speaker, emotion) = (f[0], f[1], f[2]);
            if emotion != "angry" && emotion != "neutral" {
                continue;
            }
            let mut r = hound::WavReader::open(dir.join(file)).unwrap();
            let mut x: Vec<f32> = r
                .samples::<i16>()
                .map(|s| s.unwrap() as f32 / 32768.0)
                .collect();
            if levelled {
                let rms = (x.iter().map(|s| s * s).sum::<f32>() / x.len() as f32).sqrt();
                let g = 0.05 / rms.max(1e-6);
                x.iter_mut().for_each(|s| *s = (*s * g).clamp(-1.0, 1.0));
            }
            by_actor
                .entry(speaker.to_string())
                .or_default()
                .push((emotion.to_string(), clip_prosody(&x)));
        }
        let (mut pos, mut neg) = (Vec::new(), Vec::new());
        let mut per_feature: [(Vec<f32>, Vec<f32>); 4] = Default::default();
        for utts in by_actor.values() {
            for (k, (emotion, p)) in utts.iter().enumerate() {
                // The actor's neutral utterances are the baseline, leaving out the one scored.
                let neutral: Vec<Prosody> = utts
                    .iter()
                    .enumerate()
                    .filter(|(j, u)| u.0 == "neutral" && *j != k)
                    .map(|(_, u)| u.1)
                    .collect();
                let base = mean(&neutral);
                let d = delta_between(p, &base);
                let (score, _) = acoustic_score(&d, &weights);
                let feats = [d.pitch_st, d.range_st, d.level_db, d.effort_db];
                if emotion == "angry" {
                    pos.push(score);
                    for (k, v) in feats.iter().enumerate() {
                        per_feature[k].0.push(*v);
                    }
                } else {
                    neg.push(score);
                    for (k, v) in feats.iter().enumerate() {
                        per_feature[k].1.push(*v);
                    }
                }
            }
        }
        println!(
            "{}: angry vs neutral ROC AUC {:.3} ({} angry, {} neutral, {} actors)",
            if levelled {
                "levelled to equal loudness"
            } else {
                "as recorded"
            },
            auc(&pos, &neg),
            pos.len(),
            neg.len(),
            by_actor.len()
        );
        for (k, name) in ["pitch", "pitch range", "loudness", "vocal effort"]
            .iter()
            .enumerate()
        {
            println!(
                "    {name:<13} alone: {:.3}",
                auc(&per_feature[k].0, &per_feature[k].1)
            );
        }
    }
}
