//! CSV exports that open safely in a spreadsheet: RFC 4180 quoting, and cells a spreadsheet
//! would run as a formula (`=`, `+`, `-`, `@`) prefixed with `'`, since names are user input.

use axum::response::{IntoResponse, Response};
use http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};

#[derive(Default)]
pub struct Csv {
    text: String,
}

impl Csv {
    pub fn row<I, S>(&mut self, cells: I)
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let cells: Vec<String> = cells.into_iter().map(|c| cell(c.as_ref())).collect();
        self.text.push_str(&cells.join(","));
        self.text.push_str("\r\n");
    }

    #[cfg(test)]
    pub fn into_string(self) -> String {
        self.text
    }

    /// A download named `filename` (which must be plain ASCII without quotes).
    pub fn into_download(self, filename: &str) -> Response {
        (
            [
                (CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
                (CONTENT_DISPOSITION, format!("attachment; filename=\"{filename}\"")),
                (CACHE_CONTROL, "no-store".to_owned()),
            ],
            // A BOM so spreadsheet programs read UTF-8 names correctly.
            format!("\u{FEFF}{}", self.text),
        )
            .into_response()
    }
}

fn cell(value: &str) -> String {
    let value = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{value}")
    } else {
        value.to_owned()
    };
    if value.contains([',', '"', '\n', '\r']) { format!("\"{}\"", value.replace('"', "\"\"")) } else { value }
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
