//! The two sides of a call, and which recorder channel carries which.

use serde::{Deserialize, Serialize};

/// Who is speaking. A call has exactly two sides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Speaker {
    Agent,
    Customer,
}

impl Speaker {
    pub const BOTH: [Speaker; 2] = [Speaker::Agent, Speaker::Customer];

    /// A stable index for per-speaker arrays.
    pub fn index(self) -> usize {
        match self {
            Speaker::Agent => 0,
            Speaker::Customer => 1,
        }
    }

    pub fn other(self) -> Speaker {
        match self {
            Speaker::Agent => Speaker::Customer,
            Speaker::Customer => Speaker::Agent,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Speaker::Agent => "agent",
            Speaker::Customer => "customer",
        }
    }
}

impl std::fmt::Display for Speaker {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Which channel of a two-channel recording or device carries the agent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    #[default]
    Left,
    Right,
}

impl Channel {
    /// (agent, customer) channel indices.
    pub fn indices(self) -> (usize, usize) {
        match self {
            Channel::Left => (0, 1),
            Channel::Right => (1, 0),
        }
    }
}
