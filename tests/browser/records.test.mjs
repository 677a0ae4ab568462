// Keeping a term's record: a lecturer imports a class list, sees who is missing from a lecture,
// corrects a mark, marks an absentee by hand, edits and cancels a session, and finds the
// students at risk. Every page on the way is checked with axe-core and photographed.

import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launch, lectureTimes, logIn, newContext, phone, sizes, startApp, visit } from "./support.mjs";

let app;
let browser;
let lecturer;
let desk;
let files;
const state = {};

const students = [
  ["ADM/2024/001", "Achieng Odhiambo", "achieng@students.example"],
  ["ADM/2024/002", "Baraka Mwangi", "baraka@students.example"],
  ["ADM/2024/003", "Chebet Kiprono", ""],
];

before(async () => {
  files = mkdtempSync(join(tmpdir(), "attendance-browser-"));
  app = await startApp();
  browser = await launch();
  lecturer = await newContext(browser, { viewport: sizes.laptop });
  desk = await lecturer.newPage();
  await logIn(desk, app);
});

after(async () => {
  await browser?.close();
  app?.stop();
  if (files) rmSync(files, { recursive: true, force: true });
});

/** A CSV file of `rows` under a header, as a spreadsheet would save it. */
/** A class-list file: Windows line endings by default, or `eol` (a Mac's or Linux's "\n"). */
function csvFile(name, rows, eol = "\r\n") {
  const path = join(files, name);
  const text = ["admission_number,name,email", ...rows.map((row) => row.join(","))].join(eol);
  writeFileSync(path, `${text}${eol}`);
  return path;
}

/** The session page's list of marks, by the row of one admission number. */
function markRow(admission) {
  return desk.locator("#attendance-rows tr").filter({ has: desk.getByText(admission, { exact: true }) });
}

/** The live-count paragraph as one line of text, such as "1 of 3 present". */
async function liveCount() {
  return (await desk.locator(".live-count").innerText()).replace(/\s+/g, " ").trim();
}

test("the lecturer creates a unit and a session for today", async () => {
  await desk.goto(`${app.url}unit/create/`);
  await desk.getByLabel("Unit code").fill("CS205");
  await desk.getByLabel("Unit name").fill("Operating Systems");
  await Promise.all([desk.waitForURL(/\/dashboard\/$|\/unit\/CS205\/$/), desk.getByRole("button", { name: "Create unit" }).click()]);
  await desk.getByText("Unit CS205 created.").waitFor();

  await desk.goto(`${app.url}session/create/`);
  const { date, start, end } = lectureTimes();
  await desk.getByLabel("Unit").selectOption("CS205");
  await desk.getByLabel("Semester").selectOption("1");
  await desk.getByLabel("Date").fill(date);
  await desk.getByLabel("Start time").fill(start);
  await desk.getByLabel("End time").fill(end);
  await desk.getByLabel("Venue").fill("Room 12");
  await desk.getByLabel("Class year").selectOption("2");
  await Promise.all([desk.waitForURL(/\/session\/[0-9a-f-]{36}\/$/), desk.getByRole("button", { name: "Create session" }).click()]);
  await desk.getByText("Session created: CS205 S1 Lec 1.").waitFor();
  state.sessionUrl = desk.url();
  state.attendUrl = await desk.locator(".qr-link a").getAttribute("href");
  // Without a class list there is no "of N" and no absent list.
  assert.equal(await liveCount(), "0 present");
  assert.equal(await desk.locator("#absent-title").count(), 0);
});

