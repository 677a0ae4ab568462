// Shared by the browser tests: start the real app (`attendance dev`, which runs its own
// Firestore emulator), drive Debian's Chromium, check pages with axe-core, take screenshots.

import { execFileSync, spawn } from "node:child_process";
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { homedir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";

const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export const artifacts = process.env.ARTIFACTS_DIR || join(import.meta.dirname, "artifacts");
mkdirSync(artifacts, { recursive: true });

export const sizes = {
  phone: { width: 375, height: 667 },
  laptop: { width: 1280, height: 800 },
  projector: { width: 1920, height: 1080 },
};

/** Starts `attendance dev --port 0` and resolves once it prints its address. */
export async function startApp() {
  const targetDir = process.env.CARGO_TARGET_DIR || join(homedir(), ".cache/attendance/target");
  const binary = process.env.ATTENDANCE_BIN || join(targetDir, "debug/attendance");
  const child = spawn(binary, ["dev", "--port", "0", "--qr-rotation-secs", "4", "--stop-with-stdin"], {
    stdio: ["pipe", "pipe", "pipe"],
    env: { ...process.env, RUST_LOG: "warn" },
  });
  let output = "";
  let errors = "";
  child.stderr.on("data", (chunk) => { errors += chunk; });
  const url = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the app did not start within 90 s:\n${output}\n${errors}`)), 90_000);
    child.stdout.on("data", (chunk) => {
      output += chunk;
      const match = output.match(/Open:\s+(http:\/\/\S+)/);
      if (match && output.includes("Press Ctrl-C")) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    });
    child.on("exit", (code) => { clearTimeout(timer); reject(new Error(`attendance dev exited (${code}):\n${output}\n${errors}`)); });
  });
  const login = output.match(/username (\S+)\s+password (\S+)/);
  const scan = output.match(/Try a scan:\s+(\S+)/);
  const emulatorPort = output.match(/FIRESTORE_EMULATOR_HOST=[\d.]+:(\d+)/)[1];
  // Freezes or thaws the emulator's processes (SIGSTOP / SIGCONT): Firestore stops answering
  // without closing a connection, as in a real stall.
  const signalEmulator = (signal) => {
    const pids = execFileSync("pgrep", ["-f", "--", `--port=${emulatorPort}`]).toString().trim().split("\n");
    for (const pid of pids) process.kill(Number(pid), signal);
  };
  return {
    url: url.endsWith("/") ? url : `${url}/`,
    username: login[1],
    password: login[2],
    /** The demo lecture's attendance form, open now. */
    scanUrl: scan && scan[1],
    freeze: () => signalEmulator("SIGSTOP"),
    thaw: () => signalEmulator("SIGCONT"),
    stop: () => {
      child.stdin.end();
      child.kill("SIGTERM");
    },
  };
}

export async function launch() {
  return chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-quic", "--no-first-run", "--disable-sync"],
  });
}

/** A browser context whose pages fail the test on any console error (CSP violations included). */
export async function newContext(browser, options = {}) {
  const context = await browser.newContext(options);
  context.consoleErrors = [];
  context.on("page", (page) => watch(page, context));
  return context;
}

function watch(page, context) {
  page.on("console", (message) => {
    // A 4xx page is an expected answer in some steps, not a script error.
    if (message.type() === "error" && !/status of 4\d\d/.test(message.text())) {
      context.consoleErrors.push(`${page.url()}: ${message.text()}`);
    }
  });
  page.on("pageerror", (error) => context.consoleErrors.push(`${page.url()}: ${error.message}`));
}

/** The WCAG 2.2 AA success criteria axe-core can check: every level A and AA rule up to 2.2. */
const WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"];

/**
 * axe-core on the current page against WCAG 2.2 AA: any violation fails, whatever its impact.
 * `known` lists the nodes where a rule is wrong for the page, each as { id, target, why } (the
 * axe rule, the node's selector and the reason): only those nodes are let through, and a note
 * says when one no longer occurs.
 */
export async function checkAccessibility(page, name, known = []) {
  await page.evaluate(axeSource);
  const results = await page.evaluate(async (tags) => {
    // eslint-disable-next-line no-undef
    const outcome = await axe.run(document, { runOnly: { type: "tag", values: tags }, resultTypes: ["violations"] });
    return outcome.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(" ")) }));
  }, WCAG_22_AA);
  const isKnown = (id, target) => known.some((k) => k.id === id && k.target === target);
  const violations = results
    .map((v) => ({ ...v, nodes: v.nodes.filter((target) => !isKnown(v.id, target)) }))
    .filter((v) => v.nodes.length > 0)
    .map((v) => ({ ...v, nodes: v.nodes.slice(0, 5) }));
  if (violations.length > 0) {
    throw new Error(`${name}: WCAG 2.2 AA violations\n${JSON.stringify(violations, null, 2)}`);
  }
  for (const k of known) {
    if (!results.some((v) => v.id === k.id && v.nodes.includes(k.target))) {
      console.log(`# ${name}: the allowed violation ${k.id} on ${k.target} no longer occurs; drop it from the test`);
    }
  }
  return results;
}

/** Full-page screenshots of the current page at phone and laptop width. */
export async function screenshots(page, name, extra = []) {
  const original = page.viewportSize();
  for (const size of ["phone", "laptop", ...extra]) {
    await page.setViewportSize(sizes[size]);
    await page.screenshot({ path: join(artifacts, `${name}-${size}.png`), fullPage: size !== "projector" });
  }
  await page.setViewportSize(original);
}

/** Checks and photographs a page in one go; `known` as for `checkAccessibility`. */
export async function visit(page, name, extra = [], known = []) {
  await checkAccessibility(page, name, known);
  await screenshots(page, name, extra);
}

/** Today and a start time a minute ago (local time, like the app's `TIMEZONE`), ending 90 minutes
 * later or at 23:59, so the attendance window (15 minutes before the start to the end) is open. */
export function lectureTimes() {
  const now = new Date();
  const pad = (n) => String(n).padStart(2, "0");
  const date = `${now.getFullYear()}-${pad(now.getMonth() + 1)}-${pad(now.getDate())}`;
  const startMinutes = Math.min(Math.max(now.getHours() * 60 + now.getMinutes() - 1, 0), 23 * 60 + 58);
  const endMinutes = Math.min(startMinutes + 90, 23 * 60 + 59);
  const time = (m) => `${pad(Math.floor(m / 60))}:${pad(m % 60)}`;
  return { date, start: time(startMinutes), end: time(endMinutes) };
}

/** A phone: small, touch, a mobile user agent. */
export function phone(browser, options = {}) {
  return newContext(browser, {
    viewport: sizes.phone,
    isMobile: true,
    hasTouch: true,
    deviceScaleFactor: 2,
    userAgent: "Mozilla/5.0 (Linux; Android 13; Pixel 5) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Mobile Safari/537.36",
    ...options,
  });
}

/** Logs the demo lecturer in on `page` and waits for the dashboard. */
export async function logIn(page, app) {
  await page.goto(`${app.url}login/`);
  await page.getByLabel("Username").fill(app.username);
  await page.getByLabel("Password").fill(app.password);
  await Promise.all([page.waitForURL(/\/dashboard\/$/), page.getByRole("button", { name: "Log in" }).click()]);
  await page.getByRole("heading", { name: "Dashboard" }).waitFor();
}
