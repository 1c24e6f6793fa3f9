//! `tuskc explain-code [CODE]`: the list of diagnostic codes with their titles, or one code's explanation.

use crate::diagnostic::Code;

pub(super) fn explain_code(code: Option<&str>) -> u8 {
    match code {
        None => {
            for c in Code::ALL {
                println!("{}  {}", c.as_str(), c.title());
            }
            0
        }
        Some(text) => match Code::parse(text) {
            Some(c) => {
                println!("{}: {}\n\n{}", c.as_str(), c.title(), c.explanation());
                0
            }
            None => {
                eprintln!("error: `{text}` is not a tuskc diagnostic code; `tuskc explain-code` lists them");
                2
            }
        },
    }
}