test("a class list is previewed, refused while a row is wrong, then imported", async () => {
  await desk.goto(`${app.url}unit/CS205/`);
  await desk.getByRole("link", { name: "Class list (0)" }).click();
  await desk.getByRole("heading", { name: /^Class list · / }).waitFor();
  await desk.getByText("No class list for this term yet.").waitFor();
  await visit(desk, "class-list-empty");

  // A row without a name: the preview explains it and offers no import.
  await desk.getByLabel("CSV file", { exact: true }).setInputFiles(csvFile("with-a-mistake.csv", [...students, ["ADM/2024/004", "", ""]]));
  await desk.getByRole("button", { name: "Preview" }).click();
  const preview = desk.locator("#preview");
  await preview.waitFor();
  assert.match(await preview.innerText(), /3 to add · 0 to update · 0 already listed · 1 rejected/);
  await preview.getByText("Nothing was imported: fix the rejected rows in the file and upload it again.").waitFor();
  assert.match(await preview.locator("table", { hasText: "Rejected rows" }).innerText(), /ADM\/2024\/004/);
  assert.equal(await preview.getByRole("button", { name: /^Import/ }).count(), 0, "no import while a row is rejected");
  await visit(desk, "class-list-rejected");

  // The corrected file, saved with "\n" line endings: a preview of the three students, then
  // the import, at the first click.
  await desk.getByLabel("CSV file", { exact: true }).setInputFiles(csvFile("class-list-lf.csv", students, "\n"));
  await desk.getByRole("button", { name: "Preview" }).click();
  await desk.getByRole("button", { name: "Import 3 new and 0 updated" }).waitFor();
  assert.match(await preview.innerText(), /3 to add · 0 to update · 0 already listed · 0 rejected/);
  const toAdd = await preview.locator("table", { hasText: "To add" }).innerText();
  for (const [admission, name] of students) {
    assert.match(toAdd, new RegExp(`${admission}\\s+${name}`));
  }
  // The file stays on the server: the confirmation carries only its id, never the file.
  assert.equal(await desk.locator("#preview textarea").count(), 0);
  assert.match(await desk.locator("#preview input[name=upload]").getAttribute("value"), /^[0-9a-f]{32}$/);
  await visit(desk, "class-list-preview");
  await desk.getByRole("button", { name: "Import 3 new and 0 updated" }).click();
  await desk.getByText("Class list saved: 3 added, 0 updated.").waitFor();
  await desk.getByRole("heading", { name: "3 students" }).waitFor();
  assert.equal(await desk.locator("#preview").count(), 0);
  await visit(desk, "class-list");

  // The same file again changes nothing.
  await desk.getByLabel("CSV file", { exact: true }).setInputFiles(csvFile("class-list.csv", students));
  await desk.getByRole("button", { name: "Preview" }).click();
  await desk.locator("#preview").waitFor();
  assert.match(await desk.locator("#preview").innerText(), /0 to add · 0 to update · 3 already listed · 0 rejected/);
  await desk.goto(`${app.url}unit/CS205/`);
  await desk.getByRole("link", { name: "Class list (3)" }).waitFor();
});

