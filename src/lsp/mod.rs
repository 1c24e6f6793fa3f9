//! The language server (placeholder while it is written).
pub fn run() -> u8 {
    0
}
