//! Reading a class list file: UTF-8 with or without a byte-order mark, comma- or (as Excel
//! writes it in many locales) semicolon-separated, RFC 4180 quoting (the `csv` crate reads it),
//! a header row naming `admission_number`, `name` and optionally `email` in any order, each
//! other row a student or a rejected row with its line and the reason.

use crate::domain::{AdmissionNumber, Email, StudentName};
use crate::model::{Enrolled, RejectedRow};

/// The rows that read as students (with their line numbers), and the rows that did not.
pub type ParsedRows = (Vec<(usize, Enrolled)>, Vec<RejectedRow>);

/// A file bigger than this is not a class list.
pub const MAX_BYTES: usize = 2 * 1024 * 1024;
/// The most rows one file may have (a large unit's whole enrolment, with room for broken
/// ones): a file past it is refused whole before any row becomes a preview line.
pub const MAX_ROWS: usize = 10_000;

/// Reads `bytes`; `Err` is a reason the whole file cannot be used.
pub fn parse(bytes: &[u8]) -> Result<ParsedRows, String> {
    if bytes.len() > MAX_BYTES {
        return Err("The file is larger than 2 MB; a class list is much smaller. Check that you chose the right file.".into());
    }
    let text = std::str::from_utf8(bytes).map_err(|_| {
        "The file is not UTF-8 text. In Excel, save it as \"CSV UTF-8 (Comma delimited)\" and try again."
            .to_owned()
    })?;
    let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
    let first_line = text.lines().find(|l| !l.trim().is_empty()).ok_or("The file is empty.")?;
    let delimiter =
        if first_line.matches(';').count() > first_line.matches(',').count() { b';' } else { b',' };
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut records = reader
        .records()
        .map(|record| record.map_err(|e| format!("The file could not be read as CSV: {e}.")))
        .filter(|record| record.as_ref().map_or(true, |r| r.iter().any(|c| !c.trim().is_empty())));
    let header = records.next().ok_or("The file is empty.")??;
    let column = |names: &[&str]| {
        header.iter().position(|h| {
            let h = h.trim().to_lowercase().replace([' ', '-'], "_");
            names.contains(&h.as_str())
        })
    };
    let admission_col = column(&["admission_number", "admission_no", "admission"]);
    let name_col = column(&["name", "student_name", "full_name"]);
    let email_col = column(&["email", "e_mail"]);
    let separator = char::from(delimiter).to_string();
    let (Some(admission_col), Some(name_col)) = (admission_col, name_col) else {
        return Err(format!(
            "The first row must name the columns admission_number and name (and optionally email); it reads \"{}\".",
            header.iter().collect::<Vec<_>>().join(&separator)
        ));
    };
    let mut rows = Vec::new();
    let mut rejected = Vec::new();
    let mut lines = Lines { text: text.as_bytes(), scanned: 0, breaks: 0 };
    for (count, record) in records.enumerate() {
        if count >= MAX_ROWS {
            return Err(format!(
                "The file has more than {MAX_ROWS} rows; import at most 10,000 students at a time (split the file). Check that you chose the right file."
            ));
        }
        let record = record?;
        let line = record.position().map_or(0, |p| lines.at(p.byte() as usize));
        let cell = |i: usize| unformula(record.get(i).map_or("", str::trim));
        let student = AdmissionNumber::parse(cell(admission_col)).and_then(|admission_number| {
            let name = StudentName::parse(cell(name_col))?;
            let email = match email_col.map(cell).filter(|e| !e.is_empty()) {
                Some(email) => Some(Email::parse(email)?),
                None => None,
            };
            Ok(Enrolled { admission_number, name, email })
        });
        match student {
            Ok(student) => rows.push((line, student)),
            Err(e) => {
                let text = record.iter().collect::<Vec<_>>().join(&separator);
                rejected.push(RejectedRow { line, text, reason: e.0 });
            }
        }
    }
    Ok((rows, rejected))
}

