// The whole journey the way people use it: a lecturer on a laptop, students on phones.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launch, lectureTimes, newContext, phone as phoneContext, screenshots, sizes, startApp, visit } from "./support.mjs";

let app;
let browser;
let lecturer; // the lecturer's laptop context
let desk; // the lecturer's page
const state = {};

before(async () => {
  app = await startApp();
  browser = await launch();
  lecturer = await newContext(browser, { viewport: sizes.laptop });
  desk = await lecturer.newPage();
});

after(async () => {
  await browser?.close();
  app?.stop();
});

function phone(options = {}) {
  return phoneContext(browser, options);
}

test("the landing and login pages are accessible", async () => {
  await desk.goto(app.url);
  await visit(desk, "landing");
  await desk.goto(`${app.url}login/`);
  await visit(desk, "login");
});

test("a lecturer logs in with the keyboard alone, and focus is visible", async () => {
  await desk.goto(`${app.url}login/`);
  // The username field has focus on arrival.
  assert.equal(await desk.evaluate(() => document.activeElement.id), "username");
  await desk.keyboard.type(app.username);
  await desk.keyboard.press("Tab");
  assert.equal(await desk.evaluate(() => document.activeElement.id), "password");
  const focus = await desk.evaluate(() => {
    const style = getComputedStyle(document.activeElement);
    return { style: style.outlineStyle, width: parseFloat(style.outlineWidth) };
  });
  assert.notEqual(focus.style, "none", "a visible focus outline");
  assert.ok(focus.width >= 2, `outline ${focus.width}px`);
  await desk.keyboard.type(app.password);
  await Promise.all([desk.waitForURL(/\/dashboard\/$/), desk.keyboard.press("Enter")]);
  await desk.getByRole("heading", { name: "Dashboard" }).waitFor();
  await visit(desk, "dashboard");
});

test("a unit is created in the modal without reloading the page", async () => {
  await desk.evaluate(() => { window.__sameDocument = true; });
  await desk.getByRole("link", { name: "New unit" }).click();
  const dialog = desk.locator("dialog#new-unit");
  await dialog.waitFor({ state: "visible" });
  assert.equal(await desk.evaluate(() => document.activeElement.id), "unit-code", "focus moves into the dialog");
  // An empty submit shows the errors next to the fields and keeps the dialog open.
  await dialog.getByRole("button", { name: "Create unit" }).click();
  await desk.locator("#unit-code-error").waitFor({ state: "visible" });
  assert.match(await desk.locator("#unit-code-error").innerText(), /Unit code is required/);
  assert.equal(await desk.locator("#unit-code").getAttribute("aria-invalid"), "true");
  await visit(desk, "dashboard-new-unit");

  await desk.locator("#unit-code").fill("ma201");
  await desk.locator("#unit-name").fill("Linear Algebra");
  await desk.locator("#unit-description").fill("Vectors, matrices and linear maps.");
  await dialog.getByRole("button", { name: "Create unit" }).click();
  await dialog.waitFor({ state: "hidden" });
  await desk.locator("#unit-list").getByRole("link", { name: "MA201" }).waitFor();
  assert.equal(await desk.evaluate(() => window.__sameDocument), true, "the page was not reloaded");
  await desk.getByText("Unit MA201 created.").waitFor();
});

test("the unit form page and the logout confirmation are accessible", async () => {
  await desk.goto(`${app.url}unit/create/`);
  await desk.getByRole("button", { name: "Create unit" }).click();
  await desk.locator("#unit-name-error").waitFor({ state: "visible" });
  await visit(desk, "unit-create-errors");
  await desk.goto(`${app.url}logout/`);
  await visit(desk, "logout-confirm");
  await desk.goto(`${app.url}dashboard/`);
});

test("the lecturer creates a session and sees its QR code", async () => {
  await desk.getByRole("link", { name: "Create session" }).first().click();
  await desk.getByRole("heading", { name: "New session" }).waitFor();
  await visit(desk, "session-create");
  const { date, start, end } = lectureTimes();
  await desk.getByLabel("Unit").selectOption("MA201");
  await desk.getByLabel("Semester").selectOption("1");
  await desk.getByLabel("Date").fill(date);
  await desk.getByLabel("Start time").fill(start);
  await desk.getByLabel("End time").fill(end);
  await desk.getByLabel("Venue").fill("Lecture Theatre 5");
  await desk.getByLabel("Class year").selectOption("2");
  await Promise.all([desk.waitForURL(/\/session\/[0-9a-f-]{36}\/$/), desk.getByRole("button", { name: "Create session" }).click()]);
  await desk.getByText("Session created: MA201 S1 Lec 1.").waitFor();
  const qr = desk.locator(".qr-box svg");
  assert.ok((await qr.boundingBox()).width >= 250, "the QR is large");
  state.attendUrl = await desk.locator(".qr-link a").getAttribute("href");
  // The QR code's short link: capitals and 25 base-36 digits, all in QR alphanumeric mode.
  assert.match(state.attendUrl, /^HTTP:\/\/127\.0\.0\.1:\d+\/A\/[0-9A-Z]{25}$/);
  state.sessionUrl = desk.url();
  await visit(desk, "session");
});

