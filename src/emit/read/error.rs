//! What a reader of deployed files reports when a file does not parse. A module of its own so that the readers
//! (children of `read`) depend on it, not on their parent.

/// Why a deployed file could not be read: the parser's message and, where it names one, the byte offset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub message: String,
    pub at: Option<usize>,
}
