//! The transcription threads: each owns a whisper state, takes utterances, returns text.
//!
//! Whisper takes hundreds of ms per utterance; the engine must never stall behind it live.
//! So it runs here, on its own threads, fed over a bounded crossbeam channel. In replay the
//! engine holds each result's place in the stream at the utterance's end, which keeps replays
//! deterministic however the threads share the work.

use super::model::{self, ModelError};
use super::transcriber::{Loudness, Transcribe, Transcript, WhisperModel};
use crate::config::Config;
use crate::contract::Speaker;
use crossbeam_channel::{Receiver, Sender, bounded, unbounded};
use std::panic::AssertUnwindSafe;
use std::thread::JoinHandle;

/// One utterance to transcribe.
#[derive(Debug)]
pub struct TranscriptionRequest {
    pub id: u64,
    pub speaker: Speaker,
    /// Sample position (engine clock) of `audio[0]`.
    pub start_sample: u64,
    pub audio: Vec<f32>,
    pub loudness: Loudness,
}

/// What came back for one request.
#[derive(Debug)]
pub struct TranscriptionResult {
    pub id: u64,
    pub speaker: Speaker,
    pub start_sample: u64,
    pub transcript: Result<Transcript, String>,
}

/// Transcription threads sharing one queue of utterances. Crossbeam channels are
/// multi-consumer, so whichever thread is free takes the next utterance, whichever speaker it
/// came from: when one side does most of the talking, both cores still work on it. Results
/// carry their job id; the engine puts them back in order.
pub struct TranscriberPool {
    jobs: Option<Sender<TranscriptionRequest>>,
    results: Receiver<TranscriptionResult>,
    threads: Vec<JoinHandle<()>>,
}

/// How many utterances may wait for whisper at once.
const QUEUE: usize = 32;

/// Transcription threads in a pool: one per speaker's worth of parallel work. Each whisper
/// call uses `asr.threads` threads of its own (1 on 2 cores).
pub const POOL_THREADS: usize = 2;

impl TranscriberPool {
    /// Load the configured model (its kind and checksum verified) and start
    /// [`POOL_THREADS`] transcribers on it. The one way replay, live, batch and eval get
    /// their transcription.
    pub fn start(cfg: &Config) -> Result<TranscriberPool, ModelError> {
        let path = model::verified_model(&cfg.model)?;
        let model = WhisperModel::load(&path)?;
        TranscriberPool::on_model(&model, cfg)
    }

    /// Start [`POOL_THREADS`] transcribers on a model already loaded.
    pub fn on_model(model: &WhisperModel, cfg: &Config) -> Result<TranscriberPool, ModelError> {
        let mut transcribers: Vec<Box<dyn Transcribe>> = Vec::new();
        for _ in 0..POOL_THREADS {
            transcribers.push(Box::new(model.transcriber(&cfg.asr)?));
        }
        Ok(TranscriberPool::pool(transcribers))
    }

    /// One transcription thread.
    pub fn spawn(transcriber: Box<dyn Transcribe>) -> TranscriberPool {
        TranscriberPool::pool(vec![transcriber])
    }

    /// One thread per transcriber (each with its own whisper state), sharing the queue.
    pub fn pool(transcribers: Vec<Box<dyn Transcribe>>) -> TranscriberPool {
        let (job_tx, job_rx) = bounded::<TranscriptionRequest>(QUEUE);
        // Results are small and must never block a thread (the engine may itself be waiting
        // to submit): unbounded.
        let (res_tx, res_rx) = unbounded::<TranscriptionResult>();
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
        TranscriberPool {
            jobs: Some(job_tx),
            results: res_rx,
            threads,
        }
    }

    /// Queue a job, waiting if the queue is full (replay).
    pub fn submit(&self, job: TranscriptionRequest) -> Result<(), String> {
        self.jobs
            .as_ref()
            .expect("worker running")
            .send(job)
            .map_err(|_| "the transcription thread has stopped".to_string())
    }

    /// Queue a job without waiting; gives it back if the queue is full (live).
    pub fn try_submit(&self, job: TranscriptionRequest) -> Result<(), TranscriptionRequest> {
        self.jobs
            .as_ref()
            .expect("worker running")
            .try_send(job)
            .map_err(|e| e.into_inner())
    }

    /// Wait for the next result.
    pub fn recv(&self) -> Result<TranscriptionResult, String> {
        self.results
            .recv()
            .map_err(|_| "the transcription thread has stopped".to_string())
    }

    /// A result, if one is ready (live).
    pub fn try_recv(&self) -> Option<TranscriptionResult> {
        self.results.try_recv().ok()
    }
}

impl Drop for TranscriberPool {
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
fn serve(
    mut transcriber: Box<dyn Transcribe>,
    jobs: Receiver<TranscriptionRequest>,
    results: Sender<TranscriptionResult>,
) {
    for job in jobs {
        let transcript = {
            let began = std::time::Instant::now();
            let run = std::panic::catch_unwind(AssertUnwindSafe(|| {
                transcriber.transcribe(&job.audio, job.loudness)
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
        let r = TranscriptionResult {
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