test("a student marks attendance on a phone, without JavaScript", async () => {
  await desk.evaluate(() => { window.__sameDocument = true; });
  // axe needs JavaScript, so the form is checked in one phone and filled in another.
  const checker = await phone();
  const form = await checker.newPage();
  await form.goto(state.attendUrl);
  await visit(form, "student-form");
  await checker.close();

  const student = await phone({ javaScriptEnabled: false });
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByRole("heading", { name: "Linear Algebra" }).waitFor();
  assert.match(await page.locator(".lecture").textContent(), /MA201 · S1 Lec 1/);
  const button = page.getByRole("button", { name: "Mark me present" });
  const box = await button.boundingBox();
  assert.ok(box.height >= 44 && box.width >= 300, `a big touch target: ${JSON.stringify(box)}`);
  await page.getByLabel("Full name").tap();
  await page.keyboard.type("Wanjiru Kamau");
  await page.getByLabel("Admission number").tap();
  await page.keyboard.type("adm/2023/001");
  await Promise.all([page.waitForURL(/\/done\//), button.tap()]);
  const result = await page.locator("main").innerText();
  assert.match(result, /You are marked present|Marked late/);
  assert.match(result, /8\.33%/);
  assert.match(result, /1 of 12 lectures/);
  assert.match(result, /ADM\/2023\/001/);
  const resultUrl = page.url();
  // A second phone scan by the same student only confirms.
  await page.goto(state.attendUrl);
  await page.getByLabel("Full name").fill("Wanjiru Kamau");
  await page.getByLabel("Admission number").fill("ADM/2023/001");
  await Promise.all([page.waitForURL(/\/done\//), page.getByRole("button", { name: "Mark me present" }).tap()]);
  assert.match(await page.locator("main").innerText(), /Already marked/);
  const alreadyUrl = page.url();
  await student.close();
  assert.deepEqual(student.consoleErrors, []);
  const viewer = await phone();
  const shown = await viewer.newPage();
  await shown.goto(resultUrl);
  await visit(shown, "student-success");
  await shown.goto(alreadyUrl);
  await visit(shown, "student-already-marked");
  await viewer.close();
});

test("a student can use the form with the keyboard alone, and mistakes are explained", async () => {
  const student = await phone({ isMobile: false, hasTouch: false });
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.textContent), "Skip to content", "the skip link comes first");
  await page.keyboard.press("Enter");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "student_name", "then straight to the name");
  await page.keyboard.type("Otieno Juma");
  await page.keyboard.press("Tab");
  assert.equal(await page.evaluate(() => document.activeElement.id), "admission_number");
  await page.keyboard.type("ADM🎓2023");
  await Promise.all([page.waitForLoadState("load"), page.keyboard.press("Enter")]);
  await page.locator("#admission_number-error").waitFor({ state: "visible" });
  assert.match(await page.locator("#admission_number-error").innerText(), /only the letters A-Z, digits 0-9/);
  assert.equal(await page.locator("#student_name").inputValue(), "Otieno Juma", "what was typed is kept");
  await visit(page, "student-form-errors");
  await student.close();
});

test("the lecturer's page shows the student without a reload", async () => {
  // Pushed by the server's listener over Server-Sent Events: no polling of the list.
  await desk.locator("#attendance-rows").getByText("Wanjiru Kamau").waitFor({ timeout: 15_000 });
  assert.equal(await desk.locator("#live-state").innerText(), "Live");
  assert.equal(await desk.locator("#attendance-count").innerText(), "1");
  assert.equal(await desk.evaluate(() => window.__sameDocument), true, "updated in place");
  await screenshots(desk, "session-with-attendance");
  await desk.goto(`${app.url}unit/MA201/`);
  await desk.locator(".chart").waitFor();
  await visit(desk, "unit");
});

test("a mark made while Firestore is frozen is kept and lands by itself when it is back", async () => {
  const student = await phone();
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByLabel("Full name").fill("Otieno Baraka");
  await page.getByLabel("Admission number").fill("ADM/2024/050");
  app.freeze();
  try {
    await page.getByRole("button", { name: "Mark me present" }).click();
    await page.getByRole("heading", { name: "Not recorded yet" }).waitFor({ timeout: 30_000 });
    assert.match(await page.locator("main").innerText(), /ADM\/2024\/050 is not recorded yet/);
    await visit(page, "student-pending");
  } finally {
    app.thaw();
  }
  // The page sends the kept attempt again by itself and turns into the usual result.
  await page.waitForURL(/\/done\//, { timeout: 60_000 });
  assert.match(await page.locator("main").innerText(), /You are marked present|Marked late/);
  await student.close();
});

test("a submit made offline waits for the connection and is sent when it returns", async () => {
  const student = await phone();
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByLabel("Full name").fill("Chebet Njeri");
  await page.getByLabel("Admission number").fill("ADM/2024/051");
  await student.setOffline(true);
  await page.getByRole("button", { name: "Mark me present" }).click();
  await page.getByText("Waiting for a connection").waitFor();
  await visit(page, "student-offline");
  await student.setOffline(false);
  await page.waitForURL(/\/done\//, { timeout: 30_000 });
  assert.match(await page.locator("main").innerText(), /You are marked present|Marked late/);
  await student.close();
});

test("closing the session turns the next phone away; following the window opens it again", async () => {
  await desk.goto(state.sessionUrl);
  const status = desk.locator("#session-status");
  assert.match(await status.innerText(), /^Open until \d\d:\d\d$/, "open in its attendance window");
  await Promise.all([desk.waitForURL(state.sessionUrl), desk.getByRole("button", { name: "Close now" }).click()]);
  await desk.getByText("Session closed: no more marks are accepted.").waitFor();
  assert.equal(await status.innerText(), "Closed");
  const late = await phone();
  const page = await late.newPage();
  await page.goto(state.attendUrl);
  await page.getByRole("heading", { name: "This session is closed" }).waitFor();
  await visit(page, "student-closed");
  await late.close();

  await desk.getByRole("button", { name: "Keep open" }).click();
  await desk.getByText("Session kept open: students can mark until you close it.").waitFor();
  assert.equal(await status.innerText(), "Open until closed");
  assert.equal(await desk.getByRole("button", { name: "Keep open" }).count(), 0, "no second keep-open");
  await desk.getByRole("button", { name: "Follow the window" }).click();
  await desk.getByText("Session follows its attendance window again.").waitFor();
  assert.match(await status.innerText(), /^Open until \d\d:\d\d$/);
  assert.equal(await desk.getByRole("button", { name: "Follow the window" }).count(), 0, "nothing to return to");
});

test("projector mode shows a code that changes", async () => {
  await desk.getByRole("button", { name: /rotating code/ }).click();
  await desk.getByText("The QR code now rotates").waitFor();
  await desk.getByRole("link", { name: "Open projector mode" }).click();
  await desk.locator("#present-qr svg").waitFor();
  const first = await desk.locator("#present-qr").innerHTML();
  await desk.waitForFunction((before) => document.querySelector("#present-qr").innerHTML !== before, first, { timeout: 20_000 });
  const box = await desk.locator("#present-qr svg").boundingBox();
  assert.ok(box.width >= 400, `large on a laptop: ${box.width}`);
  assert.match(await desk.locator(".projector").innerText(), /3\s+present/);
  await visit(desk, "projector", ["projector"]);
  // A scan of the code on the screen opens the form; the plain link no longer does.
  const student = await phone();
  const page = await student.newPage();
  await page.goto(state.attendUrl);
  await page.getByRole("heading", { name: "Scan the code on the screen again" }).waitFor();
  await visit(page, "student-scan-again");
  await student.close();
});

test("error pages are friendly", async () => {
  await desk.goto(`${app.url}no-such-page/`);
  await desk.getByRole("heading", { name: "Page not found" }).waitFor();
  await visit(desk, "not-found");
});

test("the lecturer logs out", async () => {
  await desk.goto(`${app.url}dashboard/`);
  await Promise.all([desk.waitForURL(/\/login\/$/), desk.getByRole("button", { name: "Log out" }).click()]);
  await desk.getByText("You have logged out.").waitFor();
  await desk.goto(`${app.url}dashboard/`);
  await desk.waitForURL(/\/login\/\?next=/);
  assert.deepEqual(lecturer.consoleErrors, [], "no script or CSP errors on any page");
});
