// Fidelity check of the diagrams drawn at build time: every ```mermaid fence of the book, as
// the built page shows it (merman's SVG, light theme) beside mermaid.js's drawing of the same
// source (the pinned mdbook-mermaid's mermaid.min.js, its `default` theme, as the site drew
// diagrams before). Writes one PNG per diagram with both drawings side by side (one above the
// other when that is over 2000 px wide) and an index.html to OUT_DIR, and
// prints what it can measure: labels whose text overflows their box in our SVG.
//
//     cargo xtask fidelity        (builds the book, finds mermaid.min.js, runs this)
//
// Environment: BOOK_DIR (the built site), MERMAID_JS (mermaid.min.js), OUT_DIR; ONLY to
// compare some diagrams (`ONLY=acid-transactions` or `ONLY=acid-transactions-3`).

import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BOOK_DIR, WORKSPACE, launchChromium, serveBook } from '../lib/harness.mjs';

const MERMAID_JS = process.env.MERMAID_JS;
const OUT_DIR = process.env.OUT_DIR;
if (!MERMAID_JS || !OUT_DIR) {
    throw new Error('MERMAID_JS and OUT_DIR must be set: run this through `cargo xtask fidelity`');
}

/** Every mermaid fence of every chapter: { chapter, ordinal, line, source }. */
async function diagramsOfTheBook() {
    const found = [];
    const src = join(WORKSPACE, 'src');
    for (const file of (await readdir(src)).filter((name) => name.endsWith('.md')).sort()) {
        const lines = (await readFile(join(src, file), 'utf8')).split('\n');
        let ordinal = 0;
        for (let i = 0; i < lines.length; i += 1) {
            if (lines[i].trim() !== '```mermaid') continue;
            const start = i;
            const body = [];
            for (i += 1; i < lines.length && lines[i].trim() !== '```'; i += 1) body.push(lines[i]);
            ordinal += 1;
            found.push({ chapter: file.replace(/\.md$/, ''), ordinal, line: start + 1, source: body.join('\n') + '\n' });
        }
    }
    return found;
}

