//! The transcription thread: owns the whisper context, takes utterances, returns text.
//!
//! Whisper takes hundreds of ms per utterance; the engine must never stall behind it live.
//! So it runs here, on its own thread, fed over a bounded crossbeam channel. In replay the
//! engine waits for each result at the utterance's end, which keeps replays deterministic.

use super::transcriber::{Transcribe, Transcript};
use crate::engine::Speaker;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

/// One utterance to transcribe.
#[derive(Debug)]
pub struct AsrJob {
    pub id: u64,
    pub speaker: Speaker,
    /// Sample position (engine clock) of `audio[0]`.
    pub start_sample: u64,
    pub audio: Vec<f32>,
    pub level_db: f32,
}

#[derive(Debug)]
pub struct AsrResult {
    pub id: u64,
    pub speaker: Speaker,
    pub start_sample: u64,
    pub transcript: Result<Transcript, String>,
}

pub struct AsrWorker {
    jobs: Option<Sender<AsrJob>>,
    results: Receiver<AsrResult>,
    thread: Option<JoinHandle<()>>,
}

/// How many utterances may wait for whisper at once.
const QUEUE: usize = 32;

impl AsrWorker {
    pub fn spawn(mut transcriber: Box<dyn Transcribe>) -> AsrWorker {
        let (job_tx, job_rx) = bounded::<AsrJob>(QUEUE);
        // Results are small and must never block the worker (the engine may itself be
        // waiting to submit): unbounded.
        let (res_tx, res_rx) = unbounded::<AsrResult>();
        let thread = std::thread::Builder::new()
            .name("hearken-asr".into())
            .spawn(move || {
                let mut broken = false;
                for job in job_rx {
                    let transcript = if broken {
                        Err("speech recognition stopped after an internal error".to_string())
                    } else {
                        let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                            transcriber.transcribe(&job.audio, job.level_db)
                        }));
                        run.unwrap_or_else(|_| {
                            // A panicked whisper state is not reused.
                            broken = true;
                            tracing::error!("speech recognition panicked; transcripts stop here");
                            Err("speech recognition panicked".to_string())
                        })
                    };
                    let r = AsrResult {
                        id: job.id,
                        speaker: job.speaker,
                        start_sample: job.start_sample,
                        transcript,
                    };
                    if res_tx.send(r).is_err() {
                        break;
                    }
                }
            })
            .expect("spawning the transcription thread");
        AsrWorker {
            jobs: Some(job_tx),
            results: res_rx,
            thread: Some(thread),
        }
    }

    /// Queue a job, waiting if the queue is full (replay).
    pub fn submit(&self, job: AsrJob) -> Result<(), String> {
        self.jobs
            .as_ref()
            .expect("worker running")
            .send(job)
            .map_err(|_| "the transcription thread has stopped".to_string())
    }

    /// Queue a job without waiting; gives it back if the queue is full (live).
    pub fn try_submit(&self, job: AsrJob) -> Result<(), AsrJob> {
        self.jobs
            .as_ref()
            .expect("worker running")
            .try_send(job)
            .map_err(|e| e.into_inner())
    }

    /// Wait for the next result.
    pub fn recv(&self) -> Result<AsrResult, String> {
        self.results
            .recv()
            .map_err(|_| "the transcription thread has stopped".to_string())
    }

    /// A result, if one is ready (live).
    pub fn try_recv(&self) -> Option<AsrResult> {
        self.results.try_recv().ok()
    }
}

impl Drop for AsrWorker {
    fn drop(&mut self) {
        self.jobs.take();
        // Drain so the thread is never blocked sending a result nobody reads.
        while self.results.recv().is_ok() {}
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}
