//! Figures over many measurements (latencies, block times): the one percentile Hearken
//! quotes, nearest rank, so every figure means the same thing.

/// The `q` quantile (0..1) of `v` by nearest rank, or None for no values. Sorts `v`.
pub fn percentile<T: Ord + Copy>(v: &mut [T], q: f64) -> Option<T> {
    if v.is_empty() {
        return None;
    }
    v.sort_unstable();
    Some(v[(((v.len() as f64) * q).ceil() as usize).clamp(1, v.len()) - 1])
}

/// Median and 95th percentile (nearest rank).
pub fn median_p95<T: Ord + Copy>(v: &[T]) -> Option<(T, T)> {
    let mut v = v.to_vec();
    Some((percentile(&mut v, 0.5)?, percentile(&mut v, 0.95)?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_use_nearest_rank() {
        assert_eq!(median_p95(&[5, 1, 3]), Some((3, 5)));
        assert_eq!(median_p95(&(1..=100).collect::<Vec<_>>()), Some((50, 95)));
        assert_eq!(median_p95::<i64>(&[]), None);
        assert_eq!(percentile(&mut [4u32, 2, 9, 7], 0.99), Some(9));
    }
}

/// Resident memory of this process, MB (Linux; elsewhere None). For the progress lines of
/// long runs, where a slow leak would show.
pub fn rss_mb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let kb: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kb / 1024)
}

/// Durations in µs kept as a histogram with logarithmic buckets: percentiles to within ~4 %,
/// in fixed memory however long a shift runs.
#[derive(Debug, Clone)]
pub struct Histogram {
    buckets: Vec<u64>,
    count: u64,
}

/// Buckets per doubling (2^(1/16) wide, ~4.4 %), from 1 µs to about 70 minutes.
const PER_OCTAVE: f64 = 16.0;
const OCTAVES: usize = 32;

impl Default for Histogram {
    fn default() -> Self {
        Histogram {
            buckets: vec![0; OCTAVES * PER_OCTAVE as usize + 1],
            count: 0,
        }
    }
}

impl Histogram {
    pub fn add(&mut self, us: u64) {
        let k = if us <= 1 {
            0
        } else {
            ((us as f64).log2() * PER_OCTAVE).ceil() as usize
        };
        let k = k.min(self.buckets.len() - 1);
        self.buckets[k] += 1;
        self.count += 1;
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    /// The `q` quantile (nearest rank), as its bucket's upper edge; None when empty.
    pub fn percentile(&self, q: f64) -> Option<u64> {
        if self.count == 0 {
            return None;
        }
        let rank = ((self.count as f64 * q).ceil() as u64).clamp(1, self.count);
        let mut seen = 0;
        for (k, n) in self.buckets.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(2f64.powf(k as f64 / PER_OCTAVE).round() as u64);
            }
        }
        None
    }

    pub fn clear(&mut self) {
        self.buckets.iter_mut().for_each(|b| *b = 0);
        self.count = 0;
    }
}

#[cfg(test)]
mod histogram_tests {
    use super::*;

    #[test]
    fn percentiles_are_within_a_bucket_in_fixed_memory() {
        let mut h = Histogram::default();
        let size = h.buckets.len();
        for us in 1..=10_000u64 {
            h.add(us);
        }
        let p50 = h.percentile(0.5).unwrap() as f64;
        let p95 = h.percentile(0.95).unwrap() as f64;
        assert!((p50 / 5_000.0 - 1.0).abs() < 0.05, "{p50}");
        assert!((p95 / 9_500.0 - 1.0).abs() < 0.05, "{p95}");
        assert_eq!(h.buckets.len(), size);
        assert_eq!(Histogram::default().percentile(0.5), None);
    }
}