const escapeHtml = (text) => text.replace(/[&<>"]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;' })[c]);

await mkdir(OUT_DIR, { recursive: true });
// ONLY=<chapter>[-<n>] compares only those diagrams.
const diagrams = (await diagramsOfTheBook())
    .filter((d) => !process.env.ONLY || `${d.chapter}-${d.ordinal}`.startsWith(process.env.ONLY));
const mermaidScript = await readFile(MERMAID_JS, 'utf8');
const server = await serveBook();
const browser = await launchChromium();
const report = [];
try {
    const context = await browser.newContext({ viewport: { width: 2600, height: 1400 }, deviceScaleFactor: 1 });
    const page = await context.newPage();
    await page.route('**/__fidelity/mermaid.min.js', (route) =>
        route.fulfill({ body: mermaidScript, contentType: 'text/javascript' }));
    for (const diagram of diagrams) {
        const name = `${diagram.chapter}-${diagram.ordinal}`;
        const id = `diagram-${diagram.chapter}-${diagram.ordinal}`;
        const chapterHtml = await readFile(join(BOOK_DIR, `${diagram.chapter}.html`), 'utf8');
        // A page of the site (its CSS and fonts, light theme), emptied for the comparison.
        await page.goto(`${server.origin}/404.html`, { waitUntil: 'networkidle' });
        const measured = await page.evaluate(async ({ chapterHtml, id, source, label }) => {
            const figure = new DOMParser().parseFromString(chapterHtml, 'text/html').getElementById(id)?.closest('figure');
            document.body.innerHTML = `<div id="pair" style="display:flex;gap:24px;align-items:flex-start;padding:16px;background:#fff;width:max-content">
                <div><h3 style="margin:0 0 8px;font:600 14px 'Open Sans'">built by merman (this site)</h3><div id="ours"></div></div>
                <div><h3 style="margin:0 0 8px;font:600 14px 'Open Sans'">mermaid.js (mdbook-mermaid 0.17.1), as before</h3><pre id="theirs" class="mermaid"></pre></div>
            </div><p style="font:12px monospace;padding:0 16px">${label}</p>`;
            if (!figure) return { missing: true };
            const ours = document.getElementById('ours');
            ours.appendChild(document.importNode(figure, true));
            // At its natural width, as on a wide screen.
            const svg = ours.querySelector('svg');
            ours.style.width = `calc(${getComputedStyle(svg).getPropertyValue('--bf-diagram-width').trim()} + 2em)`;
            document.getElementById('theirs').textContent = source;
            await new Promise((resolve, reject) => {
                const script = document.createElement('script');
                script.src = '/__fidelity/mermaid.min.js';
                script.onload = resolve;
                script.onerror = reject;
                document.head.appendChild(script);
            });
            window.mermaid.initialize({ startOnLoad: false, theme: 'default', securityLevel: 'strict' });
            await window.mermaid.run({ nodes: [document.getElementById('theirs')] });
            const drawnByMermaid = document.querySelector('#theirs svg');
            if (drawnByMermaid) document.getElementById('theirs').style.width = drawnByMermaid.style.maxWidth;
            // Wide pairs one above the other, so that neither is shrunk in the screenshot.
            const pair = document.getElementById('pair');
            if (pair.scrollWidth > 2000) pair.style.flexDirection = 'column';
            await document.fonts.ready;
            // Labels whose text does not fit their box in our drawing.
            const clipped = [];
            for (const object of svg.querySelectorAll('foreignObject')) {
                const box = object.getBoundingClientRect();
                const content = object.firstElementChild?.getBoundingClientRect();
                const inner = object.firstElementChild;
                if (content && inner && (inner.scrollWidth > object.width.baseVal.value + 1 || content.height > box.height + 1)) {
                    clipped.push(object.textContent.trim());
                }
            }
            for (const text of svg.querySelectorAll('text')) {
                const rect = text.parentElement?.querySelector(':scope > rect');
                if (!rect || !text.textContent.trim()) continue;
                const t = text.getBBox();
                const r = rect.getBBox();
                if (t.x < r.x - 1 || t.x + t.width > r.x + r.width + 1) clipped.push(text.textContent.trim());
            }
            const theirs = document.querySelector('#theirs svg');
            return {
                ours: { width: svg.getBoundingClientRect().width, height: svg.getBoundingClientRect().height },
                theirs: theirs ? { width: theirs.getBoundingClientRect().width, height: theirs.getBoundingClientRect().height } : null,
                theirsError: theirs ? null : document.getElementById('theirs').textContent.slice(0, 200),
                clipped,
            };
        }, { chapterHtml, id, source: diagram.source, label: escapeHtml(`src/${diagram.chapter}.md:${diagram.line}`) });
        const png = `${name}.png`;
        await page.locator('#pair').screenshot({ path: join(OUT_DIR, png) });
        report.push({ ...diagram, name, png, ...measured });
        const size = (box) => (box ? `${Math.round(box.width)}x${Math.round(box.height)}` : 'none');
        console.log(`${name} (src/${diagram.chapter}.md:${diagram.line}): ours ${size(measured.ours)}, mermaid.js ${size(measured.theirs)}`
            + (measured.missing ? ' — NOT IN THE PAGE' : '')
            + (measured.clipped?.length ? ` — text over its box: ${JSON.stringify(measured.clipped)}` : ''));
    }
} finally {
    await browser.close();
    await server.close();
}

const rows = report.map((d) => `<section id="${d.name}">
<h2>${escapeHtml(d.name)} <small>src/${escapeHtml(d.chapter)}.md:${d.line}</small></h2>
${d.clipped?.length ? `<p class="warn">Text over its box in ours: ${escapeHtml(d.clipped.join(' | '))}</p>` : ''}
<img src="${d.png}" alt="${escapeHtml(d.name)}: merman left, mermaid.js right">
<details><summary>source</summary><pre>${escapeHtml(d.source)}</pre></details>
</section>`).join('\n');
await writeFile(join(OUT_DIR, 'index.html'), `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Diagram fidelity: merman vs mermaid.js</title>
<style>body{font-family:sans-serif;margin:2em} img{max-width:100%;border:1px solid #ccc} .warn{color:#a00} small{color:#666;font-weight:normal}</style>
</head><body><h1>Diagram fidelity: ${report.length} diagrams</h1>
<p>Left: the SVG the build draws with merman (light theme, as on the site). Right: mermaid.js from the pinned mdbook-mermaid, its default theme, as the site drew diagrams before.</p>
${rows}
</body></html>
`);
await writeFile(join(OUT_DIR, 'report.json'), JSON.stringify(report, null, 2));
console.log(`${report.length} diagrams compared: ${join(OUT_DIR, 'index.html')}`);
if (report.some((d) => d.missing)) process.exitCode = 1;
