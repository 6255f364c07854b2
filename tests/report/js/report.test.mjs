// `aha report`'s page in headless Chromium. Run by tests/report/report_browser_test.cpp with
// AHA_REPORT_HTML (the page), AHA_REPORT_RUN (the directory it reports on), AHA_CHROMIUM (the
// browser) and optionally AHA_REPORT_SCREENSHOT (where to keep the screenshot).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import puppeteer from 'puppeteer-core';
import { PNG } from 'pngjs';

const html = process.env.AHA_REPORT_HTML;
const runDir = process.env.AHA_REPORT_RUN;

// The metrics the page must chart, read independently of aha: every field but "step" that holds
// a finite number on some line of a metrics.jsonl in the directory or an immediate subdirectory.
function expectedMetrics() {
  const dirs = [runDir, ...fs.readdirSync(runDir).map((d) => path.join(runDir, d))];
  const metrics = new Set();
  for (const d of dirs) {
    const file = path.join(d, 'metrics.jsonl');
    if (!fs.existsSync(file)) continue;
    for (const line of fs.readFileSync(file, 'utf8').split('\n')) {
      if (!line.trim()) continue;
      for (const [k, v] of Object.entries(JSON.parse(line)))
        if (k !== 'step' && typeof v === 'number' && Number.isFinite(v)) metrics.add(k);
    }
  }
  return metrics;
}

// Pixels in the box whose colour is saturated (max - min channel > 60): the series colours, not
// the white background, grey grid, dark axes or text.
function saturatedPixels(png, box) {
  let n = 0;
  for (let y = Math.ceil(box.y); y < Math.floor(box.y + box.h); ++y)
    for (let x = Math.ceil(box.x); x < Math.floor(box.x + box.w); ++x) {
      const i = (y * png.width + x) * 4;
      const [r, g, b] = [png.data[i], png.data[i + 1], png.data[i + 2]];
      if (Math.max(r, g, b) - Math.min(r, g, b) > 60) ++n;
    }
  return n;
}

test('the report loads with no console errors or requests, and every chart drew its lines', { timeout: 120000 }, async () => {
  const browser = await puppeteer.launch({
    executablePath: process.env.AHA_CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--headless', '--disable-gpu'],
  });
  try {
    const page = await browser.newPage();
    const errors = [];
    const requests = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'assert') errors.push(`console: ${m.text()}`); });
    page.on('pageerror', (e) => errors.push(`pageerror: ${e}`));
    page.on('requestfailed', (r) => errors.push(`request failed: ${r.url()}`));
    page.on('request', (r) => requests.push(r.url()));
    await page.setViewport({ width: 1440, height: 900, deviceScaleFactor: 1 });
    await page.goto(`file://${html}`, { waitUntil: 'load' });

    assert.deepEqual(errors, []);
    assert.deepEqual(requests, [`file://${html}`], 'the page loads nothing but itself');

    const charts = await page.$$eval('svg.chart', (svgs) => svgs.map((s) => {
      const r = s.getBoundingClientRect();
      const [px, py, pw, ph] = s.dataset.plot.split(' ').map(Number);
      return { metric: s.dataset.metric, plot: { x: r.x + window.scrollX + px, y: r.y + window.scrollY + py, w: pw, h: ph } };
    }));
    const expected = expectedMetrics();
    assert.ok(expected.size >= 20, `only ${expected.size} metrics in ${runDir}`);
    assert.equal(charts.length, expected.size);
    assert.deepEqual(new Set(charts.map((c) => c.metric)), expected);

    const shot = await page.screenshot({ fullPage: true, ...(process.env.AHA_REPORT_SCREENSHOT ? { path: process.env.AHA_REPORT_SCREENSHOT } : {}) });
    const png = PNG.sync.read(Buffer.from(shot));
    const blank = charts.filter((c) => saturatedPixels(png, c.plot) < 20).map((c) => c.metric);
    assert.deepEqual(blank, [], 'charts whose plot area has no drawn series');

    // The injected completion shows as text: its markup made no elements and ran no script.
    const cells = await page.$$eval('td.completion', (tds) => tds.map((td) => ({ text: td.textContent, tags: td.querySelectorAll('b, script').length })));
    assert.ok(cells.length >= 2);
    assert.ok(cells.some((c) => c.text.startsWith('</script><b>bold</b><script>')));
    assert.equal(cells.reduce((n, c) => n + c.tags, 0), 0);
  } finally {
    await browser.close();
  }
});
