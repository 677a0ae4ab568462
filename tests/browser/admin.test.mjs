// A department administrator (the demo lecturer is one) creates a lecturer account; the new
// lecturer logs in with the temporary password and must choose their own first. The admin pages
// on the way are checked with axe-core and photographed for the README's tour.

import assert from "node:assert/strict";
import { after, before, test } from "node:test";

import { launch, logIn, newContext, sizes, startApp, visit } from "./support.mjs";

let app;
let browser;
let office;
let desk;

before(async () => {
  app = await startApp();
  browser = await launch();
  office = await newContext(browser, { viewport: sizes.laptop });
  desk = await office.newPage();
  await logIn(desk, app);
});

after(async () => {
  await browser?.close();
  app?.stop();
});

test("an administrator creates a lecturer, after one refused try", async () => {
  await desk.getByRole("link", { name: "Department" }).click();
  await desk.getByRole("heading", { name: "Lecturers" }).waitFor();
  await visit(desk, "admin-lecturers");
  await desk.getByRole("link", { name: "New lecturer" }).click();
  await desk.getByLabel("Username").fill("wnjeri");
  await desk.getByLabel("Staff id").fill("STF/0099");
  await desk.getByLabel("Full name").fill("Dr. Wanjiru Njeri");
  await desk.getByLabel("Email", { exact: true }).fill("wnjeri@university.example");
  await desk.getByLabel("Department", { exact: true }).fill("Computer Science");
  await desk.getByLabel("Temporary password").fill("short");
  await desk.getByRole("button", { name: "Create lecturer" }).click();
  await desk.locator("#password-error").getByText("Password must be at least 10 characters").waitFor();
  assert.equal(await desk.getByLabel("Full name").inputValue(), "Dr. Wanjiru Njeri", "the form keeps what was typed");
  await visit(desk, "admin-lecturer-refused");

  await desk.getByLabel("Temporary password").fill("welcome to the department");
  await Promise.all([desk.waitForURL(/\/admin\/lecturers\/wnjeri\/$/), desk.getByRole("button", { name: "Create lecturer" }).click()]);
  await desk.getByText("Created Dr. Wanjiru Njeri (wnjeri).").waitFor();
  await visit(desk, "admin-lecturer");
});

test("the new lecturer must choose their own password at the first login", async () => {
  const context = await newContext(browser, { viewport: sizes.phone, isMobile: true, hasTouch: true });
  const page = await context.newPage();
  await page.goto(`${app.url}login/`);
  await page.getByLabel("Username").fill("wnjeri");
  await page.getByLabel("Password").fill("welcome to the department");
  await Promise.all([page.waitForURL(/\/account\/password\/$/), page.getByRole("button", { name: "Log in" }).click()]);
  await page.getByText("Your password was set by a department administrator").waitFor();
  await visit(page, "account-temporary-password");
  // Nothing else opens until it is changed.
  await page.goto(`${app.url}dashboard/`);
  assert.match(page.url(), /\/account\/password\/$/);

  await page.getByLabel("Current password").fill("welcome to the department");
  await page.getByLabel("New password", { exact: true }).fill("my own secret phrase");
  await page.getByLabel("New password, again").fill("my own secret phrase");
  await Promise.all([page.waitForURL(/\/dashboard\/$/), page.getByRole("button", { name: "Change password" }).click()]);
  await page.getByText("Password changed.").waitFor();
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
  assert.deepEqual(context.consoleErrors, []);
  await context.close();
});

test("the administrator sees the change in the audit log, the units and the report", async () => {
  // Two students at the demo lecture, so the report has something to show.
  for (const [name, admission] of [["Achieng Odhiambo", "ADM/2026/001"], ["Baraka Mwangi", "ADM/2026/002"]]) {
    const student = await newContext(browser, { viewport: sizes.phone });
    const page = await student.newPage();
    await page.goto(app.scanUrl);
    await page.getByLabel("Full name").fill(name);
    await page.getByLabel("Admission number").fill(admission);
    await Promise.all([page.waitForURL(/\/done\//), page.getByRole("button", { name: "Mark me present" }).click()]);
    await student.close();
  }
  await desk.goto(`${app.url}admin/`);
  const log = desk.locator("#audit-title").locator("xpath=ancestor::section");
  await log.getByText("Created the account").first().waitFor();
  assert.doesNotMatch(await desk.locator("tr", { hasText: "wnjeri" }).first().innerText(), /Temporary password/);
  await desk.getByRole("link", { name: "Units", exact: true }).click();
  await desk.getByRole("heading", { name: "Units" }).waitFor();
  await visit(desk, "admin-units");
  await desk.getByRole("link", { name: "Report", exact: true }).click();
  await desk.getByRole("heading", { name: /Department report/ }).waitFor();
  await visit(desk, "admin-report");
  await desk.getByRole("link", { name: "Audit log", exact: true }).click();
  await desk.getByRole("heading", { name: "Audit log" }).waitFor();
  await visit(desk, "admin-audit");
  assert.deepEqual(office.consoleErrors, []);
});
