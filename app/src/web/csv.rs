//! CSV exports that open safely in a spreadsheet: RFC 4180 quoting (the `csv` crate writes
//! it), `\r\n` line ends, a byte-order mark for UTF-8 names, and cells a spreadsheet would run as
//! a formula (`=`, `+`, `-`, `@`) prefixed with `'`, since names are user input.

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};

pub struct Csv {
    writer: csv::Writer<Vec<u8>>,
}

impl Default for Csv {
    fn default() -> Self {
        // A BOM so spreadsheet programs read UTF-8 names correctly.
        let bom = "\u{FEFF}".as_bytes().to_vec();
        Self {
            writer: csv::WriterBuilder::new()
                .terminator(csv::Terminator::CRLF)
                .flexible(true)
                .from_writer(bom),
        }
    }
}

impl Csv {
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells.into_iter().map(|c| defused(c.as_ref())).collect();
        // Writing into memory cannot fail.
        if let Err(e) = self.writer.write_record(&cells) {
            tracing::error!(error = %e, "a CSV row could not be written");
        }
    }

    fn into_bytes(self) -> Vec<u8> {
        // Flushing into a `Vec` cannot fail; should it, the export is empty rather than a panic.
        self.writer.into_inner().unwrap_or_else(|e| {
            tracing::error!(error = %e.error(), "a CSV export could not be finished");
            Vec::new()
        })
    }

    #[cfg(test)]
    pub fn into_string(self) -> String {
        String::from_utf8(self.into_bytes()).unwrap_or_default().trim_start_matches('\u{FEFF}').to_owned()
    }

    /// A download named `filename` (which must be plain ASCII without quotes).
    pub fn into_download(self, filename: &str) -> Response {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            self.into_bytes(),
        )
            .into_response()
    }
}

/// A cell a spreadsheet would run as a formula, made text.
fn defused(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_owned() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_and_defuses_formulas() {
        let mut csv = Csv::default();
        csv.row(["Name", "Admission"]);
        csv.row(["Doe, \"Jane\"", "ADM/1"]);
        csv.row(["=HYPERLINK(\"x\")", "@SUM(1)"]);
        assert_eq!(
            csv.into_string(),
            "Name,Admission\r\n\"Doe, \"\"Jane\"\"\",ADM/1\r\n\"'=HYPERLINK(\"\"x\"\")\",'@SUM(1)\r\n"
        );
    }
}
