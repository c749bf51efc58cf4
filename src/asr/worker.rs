//! The transcription threads: each owns a whisper state, takes utterances, returns text.
//!
//! Whisper takes hundreds of ms per utterance; the engine must never stall behind it live.
//! So it runs here, on its own threads, fed over a bounded crossbeam channel. In replay the
//! engine holds each result's place in the stream at the utterance's end, which keeps replays
//! deterministic however the threads share the work.

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

/// Transcription threads sharing one queue of utterances. Crossbeam channels are
/// multi-consumer, so whichever thread is free takes the next utterance, whichever speaker it
/// came from: when one side does most of the talking, both cores still work on it. Results
/// carry their job id; the engine puts them back in order.
pub struct AsrWorker {
    jobs: Option<Sender<AsrJob>>,
    results: Receiver<AsrResult>,
    threads: Vec<JoinHandle<()>>,
}

/// How many utterances may wait for whisper at once.
const QUEUE: usize = 32;

impl AsrWorker {
    /// One transcription thread.
    pub fn spawn(transcriber: Box<dyn Transcribe>) -> AsrWorker {
        AsrWorker::pool(vec![transcriber])
    }

    /// One thread per transcriber (each with its own whisper state), sharing the queue.
    pub fn pool(transcribers: Vec<Box<dyn Transcribe>>) -> AsrWorker {
        let (job_tx, job_rx) = bounded::<AsrJob>(QUEUE);
        // Results are small and must never block a thread (the engine may itself be waiting
        // to submit): unbounded.
        let (res_tx, res_rx) = unbounded::<AsrResult>();
        let threads = transcribers
            .into_iter()
            .map(|t| {
                let (jobs, results) = (job_rx.clone(), res_tx.clone());
                std::thread::Builder::new()
                    .name("hearken-asr".into())
                    .spawn(move || serve(t, jobs, results))
                    .expect("spawning a transcription thread")
            })
            .collect();
        AsrWorker {
            jobs: Some(job_tx),
            results: res_rx,
            threads,
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
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// A transcription thread: take utterances until the queue closes.
fn serve(mut transcriber: Box<dyn Transcribe>, jobs: Receiver<AsrJob>, results: Sender<AsrResult>) {
    for job in jobs {
        let transcript = {
            let began = std::time::Instant::now();
            let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                transcriber.transcribe(&job.audio, job.level_db)
            }));
            tracing::debug!(
                "{} utterance {} ({} ms of audio) transcribed in {} ms",
                job.speaker,
                job.id,
                job.audio.len() / 16,
                began.elapsed().as_millis()
            );
            run.unwrap_or_else(|_| Err("speech recognition panicked".to_string()))
        };
        let panicked = transcript
            .as_ref()
            .is_err_and(|e| e == "speech recognition panicked");
        let r = AsrResult {
            id: job.id,
            speaker: job.speaker,
            start_sample: job.start_sample,
            transcript,
        };
        if results.send(r).is_err() {
            break;
        }
        if panicked {
            // A panicked whisper state is not reused: this thread stops, the others go on
            // (with none left, the engine is told the transcription thread has stopped).
            tracing::error!("a speech recognition thread panicked and has stopped");
            break;
        }
    }
}