/// Line numbers of records, counted as the reader moves on (once over the text). The `csv`
/// crate's own line numbers miscount `\r\n` endings and blank lines, and its byte position can
/// stop short of the terminator before the record: a record starts after any line breaks there.
struct Lines<'a> {
    text: &'a [u8],
    scanned: usize,
    breaks: usize,
}

impl Lines<'_> {
    /// The line of the record whose position is `position` (positions only grow).
    fn at(&mut self, position: usize) -> usize {
        let position = position.min(self.text.len());
        let start =
            position + self.text[position..].iter().take_while(|b| matches!(b, b'\r' | b'\n')).count();
        let start = start.max(self.scanned);
        self.breaks += self.text[self.scanned..start].iter().filter(|b| **b == b'\n').count();
        self.scanned = start;
        self.breaks + 1
    }
}

/// Our own exports protect cells a spreadsheet would run as formulas with a leading `'`;
/// reading one back drops it.
fn unformula(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if rest.starts_with(['=', '+', '-', '@']) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_commas_semicolons_a_bom_and_quotes() {
        let comma =
            "admission_number,name,email\r\nADM/1,Jane Doe,jane@uni.ac.ke\r\nADM/2,\"Roe, John\",\r\n";
        let (rows, rejected) = parse(comma.as_bytes()).expect("parsed");
        assert!(rejected.is_empty(), "{rejected:?}");
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[1].1.name.as_str(), "Roe, John");
        assert_eq!(rows[1].0, 3, "line numbers count the header");
        let excel = "\u{FEFF}Name;Admission Number\nAmina \"\"Mimi\"\" Hassan;adm/3\n\n";
        let (rows, _) = parse(excel.as_bytes()).expect("parsed");
        assert_eq!(rows[0].1.admission_number.as_str(), "ADM/3");
        let quoted = "name;admission_number\n\"Amina \"\"Mimi\"\" Hassan\";ADM/3\n";
        assert_eq!(parse(quoted.as_bytes()).expect("parsed").0[0].1.name.as_str(), "Amina \"Mimi\" Hassan");
    }

    #[test]
    fn a_broken_row_is_rejected_with_its_line_and_reason() {
        let file = "admission_number,name\nADM/1,Jane Doe\nADM 2,John Roe\nADM/3,\n";
        let (rows, rejected) = parse(file.as_bytes()).expect("parsed");
        assert_eq!(rows.len(), 1);
        assert_eq!(rejected.iter().map(|r| r.line).collect::<Vec<_>>(), vec![3, 4]);
        assert!(rejected[0].reason.contains("Admission number"), "{rejected:?}");
        assert!(rejected[1].reason.contains("Full name"), "{rejected:?}");
    }

    #[test]
    fn a_file_without_the_columns_or_not_utf8_is_refused_whole() {
        assert!(parse(b"number,student\nADM/1,Jane\n").expect_err("no columns").contains("admission_number"));
        assert!(parse(b"admission_number,name\nADM/1,Ren\xe9\n").expect_err("latin-1").contains("UTF-8"));
        assert!(parse(b"").expect_err("empty").contains("empty"));
    }

    #[test]
    fn line_numbers_hold_with_crlf_blank_lines_and_quoted_breaks() {
        let file = "admission_number,name\r\n\r\nADM/1,\"Jane\r\nDoe\"\r\nADM 2,John\r\n";
        let (rows, rejected) = parse(file.as_bytes()).expect("parsed");
        assert_eq!(rows[0].0, 3);
        assert_eq!(rejected[0].line, 5, "after a cell with a line break in it");
    }

    #[test]
    fn a_file_of_too_many_rows_is_refused_whole() {
        let mut file = String::from("admission_number,name\n");
        for i in 0..=MAX_ROWS {
            file.push_str(&format!("ADM/{i},Student {i}\n"));
        }
        assert!(parse(file.as_bytes()).expect_err("too many").contains("more than 10000 rows"));
    }

    #[test]
    fn our_own_export_reads_back() {
        let file = "admission_number,name\nADM/1,'=Jane\n";
        assert_eq!(parse(file.as_bytes()).expect("parsed").0[0].1.name.as_str(), "=Jane");
    }
}