test("the session page counts against the class list and lists the absentees", async () => {
  // One student marks on a phone.
  const student = await phone(browser);
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByLabel("Full name").fill("Achieng Odhiambo");
  await page.getByLabel("Admission number").fill("adm/2024/001");
  await Promise.all([page.waitForURL(/\/done\//), page.getByRole("button", { name: "Mark me present" }).tap()]);
  assert.match(await page.locator("main").innerText(), /You are marked present/);
  await student.close();
  assert.deepEqual(student.consoleErrors, []);

  await desk.goto(state.sessionUrl);
  await markRow("ADM/2024/001").waitFor();
  assert.equal(await desk.locator("#attendance-count").innerText(), "1");
  assert.equal(await liveCount(), "1 of 3 present");
  await desk.getByRole("heading", { name: "Absent (2)" }).waitFor();
  const absent = desk.locator("#absent-rows");
  assert.deepEqual(await absent.locator("tr td:nth-child(2)").allInnerTexts(), ["ADM/2024/002", "ADM/2024/003"]);
  assert.equal(await absent.getByRole("button", { name: "Mark ADM/2024/002 present" }).count(), 1);
  await visit(desk, "session-absentees");

  // The search narrows the marks and the absentees alike.
  await desk.getByLabel("Search by name or admission number").fill("chebet");
  await Promise.all([desk.waitForURL(/\?q=chebet$/), desk.getByRole("button", { name: "Search" }).click()]);
  await desk.getByRole("heading", { name: "Absent (1)" }).waitFor();
  assert.deepEqual(await absent.locator("tr td:nth-child(2)").allInnerTexts(), ["ADM/2024/003"]);
  assert.equal(await desk.locator("#attendance-rows tr").count(), 0);
  assert.match(await desk.locator(".counts").innerText(), /2 hidden by the search/);
  await visit(desk, "session-search");
});

test("the lecturer changes a mark to late with a reason, and the change is kept in its history", async () => {
  await desk.goto(state.sessionUrl);
  let row = markRow("ADM/2024/001");
  // Each row links to the mark's own page: its form and its history.
  await Promise.all([desk.waitForURL(/\/marks\/ADM%2F2024%2F001\/$/), row.getByRole("link", { name: "Change the mark of ADM/2024/001" }).click()]);
  await desk.getByLabel("Status").selectOption("Late");
  await desk.getByLabel(/^Reason/).fill("Arrived after the quiz");
  await visit(desk, "mark-page");
  await Promise.all([desk.waitForURL(state.sessionUrl), desk.getByRole("button", { name: "Save", exact: true }).click()]);
  await desk.getByText("ADM/2024/001: Present → Late.").waitFor();
  row = markRow("ADM/2024/001");
  assert.equal(await row.locator(".badge-late").innerText(), "Late");
  assert.equal(await liveCount(), "1 of 3 present", "late counts as present");
  const history = row.locator("details.history");
  const summary = await history.locator("summary").innerText();
  assert.match(summary, /^History \(\d+\)$/);
  await history.locator("summary").click();
  assert.match(await history.locator("li").last().innerText(), /Present → Late by \S+ \(lecturer\): “Arrived after the quiz”/);
  state.historyCount = Number(summary.match(/\d+/)[0]);

  // Removing needs a reason: without one the page says so and nothing changes.
  await history.locator("summary").click();
  await Promise.all([desk.waitForURL(/\/marks\/ADM%2F2024%2F001\/$/), row.getByRole("link", { name: "Change the mark of ADM/2024/001" }).click()]);
  await desk.getByLabel("Status").selectOption("Removed");
  await desk.getByRole("button", { name: "Save", exact: true }).click();
  await desk.locator("#correction-problem").waitFor();
  assert.match(await desk.locator("#correction-problem").innerText(), /reason/i);
  assert.equal(await markRow("ADM/2024/001").locator(".badge-late").innerText(), "Late");
  await visit(desk, "session-correction-refused");
});

test("an absentee is marked present from the absent list", async () => {
  await desk.goto(state.sessionUrl);
  await desk.getByRole("heading", { name: "Absent (2)" }).waitFor();
  await Promise.all([
    desk.waitForURL(state.sessionUrl),
    desk.getByRole("button", { name: "Mark ADM/2024/002 present" }).click(),
  ]);
  await desk.getByText("ADM/2024/002: No mark → Present.").waitFor();
  await desk.getByRole("heading", { name: "Absent (1)" }).waitFor();
  assert.equal(await liveCount(), "2 of 3 present");
  const row = markRow("ADM/2024/002");
  assert.match(await row.innerText(), /Baraka Mwangi[\s\S]*\(by hand\)/, "the name comes from the class list");
  assert.deepEqual(await desk.locator("#absent-rows tr td:nth-child(2)").allInnerTexts(), ["ADM/2024/003"]);
  // Open the corrected student's history for the picture; an open history also holds back the refresh.
  const history = markRow("ADM/2024/001").locator("details.history");
  await history.locator("summary").click();
  assert.equal(await history.locator("li").count(), state.historyCount);
  await visit(desk, "session-corrected");
});

test("the lecturer edits the session's venue", async () => {
  await desk.goto(state.sessionUrl);
  await Promise.all([desk.waitForURL(/\/edit\/$/), desk.getByRole("link", { name: "Edit", exact: true }).click()]);
  await desk.getByRole("heading", { name: "Edit session" }).waitFor();
  assert.equal(await desk.getByLabel("Venue").inputValue(), "Room 12");
  assert.match(await desk.getByLabel("Attendance opens").inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d/);
  assert.match(await desk.getByLabel("Attendance closes").inputValue(), /^\d{4}-\d\d-\d\dT\d\d:\d\d/);
  await visit(desk, "session-edit");

  // An empty venue is explained next to the field.
  await desk.getByLabel("Venue").fill("");
  await desk.getByRole("button", { name: "Save changes" }).click();
  await desk.locator("#venue-error").waitFor({ state: "visible" });
  assert.equal(await desk.getByLabel("Venue").getAttribute("aria-invalid"), "true");
  await visit(desk, "session-edit-errors");

  await desk.getByLabel("Venue").fill("Lab 3, Science Block");
  await Promise.all([desk.waitForURL(state.sessionUrl), desk.getByRole("button", { name: "Save changes" }).click()]);
  await desk.getByText("Session updated.").waitFor();
  assert.match(await desk.locator(".page-head .muted").first().innerText(), /Lab 3, Science Block/);
  assert.match(await desk.locator("#session-status").innerText(), /^Open until \d\d:\d\d$/, "still open");
});

test("the unit page lists the students at risk, each with a page of their own", async () => {
  await desk.goto(`${app.url}unit/CS205/`);
  const risk = desk.locator("section", { has: desk.getByRole("heading", { name: "Students at risk (1)" }) });
  await risk.waitFor();
  assert.match(await risk.innerText(), /of the 1 lectures held so far/);
  const rows = await risk.locator("tbody tr").allInnerTexts();
  assert.equal(rows.length, 1);
  assert.match(rows[0], /ADM\/2024\/003\s+Chebet Kiprono\s+0 of 1\s+0(\.0+)?%/);
  await desk.locator(".chart").waitFor();
  await visit(desk, "unit-at-risk");

  await Promise.all([desk.waitForURL(/\/unit\/CS205\/student\/[^/]+\//), risk.getByRole("link", { name: "ADM/2024/003" }).click()]);
  await desk.getByRole("heading", { name: /Chebet Kiprono/ }).waitFor();
  assert.match(await desk.locator(".page-head").innerText(), /0 of 1 lectures held[\s\S]*At risk/);
  await visit(desk, "student-at-risk");

  // A student with a corrected mark: the history shows on their page too.
  await desk.goto(`${app.url}unit/CS205/`);
  await Promise.all([
    desk.waitForURL(/\/unit\/CS205\/student\/[^/]+\//),
    desk.locator("table.matrix").getByRole("link", { name: "ADM/2024/001" }).click(),
  ]);
  await desk.getByRole("heading", { name: /Achieng Odhiambo/ }).waitFor();
  assert.match(await desk.locator(".page-head").innerText(), /1 of 1 lectures held/);
  assert.doesNotMatch(await desk.locator(".page-head").innerText(), /At risk/);
  assert.match(await desk.locator("ul.history").innerText(), /Present → Late by \S+: “Arrived after the quiz”/);
  await visit(desk, "unit-student");
});

test("a cancelled lecture turns phones away and can be restored", async () => {
  await desk.goto(state.sessionUrl);
  await desk.getByText("Cancel or delete this session").click();
  await Promise.all([desk.waitForURL(state.sessionUrl), desk.getByRole("button", { name: "Cancel this lecture" }).click()]);
  await desk.getByText(/^Lecture cancelled: /).waitFor();
  assert.equal(await desk.locator("#session-status").innerText(), "Cancelled");
  assert.equal(await desk.getByRole("button", { name: "Close now" }).count(), 0, "nothing to open or close");
  await visit(desk, "session-cancelled");

  const student = await phone(browser);
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByRole("heading", { name: "This lecture was cancelled" }).waitFor();
  await visit(page, "student-cancelled");
  await student.close();
  assert.deepEqual(student.consoleErrors, []);

  // Cancelled lectures are not held: nobody is at risk of missing it.
  await desk.goto(`${app.url}unit/CS205/`);
  await desk.getByRole("heading", { name: "Students at risk (0)" }).waitFor();

  await desk.goto(state.sessionUrl);
  await desk.getByText("Cancel or delete this session").click();
  await desk.getByRole("button", { name: "Restore this lecture" }).click();
  await desk.getByText("Lecture restored: it counts as held again.").waitFor();
  assert.match(await desk.locator("#session-status").innerText(), /^Open until \d\d:\d\d$/);
  assert.deepEqual(lecturer.consoleErrors, [], "no script or CSP errors on any page");
});
